"""`python -m explorer` / `signature-explorer`: a command runs headless; anything else opens the app."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from explorer.cli import COMMANDS

    if argv and (argv[0] in COMMANDS or argv[0] in ("-h", "--help")):
        from explorer.cli import main as cli_main

        return cli_main(argv)
    from explorer.ui.app import main as gui_main

    return gui_main(argv)


if __name__ == "__main__":
    sys.exit(main())
