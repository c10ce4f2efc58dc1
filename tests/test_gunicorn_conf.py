"""gunicorn_conf.py under real gunicorn: keep-alive connections are closed after about SMN_KEEPALIVE_REQUESTS."""
from __future__ import annotations

import http.client

import pytest

from tests.auth.test_gunicorn_revocation import Gunicorn


def _requests_until_closed(port: int, most: int) -> int | None:
    """Requests served on one keep-alive connection until the server answered `Connection: close` (None: never)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        for number in range(1, most + 1):
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            if (response.getheader("Connection") or "").lower() == "close":
                return number
        return None
    finally:
        connection.close()


@pytest.fixture()
def gunicorn_with(settings, sandbox, tmp_path):
    started: list[Gunicorn] = []

    def start(keepalive_requests: str) -> Gunicorn:
        server = Gunicorn(settings, sandbox, tmp_path / f"gunicorn-{keepalive_requests}.log")
        server.env["SMN_KEEPALIVE_REQUESTS"] = keepalive_requests
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()


def test_a_keep_alive_connection_is_closed_after_its_limit(gunicorn_with):
    server = gunicorn_with("10")
    served = [_requests_until_closed(server.port, 40) for _ in range(6)]
    assert all(count is not None and 5 <= count < 15 for count in served), served


def test_no_limit_keeps_a_connection_open(gunicorn_with):
    server = gunicorn_with("0")
    assert _requests_until_closed(server.port, 60) is None
