"""`python -m tui`, the same as the `catdog-tui` command."""

from tui.cli import main

raise SystemExit(main())
