"""Params and metrics of one revision, as the listing shows them and its cache keeps them.

Apart from index.py (which computes them) so that a listing served from the cache imports
neither the parsers nor DVC's pipeline rules.
"""

from __future__ import annotations

from tui.backend.record import Record

TYPE_CHECKING = False  # not typing's: importing typing costs 3 ms of `ls` (see record.py)
if TYPE_CHECKING:
    from typing import Any


class Values(Record):
    """Params and metrics of one revision, each `{file: {dotted.key: value}}`."""

    def __init__(
        self,
        params: dict[str, dict[str, Any]] | None = None,
        metrics: dict[str, dict[str, Any]] | None = None,
        errors: dict[str, str] | None = None,
        error: str | None = None,
    ) -> None:
        self.params: dict[str, dict[str, Any]] = {} if params is None else params
        self.metrics: dict[str, dict[str, Any]] = {} if metrics is None else metrics
        self.errors: dict[str, str] = {} if errors is None else errors
        """File to why it could not be read, as DVC's per-file `error`."""
        self.error = error
        """Why DVC cannot read the revision at all (its pipelines): then nothing else is
        shown."""
