"""How a param or metric value is written in a table, the same in the app and the CLI."""

from __future__ import annotations

from typing import Any


def cell(value: Any) -> str:
    """Four significant digits for floats, a dash for nothing, the value otherwise."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
