"""Frozen entry point: the same dispatch as `python -m explorer` (a command runs headless, else the app)."""
import sys

from explorer.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
