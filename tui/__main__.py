"""`python -m tui`, the same as the `catdog-tui` command."""

from tui.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
