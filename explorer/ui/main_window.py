"""MainWindow: composes the message bar, model summary, signature tree and panels; wires menus, actions and signals.

Extension points for other panels (tensor form, outputs, servers, compare, diagnose):
- `add_panel(name, widget, icon=None) -> int` adds a tab beside "Details"; `panel(name)`, `show_panel(name)`.
- `add_dock(name, widget, area=...) -> QDockWidget` for tool windows (listed in the View menu).
- Signals: `model_opened(ModelInfo)`, `model_closed()`, `signature_selected(ModelInfo, Signature)`,
  `node_selected(ModelInfo, Node)`. `model()` and `current_signature()` give the current state.
- `messages` (a MessageBar) shows inline errors; `worker` (a Worker) runs background calls; `settings` (Settings).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QSettings, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QLabel, QMainWindow, QMenu, QMessageBox, QProgressBar,
                               QSplitter, QStyle, QTabWidget, QToolBar, QToolButton, QVBoxLayout, QWidget)

from explorer.core.errors import ExplorerError
from explorer.core.savedmodel import ModelInfo, read_model_with_functions
from explorer.core.scan import cached_report, scan_model
from explorer.core.settings import Settings, config_dir
from explorer.core.signature import Signature

from .consent import ConsentGate
from .widgets.message_bar import MessageBar
from .widgets.model_summary import ModelSummary, NodeDetails
from .widgets.signature_tree import Node, SignatureTree
from .widgets.status_message import StatusMessage
from .workers import Task, Worker, tensorflow_watch, window_engine

APP_TITLE = "Signature Explorer"
DETAILS = "Details"
TREE_SHARE_DEFAULT = 480  # px of 1280 before a model is open; then the tree pane is as wide as its columns need
TREE_SHARE_MAX = 0.42  # of the window: the tabs (form over outputs) need width more than a tree's last column
TREE_MIN = 360
RUN = "Predict"  # the run panel's tab ("Run" is the example name the window's own tests add)
DIAGNOSTICS = "Diagnostics"
# Built after the first paint (see MainWindow.build_panels); reading one of these attributes builds them at once.
LATE_ATTRIBUTES = ("run_panel", "diagnostics", "server", "sessions", "reexport", "conversions", "product")


class MainWindow(QMainWindow):
    """The app's window: open a model (menu, toolbar, drop, recent, command line) and browse its signatures."""

    model_opened = Signal(object)  # ModelInfo
    model_scanned = Signal(object)  # core.scan.ScanReport of the open model (right after model_opened)
    model_closed = Signal()
    signature_selected = Signal(object, object)  # ModelInfo, Signature
    node_selected = Signal(object, object)  # ModelInfo, Node (signature, inputs/outputs group or tensor)

    def __init__(self, settings: Settings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings or Settings()
        self.worker = Worker(self)
        self._info: ModelInfo | None = None
        self._pending: tuple | None = None  # (path, version, tag_set) being read
        self._started_at = 0.0
        self.setWindowTitle(APP_TITLE)
        self.setAcceptDrops(True)

        self.messages = MessageBar()
        self.summary = ModelSummary()
        self.tree = SignatureTree()
        self.details = NodeDetails()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        # Every tab in sight at a glance: no scroll arrows to hide the last ones behind (Compare was, with a server
        # connected and the tree widened), and whole titles, so the tabs' pane is never narrower than its tab bar.
        self.tabs.setUsesScrollButtons(False)
        self.tabs.setElideMode(Qt.TextElideMode.ElideNone)
        self._panels: dict[str, QWidget] = {}
        self._docks: dict[str, QDockWidget] = {}
        self.add_panel(DETAILS, self.details, self.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogInfoView))
        # The first screen is the summary and the tree. The Predict and Diagnostics tabs hold placeholders until
        # build_panels() runs on the idle loop after the first paint: their modules pull in numpy and pyqtgraph
        # (0.3-0.5 s), which made start-up 5.9x a bare PySide6 window (bench/startup.py).
        self._panels_state = "waiting"  # -> "building" -> "built"
        for name, pixmap in ((RUN, QStyle.StandardPixmap.SP_MediaPlay),
                             (DIAGNOSTICS, QStyle.StandardPixmap.SP_MessageBoxQuestion)):
            self.add_panel(name, _Placeholder(name), self.style().standardIcon(pixmap))
        self._opened_late: ModelInfo | None = None  # a model read before the panels were built
        # Models with dangerous ops (core/scan.py): scanned on open; the panels that load a model ask first. Built
        # now (it is light): it grants this process the answers remembered in settings.
        self.consent = ConsentGate(self.settings, self)
        self.tree.tree.viewport().installEventFilter(self)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.summary)
        left_layout.addWidget(self.tree, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.tabs)
        # A wider window widens the tabs (form, plots, tables), not the tree: its columns already fit (_fit_tree_pane).
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self._splitter_chosen = False  # the user dragged it (now or in an earlier session): never moved for them
        self.splitter.splitterMoved.connect(self._on_splitter_moved)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.messages)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()

        self.tree.node_selected.connect(self._on_tree_node_selected)
        self.tree.signature_selected.connect(self._on_tree_signature_selected)
        self.summary.version_chosen.connect(self._on_summary_version_chosen)
        self.summary.tag_set_chosen.connect(self._on_summary_tag_set_chosen)
        self.resize(1280, 800)
        self.splitter.setSizes([TREE_SHARE_DEFAULT, 1280 - TREE_SHARE_DEFAULT])
        self._restore_geometry()
        if self.settings.problem:
            self.messages.show_message(self.settings.problem, "warning")
        self._update_actions()

    def __getattr__(self, name: str):
        # Only reached for attributes not set yet: the late panels, built on first use.
        if name in LATE_ATTRIBUTES and self.__dict__.get("_panels_state") == "waiting":
            self.build_panels()
            return getattr(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def eventFilter(self, watched, event) -> bool:
        # The tree's first paint (with the model named on the command line, when one is being read) is the first
        # screen: the panels are built on the idle loop right after it.
        if event.type() == QEvent.Type.Paint and watched is self.tree.tree.viewport() \
                and self._panels_state == "waiting" and self._pending is None:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self, self.build_panels)  # with self as context: never after it was deleted
        return False

    def build_panels(self) -> None:
        """Build the Predict, Diagnostics, Server and Compare panels and the product actions (once)."""
        if self._panels_state != "waiting":
            return
        self._panels_state = "building"
        from .conversion_actions import ConversionActions
        from .product_actions import ProductActions
        from .reexport_actions import ReexportActions
        from .run_panel import RunPanel
        from .server_actions import ServerActions
        from .session_actions import SessionActions
        from .widgets.diagnostics import DiagnosticsPanel

        self.run_panel = RunPanel()  # the tensor form, Run, outputs and history (issue 3)
        self._replace_placeholder(RUN, self.run_panel)
        self.diagnostics = DiagnosticsPanel(worker=self.worker)  # check for identical outputs (issue 5)
        self._replace_placeholder(DIAGNOSTICS, self.diagnostics)
        self.tools_menu.addAction(self.diagnostics.check_action)

        self.model_opened.connect(self.run_panel.set_model)
        self.model_closed.connect(lambda: self.run_panel.set_model(None))
        self.signature_selected.connect(lambda info, signature: self.run_panel.set_signature(signature))
        self.run_panel.signature_requested.connect(self.tree.select_signature)
        self.signature_selected.connect(lambda info, signature: self.diagnostics.set_target(
            info.path, signature.key, version=info.version))
        self.model_closed.connect(lambda: self.diagnostics.set_target(None))
        self.diagnostics.set_inputs_provider(self.run_panel.current_inputs)  # "probe around my inputs"
        self.diagnostics.check_action.triggered.connect(lambda: self.show_panel(DIAGNOSTICS))

        self.server = ServerActions(self)  # TF Serving: Server menu and tab, Local ⇄ Server, Run on (issue 4)
        self.sessions = SessionActions(self)  # Compare tab and menu; save/open/autosave/export/replay (issue 6)
        self.reexport = ReexportActions(self)  # Signature ▸ Edit and Re-export…, "Fix in a re-export" (issue 17)
        self.conversions = ConversionActions(self)  # Compare > Convert to TFLite and Compare… (issue 16)

        for panel in (self.run_panel, self.diagnostics, self.sessions.view):
            panel.consent = self.consent

        # Preferences, Reset Settings, Run, About, theme, the shortcut table and status messages (issue 7); last, so
        # the shortcut table finds every other panel's actions.
        self.product = ProductActions(self)
        self._panels_state = "built"
        if self._opened_late is not None:  # the panels learn what the first screen already shows
            info, self._opened_late = self._opened_late, None
            self._announce_model(info, tree_shown=True)
            if self.scan_report is not None:
                self.model_scanned.emit(self.scan_report)

    def _replace_placeholder(self, name: str, widget: QWidget) -> None:
        placeholder = self._panels[name]
        index = self.tabs.indexOf(placeholder)
        current = self.tabs.currentIndex() == index
        icon, text = self.tabs.tabIcon(index), self.tabs.tabText(index)
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, widget, icon, text)
        self._panels[name] = widget
        if current:
            self.tabs.setCurrentIndex(index)
        placeholder.deleteLater()

    # --- public API --------------------------------------------------------------------------------------------

    def open_model(self, path, version: int | None = None, tag_set=None) -> Task:
        """Read a model on the worker; on success show it, on failure say why inline and keep the current one."""
        path = os.path.abspath(os.path.expanduser(os.fspath(path)))
        self._pending = (path, version, tag_set)
        self._started_at = time.perf_counter()
        self._busy(f"Reading {path} …")
        return self.worker.submit(read_and_scan, path, version=version, tag_set=tag_set, caller="model",
                                  name=f"Reading {path}", on_done=self._on_model_read,
                                  on_failed=self._on_model_failed)

    def reload_model(self) -> Task | None:
        """Read the current model again (same path, version and tag-set)."""
        if self._info is None:
            return None
        return self.open_model(self._info.path, self._info.version, self._info.tag_set)

    def close_model(self) -> None:
        """Forget the current model."""
        self._info = None
        self._opened_late = None
        self.tree.set_model(None)
        self.summary.set_model(None)
        self.scan_report = None
        self.details.set_model(None)
        self.details.show_node(None)
        self.setWindowTitle(APP_TITLE)
        self._update_actions()
        self.model_closed.emit()

    def model(self) -> ModelInfo | None:
        return self._info

    def current_signature(self) -> Signature | None:
        node = self.tree.current_node()
        return node.signature if node else None

    def add_panel(self, name: str, widget: QWidget, icon=None) -> int:
        """Add a tab named `name` beside Details; returns its index."""
        if name in self._panels:
            raise ValueError(f"a panel named {name!r} exists")
        self._panels[name] = widget
        return self.tabs.addTab(widget, icon, name) if icon is not None else self.tabs.addTab(widget, name)

    def panel(self, name: str) -> QWidget | None:
        return self._panels.get(name)

    def show_panel(self, name: str) -> None:
        self.tabs.setCurrentWidget(self._panels[name])

    def add_dock(self, name: str, widget: QWidget,
                 area: Qt.DockWidgetArea = Qt.DockWidgetArea.BottomDockWidgetArea) -> QDockWidget:
        """Add a tool window (listed in View); returns the dock so callers can tabify or hide it."""
        dock = QDockWidget(name, self)
        dock.setObjectName(f"dock:{name}")  # saveState needs object names
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self._docks[name] = dock
        self.view_menu.addAction(dock.toggleViewAction())
        return dock

    # --- building ---------------------------------------------------------------------------------------------

    def _build_actions(self) -> None:
        icon = self.style().standardIcon
        sp = QStyle.StandardPixmap
        self.open_action = QAction(icon(sp.SP_DialogOpenButton), "&Open Model…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.setToolTip("Open a SavedModel folder or a TF Serving base path (Ctrl+O)")
        self.open_action.triggered.connect(self._on_open_triggered)
        self.open_file_action = QAction(icon(sp.SP_FileIcon), "Open Model &File (saved_model.pb, .tflite)…", self)
        self.open_file_action.triggered.connect(self._on_open_file_triggered)
        self.reload_action = QAction(icon(sp.SP_BrowserReload), "&Reload", self)
        self.reload_action.setShortcut(QKeySequence.StandardKey.Refresh)
        self.reload_action.setToolTip("Read the model again from disk (F5)")
        self.reload_action.triggered.connect(self.reload_model)
        self.close_action = QAction(icon(sp.SP_DialogCloseButton), "&Close Model", self)
        self.close_action.setShortcut(QKeySequence.StandardKey.Close)
        self.close_action.triggered.connect(self.close_model)
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        self.internal_action = QAction("Show &Internal Signatures", self)
        self.internal_action.setCheckable(True)
        self.internal_action.toggled.connect(self.tree.set_show_internal)
        self.tree.internal_check.toggled.connect(self.internal_action.setChecked)
        self.filter_action = QAction("&Filter Signatures", self)
        self.filter_action.setShortcut(QKeySequence.StandardKey.Find)
        self.filter_action.triggered.connect(self._on_filter_triggered)
        self.expand_action = QAction("&Expand All", self)
        self.expand_action.triggered.connect(self.tree.tree.expandAll)
        self.collapse_action = QAction("C&ollapse to Signatures", self)
        self.collapse_action.triggered.connect(self.tree.tree.collapseAll)
        self.about_action = QAction(icon(sp.SP_MessageBoxInformation), "&About Signature Explorer", self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self._on_about_triggered)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.open_action)
        file_menu.addAction(self.open_file_action)
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_DirLinkIcon))
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addMenu(self.recent_menu)
        self._fill_recent_menu()
        file_menu.addSeparator()
        file_menu.addAction(self.reload_action)
        file_menu.addAction(self.close_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.view_menu = bar.addMenu("&View")
        self.view_menu.addAction(self.internal_action)
        self.view_menu.addAction(self.filter_action)
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.expand_action)
        self.view_menu.addAction(self.collapse_action)
        self.view_menu.addSeparator()
        self.tools_menu = bar.addMenu("&Tools")  # filled by build_panels()
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.about_action)

    def _build_toolbar(self) -> None:
        self.toolbar = QToolBar("Main")
        self.toolbar.setObjectName("toolbar:main")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toolbar.addAction(self.open_action)
        open_button = self.toolbar.widgetForAction(self.open_action)
        if isinstance(open_button, QToolButton):
            # The arrow beside Open lists recent models, as in most desktop tools.
            open_button.setMenu(self.recent_menu)
            open_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.toolbar.addAction(self.reload_action)
        self.addToolBar(self.toolbar)

    def _build_status_bar(self) -> None:
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)  # indeterminate: reading has no meaningful fraction
        self.busy_bar.setMaximumWidth(140)
        self.busy_bar.setMaximumHeight(14)
        self.busy_bar.hide()
        self.engine_label = QLabel("TensorFlow not loaded")
        self.engine_label.setToolTip("Models are read without TensorFlow; it loads only when a model is run")
        # Stop: TensorFlow's loads, runs and checks cannot be interrupted, so its engine process is stopped (the
        # model loads again on the next run). Shown while the engine works.
        self.stop_button = QToolButton()
        self.stop_button.setText("Stop")
        self.stop_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaStop))
        self.stop_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.stop_button.setAutoRaise(True)
        self.stop_button.hide()
        self.stop_button.clicked.connect(self._on_stop_clicked)
        self.statusBar().addPermanentWidget(self.busy_bar)
        self.statusBar().addPermanentWidget(self.stop_button)
        self.statusBar().addPermanentWidget(self.engine_label)
        self.status_message = StatusMessage(self.statusBar())  # elided to its room, never under engine_label
        self._engine_seen: tuple = (None, None)
        self._engine_timer = QTimer(self)
        self._engine_timer.setInterval(100)  # reads two attributes: what the engine does, how it last ended
        self._engine_timer.timeout.connect(self._on_engine_timer)
        self._engine_timer.start()
        watch = tensorflow_watch()  # any worker's task (run, load, check, compare) may import TensorFlow
        watch.loaded.connect(self._on_tensorflow_loaded)
        if watch.check():
            self._on_tensorflow_loaded(watch.version)
        self.statusBar().showMessage("Open a model to begin: File ▸ Open Model…, or drop a folder on this window.")

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_models()
        for path in recent:
            action = self.recent_menu.addAction(_short(path))
            action.setToolTip(path)
            action.setStatusTip(path)
            action.setData(path)
            action.triggered.connect(lambda _checked=False, p=path: self.open_model(p))
        if not recent:
            self.recent_menu.addAction("No recent models").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear Recent Models", self._on_clear_recent_triggered)

    def _busy(self, text: str) -> None:
        self.busy_bar.show()
        self.statusBar().showMessage(text)

    def _idle(self, text: str) -> None:
        self.busy_bar.hide()
        self.statusBar().showMessage(text)

    def _update_actions(self) -> None:
        has_model = self._info is not None
        self.reload_action.setEnabled(has_model)
        self.close_action.setEnabled(has_model)

    # --- model reading results ---------------------------------------------------------------------------------

    def _on_model_read(self, task: Task, info: ModelInfo) -> None:
        elapsed = (time.perf_counter() - self._started_at) * 1000
        self._info = info
        self._pending = None
        self.summary.set_model(info)
        self.details.set_model(info)
        self.settings.add_recent_model(info.path)
        self._fill_recent_menu()
        name = Path(info.path).name or info.path
        self.setWindowTitle(f"{name} — {APP_TITLE}")
        if info.skipped_versions:
            skipped = "; ".join(f"{n}/: {why}" for n, why in info.skipped_versions.items())
            self.messages.show_message(
                f"{info.path}: some version folders are not servable and were skipped ({skipped}).", "warning",
                fix="TF Serving ignores these folders; remove them or export a SavedModel into them.")
        else:
            self.messages.clear()
        self._update_actions()
        self.scan_report = None
        report = cached_report(info)  # scanned on the worker with the read (read_and_scan): a lookup here
        if self._panels_state == "waiting" and not self.isVisible():
            self.build_panels()  # no first screen to keep fast (a hidden window: the smoke test, scripts)
        if self._panels_state == "built":
            self._announce_model(info)
        else:
            # First screen first: the tree is shown now; the panels are built (and told) once it has been painted.
            self._opened_late = info
            self.tree.set_model(info)
            self.tree.tree.viewport().update()  # its paint builds the panels (eventFilter)
        if report is not None:
            self._on_model_scanned(report)
        else:
            self.messages.show_message(
                f"The safety scan could not read {name}: loading it will be refused.", "warning",
                fix="Run `signature-explorer scan` on it to see why; re-export the model.")
        self._fit_tree_pane()
        users = len(info.user_signatures)
        version = f" version {info.version}" if info.version is not None else ""
        self._idle(f"Opened {name}{version}: {users} signature{'s' if users != 1 else ''} in {elapsed:.0f} ms")

    def _on_model_scanned(self, report) -> None:
        self.scan_report = report
        self.summary.set_scan(report)
        self.tree.set_scan(report)
        if report.high:
            self.statusBar().showMessage(f"{Path(report.path).name}: {len(report.high)} unsafe "
                                         f"op{'s' * (len(report.high) > 1)} found; nothing runs until you agree.")
        if self._opened_late is None:  # else once the panels are built, right after model_opened (build_panels)
            self.model_scanned.emit(report)

    def _announce_model(self, info: ModelInfo, tree_shown: bool = False) -> None:
        """Tell the panels about the open model, then select its default signature in the tree (or, when the tree
        already shows it, tell them which signature is selected)."""
        self.model_opened.emit(info)
        if not tree_shown:
            self.tree.set_model(info)  # selects the default signature, which emits signature_selected
        elif (signature := self.current_signature()) is not None:
            self.signature_selected.emit(info, signature)

    def _on_splitter_moved(self, *_) -> None:
        self._splitter_chosen = True

    def _fit_tree_pane(self) -> None:
        """Give the tree pane the width its columns need (TREE_MIN..TREE_SHARE_MAX of the window) and the tabs the
        rest: at 720 of 1280 px the tree was mostly empty while the form and the plots were stacked in 560."""
        if self._splitter_chosen:
            return
        tree = self.tree.tree
        header = tree.header()
        columns = sum(max(tree.sizeHintForColumn(c) + 12, header.sectionSizeHint(c)) for c in range(header.count()))
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        total = sum(self.splitter.sizes())
        left = max(TREE_MIN, min(columns + bar + 2 * tree.frameWidth() + 4, int(total * TREE_SHARE_MAX)))
        self.splitter.setSizes([left, total - left])

    def _on_model_failed(self, task: Task, error: ExplorerError) -> None:
        path = self._pending[0] if self._pending else ""
        self._pending = None
        self.tree.tree.viewport().update()  # if the panels wait for the first screen: it is this one
        self.messages.show_error(error)
        if self._info is not None:
            self.summary.set_model(self._info)  # put the version/tag-set choosers back to what is shown
        kept = f"; still showing {Path(self._info.path).name}" if self._info else ""
        self._idle(f"Could not open {path}{kept}")

    # --- slots ---------------------------------------------------------------------------------------------------

    @Slot(str)
    def _on_tensorflow_loaded(self, version: str) -> None:
        self.engine_label.setText(f"TensorFlow {'.'.join(version.split('.')[:2])} loaded")
        self.engine_label.setToolTip(f"TensorFlow {version} is loaded in its engine process (pid "
                                     f"{window_engine().pid}); later runs reuse it")

    @Slot()
    def _on_engine_timer(self) -> None:
        engine = window_engine()
        busy = engine.busy()
        self.stop_button.setVisible(busy is not None)
        if busy is not None:
            self.stop_button.setToolTip(f"Stop TensorFlow ({busy}); the model loads again on the next run")
        running = engine.running()
        seen = (engine.generation, engine.last_exit, running, engine.tensorflow_version)
        if seen != self._engine_seen and engine.generation:
            self._engine_seen = seen
            if running and engine.tensorflow_version:
                self._on_tensorflow_loaded(engine.tensorflow_version)
            elif not running and engine.last_exit:
                self.engine_label.setText(f"TensorFlow crashed ({engine.last_exit})")
                self.engine_label.setToolTip("Its engine process died; the next run starts a fresh one")
            elif not running:
                self.engine_label.setText("TensorFlow not loaded")
                self.engine_label.setToolTip("No model is loaded; TensorFlow starts again with the next run")

    def _on_stop_clicked(self) -> None:
        busy = window_engine().busy()
        if window_engine().interrupt():
            self.statusBar().showMessage(f"Stopped TensorFlow ({busy}); the model loads again on the next run.", 8000)

    def _on_tree_node_selected(self, node: Node | None) -> None:
        self.details.show_node(node)
        if node is not None and self._info is not None:
            self.node_selected.emit(self._info, node)

    def _on_tree_signature_selected(self, signature: Signature | None) -> None:
        if signature is not None and self._info is not None and self._opened_late is None:
            self.signature_selected.emit(self._info, signature)

    def _on_summary_version_chosen(self, version: int) -> None:
        if self._info is not None:
            self.open_model(self._info.path, version=version)

    def _on_summary_tag_set_chosen(self, tags: tuple) -> None:
        if self._info is not None:
            self.open_model(self._info.path, version=self._info.version, tag_set=tags)

    def _on_open_triggered(self) -> None:
        start = self._info.path if self._info else self.settings.get("last_folder", str(Path.home()))
        folder = QFileDialog.getExistingDirectory(self, "Open a SavedModel folder or TF Serving base path", start)
        if folder:
            self.settings.set("last_folder", str(Path(folder).parent))
            self.open_model(folder)

    def _on_open_file_triggered(self) -> None:
        start = self.settings.get("last_folder", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self, "Open saved_model.pb or a .tflite", start,
                                              "Models (saved_model.pb saved_model.pbtxt *.tflite);;"
                                              "SavedModel (saved_model.pb saved_model.pbtxt);;"
                                              "TensorFlow Lite (*.tflite);;All files (*)")
        if path:
            self.open_model(path)

    def _on_clear_recent_triggered(self) -> None:
        self.settings.clear_recent_models()
        self._fill_recent_menu()

    def _on_filter_triggered(self) -> None:
        self.tree.filter_edit.setFocus()
        self.tree.filter_edit.selectAll()

    def _on_about_triggered(self) -> None:
        self.product.open_about()  # versions of TF, Qt, numpy ... with Copy for bug reports

    # --- drag and drop ---------------------------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _dropped_path(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if _dropped_path(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = _dropped_path(event.mimeData())
        if not path:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_model(path)

    # --- geometry -------------------------------------------------------------------------------------------------

    def _qsettings(self) -> QSettings:
        return QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)

    def _restore_geometry(self) -> None:
        qs = self._qsettings()
        if geometry := qs.value("geometry"):
            self.restoreGeometry(geometry)
        if state := qs.value("state"):
            self.restoreState(state)
        if splitter := qs.value("splitter"):
            self._splitter_chosen = self.splitter.restoreState(splitter)

    def closeEvent(self, event: QCloseEvent) -> None:
        qs = self._qsettings()
        qs.setValue("geometry", self.saveGeometry())
        qs.setValue("state", self.saveState())
        if self._splitter_chosen:  # else the next window fits the tree pane to its model again
            qs.setValue("splitter", self.splitter.saveState())
        else:
            qs.remove("splitter")
        qs.sync()
        self.worker.cancel()  # running calls are asked to stop; TF calls finish on their own
        super().closeEvent(event)


