"""`dvc exp show --json` as the correctness oracle: flatten its output to compare with ours.

Rows come in listing order (dicts keep it), so `list(rows)` compares the order too. Errors
compare by file (`errors=` is accepted for older callers; they are always compared): which
params and metrics files DVC could not read, and whether it could not read the revision at all;
the messages may differ.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import run
from tui.backend.experiments import Experiment
from tui.backend.formats import flatten


def _files(section: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    flat = {}
    for file, result in (section or {}).items():
        if "data" in result:
            flat[file] = dict(flatten(result["data"]))
    return flat


def _errors(data: dict[str, Any]) -> list[str]:
    return sorted(
        file
        for section in ("params", "metrics")
        for file, result in (data.get(section) or {}).items()
        if result.get("error")
    )


def _key(rev: str, status: str) -> str:
    # A workspace run shows as an experiment whose rev is "workspace", beside the workspace row.
    return "workspace (running)" if rev == "workspace" and status == "running" else rev


def dvc_rows(root: Path, *args: str, errors: bool = True) -> dict[str, dict[str, Any]]:
    """rev to {name, baseline, params, metrics, status, errors, error} from
    `dvc exp show --json`."""
    shown = json.loads(run(["dvc", "exp", "show", "--json", *args], root).stdout)
    rows: dict[str, dict[str, Any]] = {}

    def add(entry: dict[str, Any], baseline: str | None, status: str) -> None:
        data = entry.get("data") or {}
        rows[_key(entry["rev"], status)] = {
            "name": entry.get("name"),
            "baseline": baseline,
            "status": status,
            "params": _files(data.get("params")),
            "metrics": _files(data.get("metrics")),
            "errors": _errors(data),
            # A failed run carries DVC's "Experiment run failed" here; ours says so by status.
            "error": entry.get("error") is not None and status != "failed",
        }

    for top in shown:
        if top["rev"] == "workspace":
            add(top, None, "workspace")
            continue
        add(top, top["rev"], "success")
        for group in top.get("experiments") or []:
            executor = group.get("executor") or {}
            state = executor.get("state", "success")
            for rev in group["revs"]:
                add(rev, top["rev"], {"queued": "queued", "running": "running",
                                      "failed": "failed"}.get(state, "success"))  # fmt: skip
    return rows


def our_rows(rows: list[Experiment], errors: bool = True) -> dict[str, dict[str, Any]]:
    """The same shape from our listing."""
    return {
        _key(row.rev, row.status): {
            "name": row.name,
            "baseline": None if row.kind == "workspace" else row.baseline,
            "status": row.status,
            "params": row.params,
            "metrics": row.metrics,
            "errors": sorted(row.errors),
            "error": row.error is not None,
        }
        for row in rows
    }
