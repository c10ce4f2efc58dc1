"""Stay up while Odoo is down: stale reads, the circuit breaker and the fresh cache, over real sockets.

Each test serves its own app (own Odoo client, so its own breaker) from a threaded
WSGI server on 127.0.0.1 and talks to it with urllib; the Odoo stand-in is reached
over real HTTP and broken with its fault switches.
"""
from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import psycopg2
import pytest

from smn.app import build_services, create_app
from smn.cache import reads
from tests.fixtures.auth import bearer
from tests.helpers.database_use import count_database_use

READ_TIMEOUT = 0.5


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes
    elapsed: float

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Smn:
    """One app instance over a real socket."""

    def __init__(self, settings) -> None:
        self.services = build_services(settings)
        self.app = create_app(settings, self.services)
        self.services.auth.state.ensure_started()
        assert self.services.auth.state.wait_ready(10) and self.services.auth.state.sync()
        self.server = make_server("127.0.0.1", 0, self.app, server_class=_Server, handler_class=_Quiet)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def breaker(self):
        return self.services.odoo.breaker

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        assert self.services.auth.state.sync()
        request = urllib.request.Request(self.base + path, headers=headers or {})
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Reply(response.status, response.headers, response.read(), time.monotonic() - started)
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.headers, error.read(), time.monotonic() - started)

    def flush(self) -> None:
        assert self.services.reads.writer.flush(5)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.services.reads.close()
        self.services.auth.close()
        self.services.odoo.close()
        self.services.database.close()


@pytest.fixture()
def start_smn(settings, smn_auth):
    started: list[Smn] = []

    def start(**overrides: Any) -> Smn:
        values = {"odoo_read_timeout": READ_TIMEOUT, "odoo_breaker_failures": 50, "odoo_breaker_cooldown": 0.5,
                  "fresh_cache_ttl": "", "snapshot_flush_interval": 0.05, **overrides}
        smn = Smn(settings.replace(**values))
        started.append(smn)
        return smn

    yield start
    for smn in started:
        smn.close()


@pytest.fixture()
def reader(make_client, token_for):
    """Bearer headers of a fresh client holding products:read."""
    return lambda *scopes: bearer(token_for(make_client(scopes or ("products:read",))))


def _assert_stale(reply: Reply, fresh: Reply, detail: str = "odoo-unavailable") -> None:
    assert reply.status == 200, reply.body
    assert reply.body == fresh.body
    assert int(reply.headers["Age"]) >= 0
    status = reply.headers["Cache-Status"]
    assert status.startswith("smn; ") and f"detail={detail}" in status, status
    found = re.fullmatch(r"smn; (hit|fwd=stale); ttl=(-?\d+); detail=([a-z-]+)", status)
    assert found, status
    assert found[1] == ("hit" if detail == "circuit-open" else "fwd=stale"), status
    assert int(found[2]) == -int(reply.headers["Age"]) and found[3] == detail


def _assert_unavailable(reply: Reply) -> None:
    assert reply.status == 503, reply.body
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.headers["Retry-After"]
    assert reply.json["type"] == "/problems/odoo-unavailable"
    assert re.fullmatch(r"smn; fwd=miss; detail=(odoo-unavailable|odoo-timeout|circuit-open)",
                        reply.headers["Cache-Status"])


def test_down_odoo_serves_the_last_known_good_list_and_item(start_smn, reader, sandbox, json_logs) -> None:
    smn = start_smn()
    headers = reader()
    fresh_list = smn.get("/v1/products?limit=3&offset=0", headers)
    fresh_item = smn.get("/v1/products/5", headers)
    assert fresh_list.status == fresh_item.status == 200
    assert fresh_item.headers["Cache-Status"] == "smn; fwd=miss; stored"
    smn.flush()
    sandbox.go_down()

    _assert_stale(smn.get("/v1/products?offset=0&limit=3", headers), fresh_list)  # same query, other order
    stale_item = smn.get("/v1/products/5", headers)
    _assert_stale(stale_item, fresh_item)
    assert stale_item.headers["ETag"] == fresh_item.headers["ETag"]
    not_modified = smn.get("/v1/products/5", {**headers, "If-None-Match": fresh_item.headers["ETag"]})
    assert not_modified.status == 304 and not_modified.body == b""
    _assert_unavailable(smn.get("/v1/products?limit=4", headers))
    _assert_unavailable(smn.get("/v1/products/6", headers))

    access = [line for line in json_logs.lines() if line.get("message") == "request" and "cache" in line]
    assert {line["cache"] for line in access} >= {"miss", "stale"}
    assert all(line["circuit"] in ("closed", "open", "half-open") for line in access)