def read_and_scan(path, version: int | None = None, tag_set=None) -> ModelInfo:
    """read_model (saved functions decoded too, for the tree), then the safety scan (kept in core.scan's cache for
    the GUI thread): one task per open."""
    info = read_model_with_functions(path, version=version, tag_set=tag_set)
    try:
        scan_model(info)  # a few ms on small models, more on 100 MB graphs: on the worker, like the read
    except ExplorerError:
        pass  # the window says so; loading the model is refused the same way
    return info


class _Placeholder(QWidget):
    """Stands in for a panel on the first screen; replaced by the real panel right after the first paint."""

    def __init__(self, name: str):
        super().__init__()
        layout = QVBoxLayout(self)
        label = QLabel(f"Preparing {name} …")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setEnabled(False)
        layout.addWidget(label)


def _dropped_path(mime) -> str | None:
    """The first local file or folder in dropped data (URLs or plain text), or None."""
    if mime.hasUrls():
        for url in mime.urls():
            if url.isLocalFile():
                return url.toLocalFile()
    if mime.hasText():
        text = mime.text().strip()
        local = QUrl(text).toLocalFile() if text.startswith("file:") else text
        if local and os.path.exists(local):
            return local
    return None


def _short(path: str) -> str:
    p = Path(path)
    return f"{p.name}  —  {p.parent}" if p.name else path
