"""How a stage's `main()` turns an expected failure into one line for the person at the terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable


class StageError(Exception):
    """A failure the user can fix; its message says what was wrong and what to do."""


def run_stage(main: Callable[[], None]) -> int:
    """Run a stage's `main()`; a StageError becomes one line on stderr and exit status 2."""
    try:
        main()
    except StageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0
