"""The installed command, and the import boundaries that keep the UI process light."""

from __future__ import annotations

from tests.conftest import ROOT, run
from tui import __version__


def test_console_script_prints_version_and_help() -> None:
    done = run(["catdog-tui", "--version"], ROOT)
    assert done.stdout.strip() == f"catdog-tui {__version__}"
    assert run(["catdog-tui", "--help"], ROOT).stdout.startswith("usage: catdog-tui")


def imported_by(package: str, forbidden: tuple[str, ...]) -> list[str]:
    """Which of `forbidden` a fresh interpreter has loaded after importing every module of
    `package` (this test process itself has TensorFlow loaded by other tests)."""
    probe = (
        "import importlib, pkgutil, sys\n"
        f"import {package}\n"
        f"for info in pkgutil.walk_packages({package}.__path__, '{package}.'):\n"
        "    importlib.import_module(info.name)\n"
        f"print(','.join(sorted(m for m in {forbidden!r} if m in sys.modules)))\n"
    )
    return [m for m in run(["python", "-c", probe], ROOT).stdout.strip().split(",") if m]


def test_ui_side_never_imports_the_training_stack() -> None:
    assert imported_by("tui", ("tensorflow", "keras", "training")) == []


def test_backend_stays_headless() -> None:
    assert imported_by("tui.backend", ("textual", "plotext", "tensorflow", "training")) == []