def test_a_proxy_error_page_counts_as_down(start_smn, reader, sandbox) -> None:
    smn = start_smn()
    headers = reader()
    fresh = smn.get("/v1/products/7", headers)
    sandbox.set_proxy_error(502)
    _assert_stale(smn.get("/v1/products/7", headers), fresh)
    _assert_unavailable(smn.get("/v1/products/8", headers))


def test_slow_odoo_is_stale_or_503_within_about_the_timeout(start_smn, reader, sandbox) -> None:
    smn = start_smn()
    headers = reader()
    fresh = smn.get("/v1/products?limit=2", headers)
    sandbox.set_latency(READ_TIMEOUT + 2.0)
    stale = smn.get("/v1/products?limit=2", headers)
    _assert_stale(stale, fresh, "odoo-timeout")
    missing = smn.get("/v1/products?limit=5", headers)
    _assert_unavailable(missing)
    assert stale.elapsed < READ_TIMEOUT + 1.5 and missing.elapsed < READ_TIMEOUT + 1.5


def test_breaker_opens_then_answers_without_touching_odoo_then_probes_and_closes(
        start_smn, reader, sandbox) -> None:
    smn = start_smn(odoo_breaker_failures=3, odoo_breaker_cooldown=3.0)
    changes: list[tuple[str, str]] = []
    smn.breaker.on_change(lambda old, new: changes.append((old, new)))
    headers = reader()
    fresh = smn.get("/v1/products/5", headers)
    sandbox.set_latency(READ_TIMEOUT + 0.5)
    for _ in range(3):
        smn.get("/v1/products/5", headers)
    assert smn.breaker.state == "open"
    assert smn.get("/readyz").json["circuit"]["state"] == "open"

    sandbox.clear_faults()
    time.sleep(READ_TIMEOUT + 0.6)  # let the stand-in finish the slow requests it still holds
    seen_calls, seen_requests = len(sandbox.calls), len(sandbox.received_headers)
    stale = smn.get("/v1/products/5", headers)
    _assert_stale(stale, fresh, "circuit-open")
    _assert_unavailable(smn.get("/v1/products/9", headers))
    assert stale.elapsed < 0.5  # generous: nothing waits on Odoo while the circuit is open
    assert (len(sandbox.calls), len(sandbox.received_headers)) == (seen_calls, seen_requests)

    time.sleep(smn.breaker.describe()["retry_in"] + 0.1)
    probed = smn.get("/v1/products/5", headers)
    assert probed.status == 200 and probed.headers["Cache-Status"] == "smn; fwd=miss; stored"
    assert smn.breaker.state == "closed"
    assert changes == [("closed", "open"), ("open", "half-open"), ("half-open", "closed")]
    ready = smn.get("/readyz").json
    assert ready["circuit"] == {"state": "closed", "failures": 0}


def test_a_copy_is_never_served_to_another_client_or_other_scopes(start_smn, make_client, token_for,
                                                                   sandbox) -> None:
    smn = start_smn()
    acme = make_client(["products:read", "orders:read"])
    other = make_client(["products:read", "orders:read"])
    acme_all = bearer(token_for(acme))
    fresh = smn.get("/v1/products/5", acme_all)
    smn.flush()
    sandbox.go_down()
    _assert_stale(smn.get("/v1/products/5", acme_all), fresh)
    _assert_unavailable(smn.get("/v1/products/5", bearer(token_for(other))))
    _assert_unavailable(smn.get("/v1/products/5", bearer(token_for(acme, ["products:read"]))))


def test_a_copy_survives_a_restart(start_smn, reader, sandbox) -> None:
    first = start_smn()
    headers = reader()
    fresh = first.get("/v1/products?limit=2&active=true", headers)
    first.close()  # a clean stop flushes the write-behind queue
    sandbox.go_down()
    second = start_smn()
    _assert_stale(second.get("/v1/products?active=true&limit=2", headers), fresh)


