"""smn.context: request ids and the per-request scope."""
from __future__ import annotations

import os
import uuid

import smn.context
from smn.context import bind_request, current_request_id, current_stats, new_request_id, unbind_request


def test_request_ids_are_distinct_version_4_uuids():
    ids = [new_request_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    for text in ids[:2_000]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_request_ids_draw_randomness_in_batches(monkeypatch):
    draws = []
    real = os.urandom
    monkeypatch.setattr(smn.context.os, "urandom", lambda n: draws.append(n) or real(n))
    monkeypatch.setattr(smn.context, "_request_ids", smn.context._RequestIds())
    ids = {new_request_id() for _ in range(1_000)}
    assert len(ids) == 1_000 and len(draws) == 4


def test_a_forked_child_does_not_repeat_its_parents_ids():
    new_request_id()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read)
        os.write(write, " ".join(new_request_id() for _ in range(10)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        childs = set(pipe.read().split())
    os.waitpid(child, 0)
    parents = {new_request_id() for _ in range(10)}
    assert len(childs) == 10 and not childs & parents


def test_binding_carries_the_id_and_fresh_stats_until_unbound():
    assert current_request_id() is None and current_stats() is None
    token = bind_request("req-context-1")
    try:
        stats = current_stats()
        stats.record_odoo_call(12.5)
        assert current_request_id() == "req-context-1"
        assert (stats.odoo_calls, stats.odoo_ms) == (1, 12.5)
    finally:
        unbind_request(token)
    assert current_request_id() is None and current_stats() is None
