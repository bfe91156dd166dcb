"""The installed command, and the import boundaries that keep the UI process light."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, run
from tui import __version__


def test_console_script_prints_version_and_help() -> None:
    done = run(["catdog-tui", "--version"], ROOT)
    assert done.stdout.strip() == f"catdog-tui {__version__}"
    assert run(["catdog-tui", "--help"], ROOT).stdout.startswith("usage: catdog-tui")


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("tui", ("tensorflow", "keras", "training")),
        ("tui.cli", ("tensorflow", "keras", "training")),
        ("tui.backend", ("tensorflow", "keras", "training", "textual")),
    ],
)
def test_ui_side_never_imports_the_training_stack(module: str, forbidden: tuple[str, ...]) -> None:
    # A fresh interpreter: this test process itself has TensorFlow loaded by other tests.
    probe = f"import sys, {module}\nprint(sorted(m for m in {forbidden!r} if m in sys.modules))"
    assert run(["python", "-c", probe], ROOT).stdout.strip() == "[]"
