"""Browser-test plumbing: the app over real HTTP on a loopback port, and Debian's headless Chromium.

Fixtures `live_url` and `chromium` (module scope) are registered for every test by tests/conftest.py.
"""
from __future__ import annotations

import socketserver
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import falcon
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """The access log middleware already records requests."""


@contextmanager
def live_server(app: falcon.App, name: str) -> Iterator[str]:
    """Serve `app` from a thread on a free 127.0.0.1 port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def headless_chromium() -> Iterator[Any]:
    """A Playwright Browser on the system Chromium; fails the test (never downloads one) when it is missing."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium package "
                    "(sudo apt-get install chromium); the browser tests need it and never download one")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def live_url(app: falcon.App) -> Iterator[str]:
    """The session's app over real HTTP on a free loopback port."""
    with live_server(app, "live-server") as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with headless_chromium() as browser:
        yield browser
