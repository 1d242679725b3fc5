"""Frozen entry point: the same dispatch as `python -m explorer` (a command runs headless, else the app); the
window's TensorFlow engine process (explorer.core.engine) starts the bundle again with ENGINE_FLAG."""
import sys

if __name__ == "__main__":
    from explorer.core.engine.client import ENGINE_FLAG

    if len(sys.argv) > 2 and sys.argv[1] == ENGINE_FLAG:
        from explorer.core.engine.process import main as engine_main

        sys.exit(engine_main(sys.argv[2:]))
    from explorer.__main__ import main

    sys.exit(main())
