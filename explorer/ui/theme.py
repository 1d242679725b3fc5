"""Light/dark theme: follow the system palette or force one, and derive our custom colours from the palette.

- `apply_theme(app, mode)` with mode "system" | "light" | "dark". "system" keeps Qt 6's platform palette (which
  follows the desktop's colour scheme); "light"/"dark" set Fusion palettes of our own, because not every platform
  plugin honours QStyleHints.setColorScheme (offscreen and many X11 setups ignore it).
- `colors(palette=None) -> ThemeColors`: badges, severity tints, diff highlights and plot colours computed from the
  palette, so they read in both schemes. `is_dark(palette)`.
- `ThemeWatcher(app)` emits `changed(ThemeColors)` on QEvent.ApplicationPaletteChange and
  QStyleHints.colorSchemeChanged; `style_plots(root, colors)` re-colours the pyqtgraph plots under a widget.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

MODES = ("system", "light", "dark")

# Hues of our meanings; the tints and inks shown are mixed from these and the palette's base/text colours.
_HUES = {"error": "#d32f2f", "warning": "#e69500", "info": "#1e78d2", "ok": "#2e8b57",
         "predict": "#2f6fbf", "classify": "#2e8b57", "regress": "#b8860b", "other": "#6e7781"}


@dataclass(frozen=True)
class ThemeColors:
    """Colours derived from one palette (all '#rrggbb' strings)."""

    dark: bool
    base: str  # view background
    text: str
    muted: str  # secondary text
    border: str
    tints: dict  # severity -> background tint (error, warning, info, ok)
    inks: dict  # severity -> text colour readable on its tint and on `base`
    badges: dict  # method (predict, classify, regress, other) -> badge fill (white text reads on each)
    diff_added: str
    diff_removed: str
    diff_changed: str
    plot_background: str
    plot_foreground: str  # axes and their labels
    plot_grid: str


def is_dark(palette: QPalette | None = None) -> bool:
    """True when the palette's window colour is dark (text lighter than background)."""
    palette = palette or QApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < palette.color(
        QPalette.ColorRole.WindowText).lightness()


def mix(a: str | QColor, b: str | QColor, t: float) -> str:
    """`a` blended towards `b` by t (0..1), as '#rrggbb'."""
    ca, cb = QColor(a), QColor(b)
    return QColor(round(ca.red() + (cb.red() - ca.red()) * t), round(ca.green() + (cb.green() - ca.green()) * t),
                  round(ca.blue() + (cb.blue() - ca.blue()) * t)).name()


