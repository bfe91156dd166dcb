"""`catdog-tui serve` without a browser: its one-line errors, the URL it prints, its page, and
the websocket it refuses to other sites."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import aiohttp
import pytest

from bench.fixtures import make_repo
from tests.conftest import ROOT, VENV_BIN, run
from tui.serve import check_free

WHEN = 1_767_225_600  # fixed commit dates: the same revs on every run


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def served(root: Path, *args: str) -> Iterator[subprocess.Popen[str]]:
    """`catdog-tui serve ARGS` in its own process group, which the per-tab app processes share:
    the whole group is killed on the way out, whatever the test did."""
    process = subprocess.Popen(
        [str(VENV_BIN / "catdog-tui"), "-C", str(root), "serve", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()


def stop(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Ctrl-C, as a terminal sends it to the group; the exit code and what was printed since."""
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate()
    return process.returncode, out, err


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "served", 1, when=WHEN)


@pytest.mark.parametrize("port", ["abc", "0", "70000"])
def test_a_bad_port_is_one_line(repo: Path, port: str) -> None:
    done = run(["catdog-tui", "-C", str(repo), "serve", "--port", port], repo, check=False)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"catdog-tui: --port takes a number from 1 to 65535, not {port!r}\n"


def test_a_port_in_use_is_one_line(repo: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run(["catdog-tui", "-C", str(repo), "serve", "--port", str(port)], repo, check=False)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"catdog-tui: port {port} on 127.0.0.1 is in use: pick another with --port\n"
    )


def test_outside_a_repository_is_one_line(tmp_path: Path) -> None:
    done = run(["catdog-tui", "-C", str(tmp_path), "serve"], tmp_path, check=False)
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1
    assert "is not inside a DVC repository" in done.stderr


def test_loopback_is_told_from_every_address() -> None:
    assert check_free("127.0.0.1", free_port())
    assert check_free("localhost", free_port())
    assert not check_free("0.0.0.0", free_port())


async def test_prints_the_url_serves_the_page_and_refuses_other_sites(repo: Path) -> None:
    port = free_port()
    with served(repo, "--port", str(port)) as process:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = f"http://127.0.0.1:{port}"
        assert line == f"catdog-tui: serving {repo} at {url} (ctrl+c stops)\n"
        with urllib.request.urlopen(url) as response:
            page = response.read().decode()
        assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in page
        assert f"catdog-tui: {repo.name}" in page
        # A page of another site, or a name that only DNS points here (rebinding), never gets
        # to start an app: the handshake is refused before any process starts.
        async with aiohttp.ClientSession() as session:
            for headers in (
                {"Origin": "http://attacker.invalid"},
                {"Host": f"attacker.invalid:{port}", "Origin": f"http://attacker.invalid:{port}"},
            ):
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await session.ws_connect(f"{url}/ws", headers=headers)
                assert refused.value.status == 403
        code, out, err = stop(process)
    assert (code, out, err) == (0, "", "")


def test_a_host_other_machines_reach_is_warned_of(repo: Path) -> None:
    port = free_port()
    with served(repo, "--host", "0.0.0.0", "--port", str(port)) as process:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.readline() == (
            f"catdog-tui: serving {repo} at http://0.0.0.0:{port} (ctrl+c stops)\n"
        )
        assert process.stderr.readline() == (
            "catdog-tui: warning: 0.0.0.0 can be reached from other machines, and whoever "
            "opens the page can run and remove experiments here\n"
        )
        # The page names the address the browser used, not 0.0.0.0, which no browser reaches.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}") as response:
            assert f"ws://127.0.0.1:{port}/ws" in response.read().decode()
        assert stop(process)[0] == 0
