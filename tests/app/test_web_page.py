"""`catdog-tui serve` in a real headless browser (Debian's Chromium driven by Playwright): the
experiments appear in the page, keys select one, and its charts are drawn."""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bench.fixtures import make_repo
from tests.test_serve import WHEN, free_port, served, stop

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

CHROMIUM = Path("/usr/bin/chromium")
WAIT_MS = 120_000  # a bound on a hung page, not a speed requirement (a slow CI machine)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (Debian's chromium)"
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None, reason="playwright is not installed"
    ),
]

# textual-serve's page keeps its xterm.js terminal in a closure, drawn on a canvas (WebGL): the
# page as served gets one line that hands the terminal to the test, whose buffer API then reads
# the screen as text, cell for cell.
TERMINAL_OPENS = "this.terminal.open(e)"
SCREEN_TEXT = """() => {
    const buffer = window.catdogTerminal.buffer.active;
    const lines = [];
    for (let y = 0; y < buffer.length; y++) lines.push(buffer.getLine(y).translateToString(true));
    return lines.join("\\n");
}"""


def expose_terminal(route: Route) -> None:
    response = route.fetch()
    script = response.text()
    assert script.count(TERMINAL_OPENS) == 1, "textual-serve's textual.js changed: update the hook"
    hooked = script.replace(
        TERMINAL_OPENS, f"(window.catdogTerminal=this.terminal),{TERMINAL_OPENS}"
    )
    route.fulfill(response=response, body=hooked)


def screen_showing(page: Page, *texts: str) -> str:
    """The terminal's text, once every one of `texts` is on it."""
    page.wait_for_function(
        f"texts => texts.every(t => ({SCREEN_TEXT})().includes(t))",
        arg=list(texts),
        timeout=WAIT_MS,
    )
    text: str = page.evaluate(f"({SCREEN_TEXT})()")
    return text


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_app_in_a_web_page(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    root = make_repo(tmp_path / "web-project", 3, when=WHEN)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with served(root, "--port", str(port)) as server, sync_playwright() as playwright:
        assert server.stdout is not None
        assert server.stdout.readline().endswith(f" at {url} (ctrl+c stops)\n")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            # Only the server is reached: the page also asks Google for a font, and tests never
            # touch the network.
            page.route(f"{url}/static/js/textual.js", expose_terminal)
            page.route(
                "**/*",
                lambda route: (
                    route.fallback() if route.request.url.startswith(url) else route.abort()
                ),
            )
            page.goto(url)
            shown = screen_showing(page, "exp-00000", "exp-00001", "exp-00002", "1 Plots")
            assert "Experiment" in shown and "Select experiments with space" in shown
            table_png = tmp_path / "experiments.png"
            page.screenshot(path=str(table_png))

            page.locator(".xterm-helper-textarea").focus()
            for key in ("j", "j", " "):
                page.keyboard.press(key)
            shown = screen_showing(page, "●", "eval/accuracy", "train/accuracy")
            # The row the keys selected is the one the charts' legends name.
            selected = next(line for line in shown.splitlines() if "●" in line).split()[2]
            assert selected.startswith("exp-")
            assert any("┤" in line and selected in line for line in shown.splitlines())
            chart_png = tmp_path / "chart.png"
            page.screenshot(path=str(chart_png))
            # Ctrl-C with the tab open: its app is told to quit and waited for, quietly.
            assert stop(server) == (0, "", "")
        finally:
            browser.close()

    for picture in (table_png, chart_png):
        assert png_size(picture) == (1400, 900)
        # Measured: a blank page of that size is 6 KB, textual-serve's page before an app
        # connects 16 KB, the app's screens 60 KB and more.
        assert picture.stat().st_size > 30_000, f"{picture} looks blank"
    assert table_png.read_bytes() != chart_png.read_bytes()
