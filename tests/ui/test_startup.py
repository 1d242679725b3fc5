"""Start-up: the first screen (summary and signature tree) comes up without numpy, pyqtgraph or TensorFlow; the
other panels are built right after its first paint and learn about the model it shows."""
import json
import subprocess
import sys
import textwrap

from explorer.resources import demo_model_path
from explorer.ui.main_window import DIAGNOSTICS, RUN, MainWindow

HEAVY = ("numpy", "pyqtgraph", "tensorflow")

FIRST_SCREEN = textwrap.dedent("""
    import json, os, sys
    from PySide6.QtCore import QEvent, QObject, QTimer
    from explorer.ui.app import create_app
    app = create_app()
    from explorer.ui.main_window import MainWindow, RUN
    window = MainWindow()
    seen = {}

    class Watch(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and window.tree.tree.topLevelItemCount() and "first" not in seen:
                seen["first"] = sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[2:]))
                seen["panels_at_first_paint"] = "run_panel" in window.__dict__
            return False

    watch = Watch()
    window.tree.tree.viewport().installEventFilter(watch)

    def finished():
        seen["predict_tab"] = type(window.panel(RUN)).__name__
        seen["form_signature"] = getattr(window.run_panel.signature(), "key", None)
        seen["after"] = sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[2:]))
        print(json.dumps(seen), flush=True)
        os._exit(0)

    window.model_opened.connect(lambda info: QTimer.singleShot(0, finished))
    window.show()
    window.open_model(sys.argv[1])
    QTimer.singleShot(60000, lambda: os._exit(3))
    app.exec()
""")


def test_first_screen_imports_neither_pyqtgraph_nor_tensorflow_and_the_panels_follow():
    out = subprocess.run([sys.executable, "-c", FIRST_SCREEN, str(demo_model_path()), *HEAVY],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["first"] == [], f"the first screen loaded {seen['first']}"
    assert seen["panels_at_first_paint"] is False
    # Right after the first paint the panels are built and shown the model: numpy and pyqtgraph, never TensorFlow.
    assert seen["predict_tab"] == "RunPanel" and seen["form_signature"] == "serving_default"
    assert seen["after"] == ["numpy", "pyqtgraph"]


def test_a_hidden_window_builds_its_panels_when_a_model_opens(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    assert type(window.panel(RUN)).__name__ == "_Placeholder"
    with qtbot.waitSignal(window.model_opened, timeout=10000):
        window.open_model(demo_model_path())
    assert type(window.panel(RUN)).__name__ == "RunPanel" and window.panel(DIAGNOSTICS) is window.diagnostics
    assert window.run_panel.signature().key == "serving_default"


def test_reading_a_late_panel_builds_the_panels_at_once(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    assert "run_panel" not in window.__dict__
    assert window.run_panel is window.panel(RUN)  # first use builds them, also before any paint
    assert window.sessions.view is not None and window.product.run_action is not None