def test_a_newer_copy_is_never_replaced_by_an_older_one(start_smn, reader, settings) -> None:
    smn = start_smn()
    headers = reader()
    smn.get("/v1/products/5", headers)
    smn.flush()
    writer = smn.services.reads.writer
    (key, client_id, _stored_at), = _snapshot_rows(settings.database_url, "/v1/products/5", headers)
    older = smn.services.reads.store.get(key)
    from smn.cache.snapshots import CachedResponse, Snapshot

    writer.submit(Snapshot(key, client_id, "/v1/products/5",
                           CachedResponse(older.content_type, b"{}", older.stored_at - 60, None, {})))
    smn.flush()
    assert smn.services.reads.store.get(key).body == older.body


def _snapshot_rows(database_url: str, path: str, headers: dict[str, str]) -> list[tuple]:
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT cache_key, client_id, extract(epoch FROM stored_at) FROM read_snapshots"
                        " WHERE path = %s ORDER BY stored_at DESC LIMIT 1", (path,))
            return cur.fetchall()
    finally:
        conn.close()


@contextmanager
def _count_database_use(monkeypatch, smn: Smn) -> Iterator[list[str]]:
    """Count database use by the threads serving requests.

    Background threads (revocation listener, rate-limit leases, snapshot writer) use
    the database by design, on their own schedule, so only uses made while a request
    is being served count.
    """
    serving = threading.local()
    app = smn.server.get_app()

    def marked_app(environ: dict, start_response: Any) -> Any:
        serving.active = True
        try:
            return list(app(environ, start_response))
        finally:
            serving.active = False

    used = count_database_use(monkeypatch, lambda: getattr(serving, "active", False))
    smn.server.set_app(marked_app)
    try:
        yield used
    finally:
        smn.server.set_app(app)
        monkeypatch.undo()


def test_a_fresh_hit_makes_no_database_query_and_no_odoo_call(start_smn, reader, sandbox, monkeypatch) -> None:
    smn = start_smn(fresh_cache_ttl="products=30")
    headers = reader()
    first = smn.get("/v1/products/5", headers)
    assert first.headers["Cache-Status"] == "smn; fwd=miss; stored"
    smn.flush()
    assert smn.services.auth.state.sync()
    sandbox.calls.clear()
    seen_requests = len(sandbox.received_headers)
    request = urllib.request.Request(smn.base + "/v1/products/5", headers=headers)
    hashed: list[object] = []
    monkeypatch.setattr(reads, "snapshot_key", lambda key: hashed.append(key) or "")
    with _count_database_use(monkeypatch, smn) as used:
        with urllib.request.urlopen(request, timeout=10) as response:
            hit_headers, hit_body = response.headers, response.read()
        not_modified = urllib.request.Request(
            smn.base + "/v1/products/5", headers={**headers, "If-None-Match": first.headers["ETag"]})
        with pytest.raises(urllib.error.HTTPError) as revalidated:
            urllib.request.urlopen(not_modified, timeout=10)
    assert used == [] and hashed == [], "a fresh hit neither queries nor hashes a snapshot key"
    assert sandbox.calls == [] and len(sandbox.received_headers) == seen_requests
    assert hit_body == first.body and hit_headers["ETag"] == first.headers["ETag"]
    assert hit_headers["Cache-Status"].startswith("smn; hit; ttl=") and int(hit_headers["Age"]) >= 0
    assert revalidated.value.code == 304


def test_fresh_cache_is_per_client_and_off_for_other_resources(start_smn, reader, sandbox) -> None:
    smn = start_smn(fresh_cache_ttl="products=30")
    first, second = reader(), reader()
    assert smn.get("/v1/products/5", first).headers["Cache-Status"] == "smn; fwd=miss; stored"
    assert smn.get("/v1/products/5", second).headers["Cache-Status"] == "smn; fwd=miss; stored"
    assert smn.get("/v1/products/5", first).headers["Cache-Status"].startswith("smn; hit")
    stock = reader()
    assert smn.get("/v1/products/5/stock", stock).headers["Cache-Status"] == "smn; fwd=miss; stored"
    assert smn.get("/v1/products/5/stock", stock).headers["Cache-Status"] == "smn; fwd=miss; stored"


def test_ndjson_exports_bypass_the_caches(start_smn, reader) -> None:
    smn = start_smn()
    reply = smn.get("/v1/products", {**reader(), "Accept": "application/x-ndjson"})
    assert reply.status == 200 and reply.headers["Cache-Status"] == "smn; fwd=bypass"
