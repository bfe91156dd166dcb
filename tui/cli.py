"""The `catdog-tui` command line. The app and the headless subcommands land in their own issues."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from tui import __version__


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `catdog-tui`."""
    parser = argparse.ArgumentParser(
        prog="catdog-tui",
        description=(
            "Run and watch DVC experiments (DVCLive metrics, plots, confusion matrices) "
            "from the terminal."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `catdog-tui` console script."""
    parser = build_parser()
    parser.parse_args(argv)
    parser.print_help()
    return 0
