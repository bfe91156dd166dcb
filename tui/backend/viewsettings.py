"""What a person chose to see, kept between sessions: stars, hidden columns, the sort, all
params or only those that differ, the theme, the Custom tab's axes. One small JSON file per
repository, under `.dvc/tmp/catdog-tui` (ignored by git and DVC), written whole and renamed
into place.

Read tolerantly: a missing, damaged or foreign file is an empty choice, and an entry of the
wrong type is dropped, never raised.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

SETTINGS_FILE = "view.json"


def _kept(value: Any, kind: type, default: Any) -> Any:
    return value if isinstance(value, kind) else default


def read_settings(state_dir: Path) -> dict[str, Any]:
    """The saved choices, each of the type it should have (others dropped)."""
    try:
        data = json.loads((state_dir / SETTINGS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    found: dict[str, Any] = {}
    for key in ("starred", "hidden"):
        items = _kept(data.get(key), list, [])
        found[key] = [item for item in items if isinstance(item, str)]
    for key in ("only_changed", "sort_descending", "alerts"):
        if isinstance(data.get(key), bool):
            found[key] = data[key]
    for key in ("sort_column", "theme", "custom_x", "custom_y"):
        if isinstance(data.get(key), str):
            found[key] = data[key]
    return found


def write_settings(state_dir: Path, settings: dict[str, Any]) -> None:
    """Save the choices (whole file, renamed into place); a failure only loses them."""
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        partial = state_dir / f".{SETTINGS_FILE}.{os.getpid()}.tmp"
        partial.write_text(json.dumps(settings, indent=1, sort_keys=True))
        partial.replace(state_dir / SETTINGS_FILE)
    except OSError:
        pass