def contrast_ratio(a: str | QColor, b: str | QColor) -> float:
    """WCAG 2 contrast ratio of two colours (1..21; body text wants 4.5)."""
    def luminance(c: QColor) -> float:
        def channel(v: int) -> float:
            v /= 255
            return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * channel(c.red()) + 0.7152 * channel(c.green()) + 0.0722 * channel(c.blue())

    hi, lo = sorted((luminance(QColor(a)), luminance(QColor(b))), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def readable(ink: str, background: str, towards: str, ratio: float = 4.5) -> str:
    """`ink` pulled towards `towards` (the palette's text) until it reads on `background` at `ratio`: the dark
    theme's error ink on its red tint reached 4.0."""
    for step in range(11):
        candidate = mix(ink, towards, step / 10)
        if contrast_ratio(candidate, background) >= ratio:
            return candidate
    return towards


def ink_on(fill: str) -> str:
    """Black or white, whichever reads better on `fill` (white on the amber letter badge reached 2.2)."""
    return "#ffffff" if contrast_ratio("#ffffff", fill) >= contrast_ratio("#000000", fill) else "#000000"


def card_style(severity: str, c: ThemeColors | None = None) -> tuple[str, str]:
    """(ink, tint) of a card, badge or banner of `severity` (error, warning, info, ok; else neutral)."""
    c = c or colors()
    if severity in c.tints:
        return c.inks[severity], c.tints[severity]
    return c.text, mix(c.base, c.text, 0.08)


def colors(palette: QPalette | None = None) -> ThemeColors:
    """Our colours for `palette` (default: the application's)."""
    palette = palette or QApplication.palette()
    dark = is_dark(palette)
    base = palette.color(QPalette.ColorRole.Base).name()
    text = palette.color(QPalette.ColorRole.Text).name()
    # A tint is the hue faintly over the background; its ink is the hue pulled towards the text colour, so
    # contrast holds whichever way round light and dark are.
    tint_amount, ink_amount = (0.28, 0.35) if dark else (0.14, 0.45)
    severities = ("error", "warning", "info", "ok")
    tints = {k: mix(base, _HUES[k], tint_amount) for k in severities}
    inks = {k: readable(mix(_HUES[k], text, ink_amount), tints[k], text) for k in severities}
    badges = {k: mix(_HUES[k], "#000000", 0.15 if dark else 0.0) for k in ("predict", "classify", "regress",
                                                                             "other")}
    return ThemeColors(
        dark=dark, base=base, text=text,
        muted=mix(text, base, 0.45), border=mix(text, base, 0.7),
        tints=tints, inks=inks, badges=badges,
        diff_added=tints["ok"], diff_removed=tints["error"], diff_changed=tints["warning"],
        plot_background=base, plot_foreground=mix(text, base, 0.2), plot_grid=mix(text, base, 0.8),
    )


def dark_palette() -> QPalette:
    """A Fusion dark palette (used when the user forces dark or the platform cannot)."""
    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    for r, c in ((role.Window, "#2b2d30"), (role.WindowText, "#e6e6e6"), (role.Base, "#1f2023"),
                 (role.AlternateBase, "#2a2c2f"), (role.ToolTipBase, "#3a3d41"), (role.ToolTipText, "#f0f0f0"),
                 (role.PlaceholderText, "#8c8f94"), (role.Text, "#e6e6e6"), (role.Button, "#35373b"),
                 (role.ButtonText, "#e6e6e6"), (role.BrightText, "#ff6b6b"), (role.Light, "#4a4d52"),
                 (role.Midlight, "#3e4145"), (role.Mid, "#303236"), (role.Dark, "#1a1b1d"), (role.Shadow, "#000000"),
                 (role.Highlight, "#3d7bd9"), (role.HighlightedText, "#ffffff"), (role.Link, "#6ea8ff"),
                 (role.LinkVisited, "#b48ead")):
        p.setColor(r, QColor(c))
    for r, c in ((role.WindowText, "#7d8085"), (role.Text, "#7d8085"), (role.ButtonText, "#7d8085"),
                 (role.Base, "#26282b"), (role.Button, "#2e3033")):
        p.setColor(group.Disabled, r, QColor(c))
    return p


def light_palette() -> QPalette:
    """Fusion's own light palette."""
    from PySide6.QtWidgets import QStyleFactory

    style = QStyleFactory.create("Fusion")
    return style.standardPalette() if style is not None else QPalette()


def apply_theme(app: QApplication, mode: str = "system") -> ThemeColors:
    """Use the system palette (mode "system") or force "light"/"dark"; returns the colours now in effect."""
    if mode not in MODES:
        mode = "system"
    hints = app.styleHints()
    if mode == "system":
        if current_mode(app) != "system":
            if hasattr(hints, "unsetColorScheme"):
                hints.unsetColorScheme()
            # An empty palette resolves nothing, so Qt goes back to the platform's -- and keeps following it.
            app.setPalette(QPalette())
    else:
        scheme = Qt.ColorScheme.Dark if mode == "dark" else Qt.ColorScheme.Light
        if hasattr(hints, "setColorScheme"):
            hints.setColorScheme(scheme)  # native dialogs and title bars, where the platform supports it
        if app.style().name().lower() != "fusion":
            app.setStyle("Fusion")  # native styles may ignore a custom palette (Windows 11, macOS)
        app.setPalette(dark_palette() if mode == "dark" else light_palette())
    app.setProperty("explorer_theme", mode)
    result = colors(app.palette())
    set_plot_defaults(result)
    return result


def current_mode(app: QApplication | None = None) -> str:
    """The mode last given to apply_theme ("system" when none was)."""
    app = app or QApplication.instance()
    mode = app.property("explorer_theme") if app is not None else None
    return mode if mode in MODES else "system"


def set_plot_defaults(c: ThemeColors) -> None:
    """pyqtgraph's defaults for plots created from now on."""
    import pyqtgraph as pg

    pg.setConfigOptions(background=c.plot_background, foreground=c.plot_foreground)


def style_plots(root: QWidget, c: ThemeColors | None = None) -> int:
    """Re-colour every pyqtgraph view under `root` (backgrounds, axes, legends, titles); returns how many."""
    import pyqtgraph as pg

    c = c or colors()
    count = 0
    views = root.findChildren(pg.GraphicsView)
    for view in views:
        view.setBackground(c.plot_background)
        scene = view.scene()
        if scene is None:
            continue
        for item in scene.items():
            if isinstance(item, pg.AxisItem):
                item.setPen(pg.mkPen(mix(c.plot_foreground, c.plot_background, 0.3)))
                item.setTextPen(pg.mkPen(c.plot_foreground))
            elif isinstance(item, pg.LegendItem):
                item.setBrush(pg.mkBrush(QColor(c.plot_background)))
                item.setPen(pg.mkPen(c.border))
                item.setLabelTextColor(c.plot_foreground)
            elif isinstance(item, pg.PlotItem) and item.titleLabel is not None and item.titleLabel.text:
                item.titleLabel.setText(item.titleLabel.text, color=c.plot_foreground)
        count += 1
    return count


def refresh_style_sheets(app: QApplication) -> int:
    """Re-resolve every widget style sheet that names a palette role or is computed from it; returns how many."""
    # Qt resolves `palette(...)` in a style sheet once, when it is set: a label made under the light palette kept
    # its half-black placeholder ink on the dark window (the model summary's "Version", "Signatures" ...).
    # Widgets whose sheet holds colours computed from the palette (card_style) say so with a `restyle()` method:
    # a widget with its own style sheet gets no PaletteChange when the application palette changes.
    count = 0
    for widget in app.allWidgets():
        restyle = getattr(widget, "restyle", None)
        if callable(restyle):
            restyle()
            count += 1
            continue
        sheet = widget.styleSheet()
        if "palette(" in sheet:
            widget.setStyleSheet("")
            widget.setStyleSheet(sheet)
            count += 1
    return count


class ThemeWatcher(QObject):
    """Emits `changed(ThemeColors)` when the application palette or the system colour scheme changes."""

    changed = Signal(object)  # ThemeColors

    def __init__(self, app: QApplication, parent: QObject | None = None):
        super().__init__(parent or app)
        self._app = app
        self._last: ThemeColors | None = colors(app.palette())
        app.installEventFilter(self)
        hints = app.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(self._on_hints_color_scheme_changed)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if obj is self._app and event.type() == QEvent.Type.ApplicationPaletteChange:
            self._check()
        return False

    def _on_hints_color_scheme_changed(self, _scheme) -> None:
        self._check()

    def _check(self) -> None:
        now = colors(self._app.palette())
        if now != self._last:
            self._last = now
            set_plot_defaults(now)
            self.changed.emit(now)
