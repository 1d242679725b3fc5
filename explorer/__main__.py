"""`python -m explorer` / `signature-explorer`: a command runs headless; a path (or nothing) opens the app."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from explorer.cli import COMMANDS, unknown_command

    if argv and argv[0] in ("--version", "-V"):
        from explorer.core.versions import version_lines

        print("\n".join(version_lines()))
        return 0
    if argv and (argv[0] in COMMANDS or argv[0] in ("-h", "--help")):
        from explorer.cli import main as cli_main

        return cli_main(argv)
    if argv and unknown_command(argv[0]):
        # A typo of a command must not open a window on a folder that does not exist.
        from explorer.cli import EXIT_ERROR, unknown_command_line

        print(unknown_command_line(argv[0]), file=sys.stderr)
        return EXIT_ERROR
    from explorer.ui.app import main as gui_main

    return gui_main(argv)


if __name__ == "__main__":
    sys.exit(main())
