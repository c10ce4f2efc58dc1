"""Built endpoints' resource and registry, without HTTP: the read cache, write mapping and the request-path checks."""
from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Callable

import pytest
from marshmallow import ValidationError

from smn.builder import resource as resource_module
from smn.builder.definitions import Definition, FieldSpec
from smn.builder.registry import EndpointRegistry
from smn.builder.resource import BuiltEndpointResource, to_odoo
from smn.process import current_pid


def counting_reads() -> tuple[list, Callable[[object], Callable[[], dict]]]:
    """(keys produced so far, read(key) -> a producer that records its key)."""
    produced: list = []

    def read(key: object) -> Callable[[], dict]:
        def produce() -> dict:
            produced.append(key)
            return {"key": key}
        return produce

    return produced, read


def test_a_full_read_cache_drops_the_least_recently_used_entry_only():
    endpoint = BuiltEndpointResource(registry=None, odoo=None, api=None)
    definition = Definition(slug="things", model="x.thing", fields=(), cache_ttl=60)
    produced, read = counting_reads()
    size = endpoint.cache.max_entries
    for record_id in range(size):
        endpoint._cached(definition, ("get", record_id), read(record_id))
    assert endpoint._cached(definition, ("get", 0), read(0)) == {"key": 0}  # a hit, now the most recent
    endpoint._cached(definition, ("get", size), read(size))  # one more than fits

    produced.clear()
    assert endpoint._cached(definition, ("get", 0), read(0)) == {"key": 0}
    assert endpoint._cached(definition, ("get", 2), read(2)) == {"key": 2}
    assert produced == []  # still cached: only the least recently used entry went
    endpoint._cached(definition, ("get", 1), read(1))
    assert produced == [1]
    assert len(endpoint.cache) == size


def test_the_read_cache_is_keyed_by_version_and_skipped_without_a_ttl():
    endpoint = BuiltEndpointResource(registry=None, odoo=None, api=None)
    produced, read = counting_reads()
    v1 = Definition(slug="things", model="x.thing", fields=(), cache_ttl=60, version=1)
    v2 = Definition(slug="things", model="x.thing", fields=(), cache_ttl=60, version=2)
    uncached = Definition(slug="things", model="x.thing", fields=(), cache_ttl=0, version=3)
    for definition in (v1, v1, v2, v2, uncached, uncached):
        endpoint._cached(definition, ("list", 50, 0), read(definition.version))
    assert produced == [1, 2, 3, 3]


def test_writes_map_partner_names_through_a_lookup_built_once():
    definition = Definition(slug="orders", model="sale.order", fields=(
        FieldSpec("title", "name", "char", True), FieldSpec("placed", "date_order", "datetime", True)))
    assert definition.fields_by_name is definition.fields_by_name
    assert definition.fields_by_name == {"title": definition.fields[0], "placed": definition.fields[1]}
    placed = datetime(2024, 5, 1, 12, 30, tzinfo=timezone.utc)
    assert to_odoo(definition, {"title": None, "placed": placed}) == {"name": False,
                                                                      "date_order": "2024-05-01 12:30:00"}
    same = Definition(slug="orders", model="sale.order", fields=definition.fields)
    assert same == definition and hash(same) == hash(definition)  # the cached lookup is not part of equality


class _NoWait(threading.Event):
    def wait(self, timeout: float | None = None) -> bool:
        raise AssertionError("get() waited although the definitions are loaded")


class _NoLock:
    def __enter__(self) -> None:
        raise AssertionError("get() took the lock although the listener runs in this process")

    def __exit__(self, *exc: object) -> None:
        return None


def started_registry(loaded: threading.Event) -> EndpointRegistry:
    """A registry whose listener counts as running in this process (no database needed)."""
    registry = EndpointRegistry(store=None, resync_interval=3600)
    registry._thread = object()
    registry._pid = current_pid()
    registry._lock = _NoLock()
    registry._loaded = loaded
    return registry


def test_registry_reads_take_no_lock_and_no_wait_once_loaded():
    loaded = _NoWait()
    loaded.set()
    registry = started_registry(loaded)
    definition = Definition(slug="things", model="x.thing", fields=())
    registry._definitions = {"things": definition}
    assert registry.get("things") is definition
    assert registry.all() == [definition]


def test_registry_still_waits_for_the_first_load():
    waits: list[float | None] = []

    class Recording(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            waits.append(timeout)
            return False

    registry = started_registry(Recording())
    assert registry.get("things") is None
    assert waits == [5.0]


def test_item_reads_build_no_schema_per_request(monkeypatch):
    """The item GET's empty query schema is built at import, not on every request."""

    class Refusing:
        @classmethod
        def from_dict(cls, *args: object, **kwargs: object) -> None:
            raise AssertionError("a Schema class was built on the request path")

    checked: list = []
    monkeypatch.setattr(resource_module, "Schema", Refusing)
    monkeypatch.setattr(resource_module, "parse_query", lambda req, schema: checked.append(schema))
    monkeypatch.setattr(resource_module, "send_etagged", lambda req, resp, body: None)
    endpoint = BuiltEndpointResource(registry=None, odoo=None, api=None)
    definition = Definition(slug="things", model="x.thing", fields=(), operations=("get",))
    monkeypatch.setattr(endpoint, "_definition", lambda req, slug, operation: definition)
    monkeypatch.setattr(endpoint, "_through_reads", lambda req, resp, slug, produce: None)
    endpoint.on_get_item(None, None, "things", 1)
    endpoint.on_get_item(None, None, "things", 2)
    assert len(checked) == 2 and checked[0] is checked[1]
    with pytest.raises(ValidationError):
        checked[0].load({"colour": "red"})  # still strict: unknown query parameters are refused
