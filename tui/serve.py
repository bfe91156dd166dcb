"""`catdog-tui serve`: the app in a web page, one app process per browser tab (textual-serve)."""

from __future__ import annotations

import errno
import ipaddress
import logging
import shlex
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import WSCloseCode, web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from tui.backend.errors import BackendError


def parse_port(text: str) -> int:
    """The port `--port` names; one line of error for anything else."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise BackendError(f"--port takes a number from 1 to 65535, not {text!r}")
    return port


def _addresses(host: str, port: int) -> list[tuple[Any, ...]]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise BackendError(
            f"--host {host}: {error.strerror}: give an address or name of this machine"
        ) from error
    return infos


def check_free(host: str, port: int) -> bool:
    """Bind every address `host` means, as the server will, and let go: a port taken is one line
    before the server starts, not aiohttp's traceback. True when every address is loopback."""
    loopback = True
    for family, kind, proto, _name, address in _addresses(host, port):
        loopback = loopback and ipaddress.ip_address(address[0].split("%")[0]).is_loopback
        with socket.socket(family, kind, proto) as probe:
            # As aiohttp binds: a port left in TIME_WAIT by a server just stopped is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    raise BackendError(
                        f"port {port} on {host} is in use: pick another with --port"
                    ) from error
                if error.errno == errno.EACCES:
                    raise BackendError(
                        f"port {port} needs privileges here: pick one above 1023 with --port"
                    ) from error
                raise BackendError(
                    f"cannot listen on {host} port {port}: {error.strerror}"
                ) from error
    return loopback


def url(host: str, port: int) -> str:
    """The address to open in a browser."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def app_command(root: Path) -> str:
    """The shell line textual-serve runs per browser tab: this interpreter's app for `root`."""
    return shlex.join([sys.executable, "-m", "tui", "-C", str(root)])


def _loopback_name(name: str | None) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name or "").is_loopback
    except ValueError:
        return False


class AppServer(Server):
    """textual-serve's server, with our start-up line, page URLs that follow the address the
    browser used, and a websocket (which starts an app that can run experiments) refused to
    other sites' pages."""

    def __init__(self, root: Path, host: str, port: int, *, loopback: bool) -> None:
        super().__init__(app_command(root), host=host, port=port, title=f"catdog-tui: {root.name}")
        self.public_url = url(host, port)
        self.loopback = loopback
        self.banner = f"catdog-tui: serving {root} at {self.public_url} (ctrl+c stops)"
        self.sessions: set[web.WebSocketResponse] = set()

    def initialize_logging(self) -> None:
        # Warnings and errors only (an app that fails to start): not a line per request.
        logging.basicConfig(level=logging.WARNING, format="catdog-tui serve: %(message)s")

    def serve(self, debug: bool = False) -> None:
        """Serve until Ctrl-C (or SIGTERM); the banner once the port accepts connections."""
        self.initialize_logging()
        # textual-serve prints its banner from on_startup, before the port is bound: a browser
        # (or a test) that follows it at once was refused. aiohttp's `print` comes after.
        web.run_app(
            self._make_app(),
            host=self.host,
            port=self.port,
            print=lambda _message: print(self.banner, flush=True),
        )

    async def on_startup(self, app: web.Application) -> None:
        pass  # textual-serve's logo and banner: ours is printed once the port is bound

    async def on_shutdown(self, app: web.Application) -> None:
        # aiohttp waits for open websockets before it stops (measured: 25 s with a tab open):
        # closing them ends each session as the browser's leaving would, its app told to quit.
        for websocket in list(self.sessions):
            await websocket.close(code=WSCloseCode.GOING_AWAY, message=b"server stopped")

    async def _process_messages(
        self, websocket: web.WebSocketResponse, app_service: AppService
    ) -> None:
        self.sessions.add(websocket)
        try:
            await super()._process_messages(websocket, app_service)
        finally:
            self.sessions.discard(websocket)
            # textual-serve never waits for the app's process: one ended by the Ctrl-C of the
            # terminal (its process group's) was reaped after the loop closed, with a warning or a
            # traceback; stop() waits for its output to end, wait() for the process itself.
            await app_service.stop()
            if app_service._process is not None:
                await app_service._process.wait()

    def _origin(self, request: web.Request) -> str:
        return f"{request.scheme}://{request.host}"

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        # textual-serve writes its own host into the page, which a browser elsewhere cannot
        # reach when it listens on 0.0.0.0: the address the browser used can.
        origin = self._origin(request)
        websocket = request.app.router["websocket"].url_for()
        static = request.app.router["static"].url_for(filename="/")
        return {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"ws{origin.removeprefix('http')}{websocket}",
            "config": {"static": {"url": f"{origin}{str(static).rstrip('/')}/"}},
            "application": {"name": self.title},
        }

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        # Browsers let any page open a websocket to localhost: a page from elsewhere must not
        # start an app here. A loopback server must also be asked for by a loopback name, or a
        # name that an attacker's DNS points at 127.0.0.1 would pass the origin check.
        origin = request.headers.get("Origin")
        if origin is not None and origin != self._origin(request):
            raise web.HTTPForbidden(text="catdog-tui serve: a page of another site")
        if self.loopback and not _loopback_name(request.url.host):
            raise web.HTTPForbidden(text="catdog-tui serve: not a loopback name")
        return await super().handle_websocket(request)


def serve(root: Path, host: str, port_text: str) -> int:
    """Serve the app for the repository at `root` until Ctrl-C."""
    port = parse_port(port_text)
    loopback = check_free(host, port)
    if not loopback:
        print(
            f"catdog-tui: warning: {host} can be reached from other machines, and whoever "
            "opens the page can run and remove experiments here",
            file=sys.stderr,
        )
    AppServer(root, host, port, loopback=loopback).serve()
    return 0
