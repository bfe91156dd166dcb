"""What a person chose to see is there next time: stars, hidden columns, the sort, the theme;
and a damaged settings file is an empty choice, never an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.test_app import SIZE, highlight, shown_input, wait_until
from tui.app.app import CatdogApp
from tui.backend.service import Backend
from tui.backend.viewsettings import SETTINGS_FILE, read_settings, write_settings


def test_settings_round_trip_and_damage(tmp_path: Path) -> None:
    write_settings(tmp_path, {"starred": ["b:x"], "hidden": ["lr"], "only_changed": False,
                              "sort_column": "score", "sort_descending": True,
                              "theme": "textual-light"})  # fmt: skip
    assert read_settings(tmp_path) == {
        "starred": ["b:x"], "hidden": ["lr"], "only_changed": False, "sort_column": "score",
        "sort_descending": True, "theme": "textual-light",
    }  # fmt: skip
    (tmp_path / SETTINGS_FILE).write_text('{"starred": [1, "a"], "hidden": "x", "theme": 3}')
    assert read_settings(tmp_path) == {"starred": ["a"], "hidden": []}
    (tmp_path / SETTINGS_FILE).write_text('{"starred": ')
    assert read_settings(tmp_path) == {}
    assert read_settings(tmp_path / "missing") == {}


@pytest.mark.slow
async def test_stars_hidden_columns_sort_and_theme_come_back(repo: Path) -> None:
    app = CatdogApp(Backend.discover(repo), show_machine=False)
    async with app.run_test(size=SIZE) as pilot:
        await highlight(pilot, app, "beta")
        await pilot.press("asterisk")
        await pilot.press("h")
        (await shown_input(pilot, app)).value = "score"
        await pilot.press("enter")
        await pilot.press("o")  # sort by the first column
        app.theme = "textual-light"
        starred, sort = set(app.view.starred), app.view.sort_column
        await wait_until(pilot, lambda: app.idle)
    again = CatdogApp(Backend.discover(repo), show_machine=False)
    async with again.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: bool(again.view.rows) and again.idle)
        assert again.view.starred == starred and again.view.hidden == {"score"}
        assert again.view.sort_column == sort and again.theme == "textual-light"
        assert "score" not in {str(key.value) for key in again.table.columns}
