"""Files DVC cannot read are marked in the table, and said for the highlighted row."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from tests.app.test_app import SIZE, wait_until
from tests.backend.repos import make_repo
from tui.app.app import CatdogApp
from tui.backend.service import Backend

BROKEN = {
    "params.yaml": "lr: 0.1\n",
    "other.yaml": "a: [\n",
    "dvc.yaml": "stages:\n  s:\n    cmd: echo\n    params:\n      - lr\n      - other.yaml:\n",
}


async def test_unreadable_files_are_marked_and_explained(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", BROKEN)
    (root / "dvc.yaml").write_text("stages: [\n")  # the workspace's pipeline: unreadable
    app = CatdogApp(Backend.discover(root))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(app.view.rows) == 2)
        labels = [str(app.table.get_row_at(i)[1]) for i in range(2)]
        assert labels[0].endswith("!") and labels[1].endswith("!")
        line = app.query_one("#details", Static)
        await wait_until(pilot, lambda: "YAMLSyntaxError" in str(line.render()))
        assert "YAMLSyntaxError" in str(line.render())
        await pilot.press("j")
        await wait_until(pilot, lambda: "other.yaml" in str(line.render()))
