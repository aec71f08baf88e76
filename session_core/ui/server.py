"""The HTTP side of the run browser: the standard library's threading server, GET only.

What it serves: ``/`` (the page), ``/static/app.js`` and ``/static/app.css`` (shipped in the
package), and the JSON API under ``/api/`` (:mod:`session_core.ui.api`). Every other method is
answered 405: nothing can be written through it.

Every answer carries a strict Content-Security-Policy (scripts only from this origin, no inline
script, no inline style, no other origin at all), ``nosniff`` and ``no-referrer``. A request
whose ``Host`` header names another host is refused (400): a web page whose DNS name was made to
point at 127.0.0.1 ("DNS rebinding") cannot read the history through the visitor's browser.
"""

from __future__ import annotations

import json
import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from .api import Api

if TYPE_CHECKING:
    from session_core.store import SessionStore

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
#: URL path -> (file in ``static/``, content type)
ASSETS = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/static/app.css": ("app.css", "text/css; charset=utf-8"),
}


def load_assets() -> dict[str, tuple[bytes, str]]:
    """The page's files, read once from the installed package."""
    folder = files(__package__).joinpath("static")
    return {path: (folder.joinpath(name).read_bytes(), kind) for path, (name, kind) in ASSETS.items()}


class BrowserServer(ThreadingHTTPServer):
    """A threading HTTP server that holds the API, the assets and the accepted Host names."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], api: Api) -> None:
        super().__init__(address, RequestHandler)
        self.api = api
        self.assets = load_assets()
        host, port = self.server_address[:2]
        names = {str(host), "localhost", LOOPBACK} if host in (LOOPBACK, "localhost") else {str(host)}
        self.allowed_hosts = {f"{name}:{port}" for name in names}

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def accepts_host(self, header: str | None) -> bool:
        """True for the Host names this server answers to; everything is accepted on a non-loopback
        bind chosen by the user, who then reaches it by whatever name points at it."""
        if self.server_address[0] not in (LOOPBACK, "localhost"):
            return True
        return header is not None and header.lower() in self.allowed_hosts


class RequestHandler(BaseHTTPRequestHandler):
    server: BrowserServer
    server_version = "session-core-ui"
    sys_version = ""

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _refuse_method(self) -> None:
        self._send(HTTPStatus.METHOD_NOT_ALLOWED, _json({"error": {"type": "MethodNotAllowed",
                   "message": "the run browser is read-only: only GET and HEAD"}}),
                   "application/json", True, {"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse_method

    def _answer(self, send_body: bool) -> None:
        if not self.server.accepts_host(self.headers.get("Host")):
            body = _json({"error": {"type": "BadHost", "message": "open the page at " + self.server.url}})
            self._send(HTTPStatus.BAD_REQUEST, body, "application/json", send_body)
            return
        url = urlsplit(self.path)
        if url.path.startswith("/api/"):
            status, answer = self.server.api.answer(url.path, parse_qs(url.query, keep_blank_values=True))
            self._send(status, _json(answer), "application/json", send_body, {"Cache-Control": "no-store"})
            return
        asset = self.server.assets.get(url.path)
        if asset is None:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8", send_body)
            return
        self._send(HTTPStatus.OK, asset[0], asset[1], send_body, {"Cache-Control": "no-cache"})

    def _send(self, status: int, body: bytes, kind: str, send_body: bool, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")


def make_server(store: SessionStore, host: str = LOOPBACK, port: int = 0) -> BrowserServer:
    """A server bound to ``host:port`` (port 0: any free port), not yet serving.

    Raises:
        OSError: the address is taken or cannot be bound.
    """
    return BrowserServer((host, port), Api(store))


def serve_in_thread(server: BrowserServer) -> threading.Thread:
    """Serve on a daemon thread (tests, scripts); stop with ``server.shutdown()``."""
    thread = threading.Thread(target=server.serve_forever, name="session-core-ui", daemon=True)
    thread.start()
    return thread
