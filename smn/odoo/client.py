"""The one Odoo client: JSON-RPC (``/jsonrpc`` execute_kw) or JSON-2 (``/json/2``).

One client per worker process is shared by all of its threads. It keeps a
bounded pool of keep-alive connections and never retries on its own: a
``create`` that timed out may well have been committed, so only the caller
knows whether trying again is safe. The one exception is a JSON-RPC call
refused with AccessDenied after the cached uid went stale (the password or
key was changed): Odoo checks credentials before running the method, so
authenticating again and repeating that call once cannot duplicate work.
"""
from __future__ import annotations

import importlib.metadata
import itertools
import json
import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import quote

import urllib3
from urllib3.connectionpool import connection_from_url
from urllib3.exceptions import (
    ConnectTimeoutError,
    EmptyPoolError,
    HTTPError,
    NameResolutionError,
    NewConnectionError,
    ReadTimeoutError,
)

import smn
from smn.context import REQUEST_ID_HEADER, current_request_id, current_stats, is_sane_request_id
from smn.odoo.breaker import CircuitBreaker
from smn.odoo.bulkhead import Bulkhead
from smn.odoo.errors import (
    OdooAuthenticationError,
    OdooError,
    OdooProtocolError,
    OdooServerError,
    OdooTimeout,
    OdooUnavailable,
    error_from_payload,
)

if TYPE_CHECKING:
    from smn.settings import Settings

log = logging.getLogger("smn.odoo")

PROTOCOLS = ("auto", "jsonrpc", "json2")
UNAVAILABLE_STATUSES = frozenset({502, 503, 504})
MIN_REDACTED_SECRET = 8
"""Shorter secrets (demo passwords such as "admin") would mangle ordinary words."""

JSON2_POSITIONAL: dict[str, tuple[str, ...]] = {
    "search_read": ("domain", "fields", "offset", "limit", "order"),
    "search": ("domain", "offset", "limit", "order"),
    "search_count": ("domain", "limit"),
    "read": ("ids", "fields", "load"),
    "write": ("ids", "vals"),
    "create": ("vals_list",),
    "unlink": ("ids",),
    "fields_get": ("allfields", "attributes"),
    "name_search": ("name", "domain", "operator", "limit"),
}
"""Names of the positional execute_kw arguments; other methods take ``ids`` first."""

_NOT_JSON = object()


def _smn_version() -> str:
    version = getattr(smn, "__version__", None)
    if version:
        return str(version)
    try:
        return importlib.metadata.version("smn")
    except importlib.metadata.PackageNotFoundError:
        return "dev"


def json2_body(method: str, args: list, kwargs: dict) -> tuple[dict, bool]:
    """Turn execute_kw's positional and keyword arguments into a JSON-2 body.

    Returns the body and whether ``create`` got a single dict, whose one-id
    answer the caller unwraps to an int as JSON-RPC does.
    """
    names = JSON2_POSITIONAL.get(method, ("ids",))
    if len(args) > len(names):
        raise TypeError(f"{method}: JSON-2 takes at most {len(names)} positional argument(s) {names}; "
                        "pass the others as keyword arguments")
    body = dict(zip(names, args))
    clash = body.keys() & kwargs.keys()
    if clash:
        raise TypeError(f"{method}: {', '.join(sorted(clash))} given both positionally and by keyword")
    body.update(kwargs)
    single = method == "create" and isinstance(body.get("vals_list"), dict)
    if single:
        body["vals_list"] = [body["vals_list"]]
    if isinstance(body.get("ids"), int):
        body["ids"] = [body["ids"]]
    return body, single


def _id_list(ids: int | list[int]) -> list[int]:
    return [ids] if isinstance(ids, int) else list(ids)


class OdooClient:
    """Thread-safe Odoo client over one bounded keep-alive connection pool."""

    def __init__(self, url: str, database: str, login: str, *, password: str | None = None,
                 api_key: str | None = None, protocol: str = "auto", connect_timeout: float = 3.0,
                 read_timeout: float = 15.0, pool_size: int = 16, breaker: CircuitBreaker | None = None,
                 bulkhead: Bulkhead | None = None) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")
        if not (password or api_key):
            raise ValueError("OdooClient needs a password or an API key")
        if protocol == "json2" and not api_key:
            raise ValueError("the json2 protocol needs an API key")
        parsed = urllib3.util.parse_url(url)
        self._base_path = (parsed.path or "").rstrip("/")
        self._where = f"{parsed.host}:{parsed.port or ''}".rstrip(":")
        self._database = database
        self._login = login
        self._password = password
        self._api_key = api_key
        self._connect_timeout = connect_timeout
        self._default_timeouts = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
        # At least a connection per bulkhead slot: a call the bulkhead admitted must not then wait for a
        # connection, and time out as if Odoo were slow (which would count against Odoo in the breaker).
        self._pool = connection_from_url(
            url, maxsize=max(pool_size, bulkhead.limit if bulkhead is not None else 0), block=True, retries=False,
            timeout=self._default_timeouts)
        self._resolved: str | None = None if protocol == "auto" else protocol
        self._protocol_lock = threading.Lock()
        self._uid: int | None = None
        self._auth_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._user_agent = f"smn/{_smn_version()}"
        self.breaker = breaker or CircuitBreaker()
        # The per-process cap on calls in flight (None: no cap).
        self.bulkhead = bulkhead
        # The metrics hook, call_observer(model, method, outcome, elapsed_seconds) after each round trip.
        self.call_observer: Callable[[str, str, str, float], None] | None = None

    @classmethod
    def from_settings(cls, settings: "Settings") -> "OdooClient":
        if not settings.odoo_url:
            raise ValueError("SMN_ODOO_URL is not set")
        return cls(settings.odoo_url, settings.odoo_database, settings.odoo_login,
                   password=settings.odoo_password, api_key=settings.odoo_api_key,
                   protocol=settings.odoo_protocol, connect_timeout=settings.odoo_connect_timeout,
                   read_timeout=settings.odoo_read_timeout, pool_size=settings.odoo_pool_size,
                   breaker=CircuitBreaker(settings.odoo_breaker_failures, settings.odoo_breaker_cooldown),
                   bulkhead=Bulkhead(settings.odoo_max_concurrency, settings.odoo_bulkhead_wait))

    def __enter__(self) -> "OdooClient":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        self._pool.close()

    @property
    def protocol(self) -> str:
        """The protocol in use; "auto" asks the server's version on first use."""
        return self._resolved or self._resolve_protocol(None)

    def version(self, timeout: float | None = None) -> dict:
        """common.version over /jsonrpc; needs no credentials (readiness probes)."""
        return self._jsonrpc("common", "version", [], ("common", "version"), timeout)

    def execute_kw(self, model: str, method: str, args: list | None = None, kwargs: dict | None = None,
                   *, timeout: float | None = None) -> Any:
        args, kwargs = list(args or []), dict(kwargs or {})
        protocol = self._resolved or self._resolve_protocol(timeout)
        if protocol == "json2":
            return self._json2_execute(model, method, args, kwargs, timeout)
        return self._jsonrpc_execute(model, method, args, kwargs, timeout)

    def search_read(self, model: str, domain: list | None = None, fields: list[str] | None = None, *,
                    offset: int = 0, limit: int | None = None, order: str | None = None) -> list[dict]:
        options = {"fields": fields, "offset": offset or None, "limit": limit, "order": order}
        return self.execute_kw(model, "search_read", [domain or []],
                               {key: value for key, value in options.items() if value is not None})

    def search_count(self, model: str, domain: list | None = None) -> int:
        return self.execute_kw(model, "search_count", [domain or []])

    def read(self, model: str, ids: int | list[int], fields: list[str] | None = None) -> list[dict]:
        return self.execute_kw(model, "read", [_id_list(ids)], {"fields": fields} if fields else {})

    def create(self, model: str, values: dict) -> int:
        return self.execute_kw(model, "create", [values])

    def write(self, model: str, ids: int | list[int], values: dict) -> bool:
        return self.execute_kw(model, "write", [_id_list(ids), values])

    def fields_get(self, model: str, attributes: list[str] | None = None) -> dict:
        return self.execute_kw(model, "fields_get", [], {"attributes": attributes} if attributes else {})

    def call(self, model: str, method: str, ids: int | list[int], **kwargs: Any) -> Any:
        """Call a record method, e.g. ``call("sale.order", "action_confirm", [26])``."""
        return self.execute_kw(model, method, [_id_list(ids)], kwargs)

    def _resolve_protocol(self, timeout: float | None) -> str:
        with self._protocol_lock:
            if self._resolved is None:
                self._resolved = self._detect_protocol(timeout)
            return self._resolved

    def _detect_protocol(self, timeout: float | None) -> str:
        if not self._api_key:
            return "jsonrpc"
        info = self.version(timeout)
        major = (info.get("server_version_info") or [0])[0] if isinstance(info, dict) else 0
        return "json2" if isinstance(major, int) and major >= 19 else "jsonrpc"

    def _jsonrpc_execute(self, model: str, method: str, args: list, kwargs: dict,
                         timeout: float | None) -> Any:
        uid, fresh = self._ensure_uid(timeout)
        try:
            return self._execute(uid, model, method, args, kwargs, timeout)
        except OdooAuthenticationError as exc:
            if fresh or exc.odoo_name != "odoo.exceptions.AccessDenied":
                raise
            self._forget_uid(uid)
            uid, _ = self._ensure_uid(timeout)
            return self._execute(uid, model, method, args, kwargs, timeout)

    def _execute(self, uid: int, model: str, method: str, args: list, kwargs: dict,
                 timeout: float | None) -> Any:
        call_args = [self._database, uid, self._secret, model, method, args, kwargs]
        return self._jsonrpc("object", "execute_kw", call_args, (model, method), timeout)

    @property
    def _secret(self) -> str:
        """Odoo accepts an API key wherever it accepts the password."""
        return self._api_key or self._password or ""

    def _ensure_uid(self, timeout: float | None) -> tuple[int, bool]:
        """The cached uid, authenticating once even when threads race; True if just obtained."""
        uid = self._uid
        if uid is not None:
            return uid, False
        with self._auth_lock:
            if self._uid is not None:
                return self._uid, False
            self._uid = self._authenticate(timeout)
            return self._uid, True

    def _forget_uid(self, uid: int) -> None:
        with self._auth_lock:
            if self._uid == uid:
                self._uid = None

    def _authenticate(self, timeout: float | None) -> int:
        args = [self._database, self._login, self._secret, {}]
        uid = self._jsonrpc("common", "authenticate", args, ("common", "authenticate"), timeout)
        if isinstance(uid, bool) or not isinstance(uid, int):
            raise OdooAuthenticationError(
                f"Odoo refused SMN's credentials on database {self._database!r} (authenticate returned false)")
        return uid

    def _jsonrpc(self, service: str, method: str, args: list, label: tuple[str, str],
                 timeout: float | None) -> Any:
        body = {"jsonrpc": "2.0", "method": "call", "id": next(self._ids),
                "params": {"service": service, "method": method, "args": args}}
        return self._exchange("/jsonrpc", body, {}, label, "jsonrpc", timeout)

    def _json2_execute(self, model: str, method: str, args: list, kwargs: dict,
                       timeout: float | None) -> Any:
        body, single = json2_body(method, args, kwargs)
        headers = {"Authorization": f"bearer {self._api_key}", "X-Odoo-Database": self._database}
        path = f"/json/2/{quote(model, safe='')}/{quote(method, safe='')}"
        result = self._exchange(path, body, headers, (model, method), "json2", timeout)
        if single and isinstance(result, list) and len(result) == 1:
            return result[0]
        return result

    def _exchange(self, path: str, body: Any, headers: dict[str, str], label: tuple[str, str],
                  protocol: str, timeout: float | None) -> Any:
        """One HTTP round trip through the circuit breaker (refused at once while it is open)."""
        if self.bulkhead is None:
            return self.breaker.call(lambda: self._timed_exchange(path, body, headers, label, protocol, timeout))
        # Outside the breaker: a call refused for want of a slot says nothing about Odoo's health.
        with self.bulkhead.slot():
            return self.breaker.call(lambda: self._timed_exchange(path, body, headers, label, protocol, timeout))

    def _timed_exchange(self, path: str, body: Any, headers: dict[str, str], label: tuple[str, str],
                        protocol: str, timeout: float | None) -> Any:
        """One HTTP round trip, timed into the request's stats and the debug log."""
        started = time.perf_counter()
        status: int | None = None
        outcome = "ok"
        try:
            response = self._send(path, body, headers, timeout)
            status = response.status
            return self._decode(response, protocol, path)
        except BaseException as exc:
            outcome = type(exc).__name__
            raise
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000.0
            stats = current_stats()
            if stats is not None:
                stats.record_odoo_call(elapsed_ms)
            if self.call_observer is not None:
                self.call_observer(label[0], label[1], outcome, elapsed_ms / 1000.0)
            log.debug("odoo %s %s.%s status=%s outcome=%s %.1f ms",
                      protocol, label[0], label[1], status, outcome, elapsed_ms)

    def _send(self, path: str, body: Any, headers: dict[str, str],
              timeout: float | None) -> urllib3.BaseHTTPResponse:
        timeouts = self._timeouts(timeout)
        try:
            return self._pool.urlopen(
                "POST", self._base_path + path, body=json.dumps(body).encode(),
                headers=self._headers(headers), timeout=timeouts, pool_timeout=timeouts.read_timeout,
                retries=False, redirect=False)
        except HTTPError as exc:
            raise self._transport_error(exc, timeouts) from exc

    def _timeouts(self, timeout: float | None) -> urllib3.Timeout:
        if timeout is None:
            return self._default_timeouts
        return urllib3.Timeout(connect=min(self._connect_timeout, timeout), read=timeout)

    def _headers(self, extra: dict[str, str]) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json",
                   "User-Agent": self._user_agent, **extra}
        request_id = current_request_id()
        if is_sane_request_id(request_id):
            headers[REQUEST_ID_HEADER] = request_id
        return headers

    def _transport_error(self, exc: HTTPError, timeouts: urllib3.Timeout) -> OdooError:
        """Describe a network failure without the URL's credentials or the request body."""
        if isinstance(exc, NameResolutionError):
            return OdooUnavailable(f"cannot resolve the Odoo host {self._where}")
        if isinstance(exc, NewConnectionError):
            return OdooUnavailable(f"cannot connect to Odoo at {self._where} (connection refused or unreachable)")
        if isinstance(exc, ConnectTimeoutError):
            return OdooTimeout(f"connecting to Odoo at {self._where} timed out after {timeouts.connect_timeout}s")
        if isinstance(exc, ReadTimeoutError):
            return OdooTimeout(f"Odoo at {self._where} did not answer within {timeouts.read_timeout}s")
        if isinstance(exc, EmptyPoolError):
            return OdooTimeout(f"no free connection to Odoo within {timeouts.read_timeout}s (pool exhausted)")
        return OdooUnavailable(f"connection to Odoo at {self._where} failed ({type(exc).__name__})")

    def _decode(self, response: urllib3.BaseHTTPResponse, protocol: str, path: str) -> Any:
        status = response.status
        if status in UNAVAILABLE_STATUSES:
            raise OdooUnavailable(f"Odoo is unavailable (HTTP {status} from {self._where})")
        payload = _parse_json(response.data)
        if protocol == "jsonrpc":
            return self._jsonrpc_result(status, payload, path, response)
        return self._json2_result(status, payload, path, response)

    def _jsonrpc_result(self, status: int, payload: Any, path: str, response: urllib3.BaseHTTPResponse) -> Any:
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
            raise self._redact(_jsonrpc_error(payload["error"]))
        if status == 200 and isinstance(payload, dict) and "result" in payload:
            return payload["result"]
        raise self._unexpected(status, path, response)

    def _json2_result(self, status: int, payload: Any, path: str, response: urllib3.BaseHTTPResponse) -> Any:
        if status == 200 and payload is not _NOT_JSON:
            return payload
        if status >= 400 and isinstance(payload, dict) and isinstance(payload.get("name"), str):
            raise self._redact(error_from_payload(payload, "json2"))
        raise self._unexpected(status, path, response)

    def _unexpected(self, status: int, path: str, response: urllib3.BaseHTTPResponse) -> OdooError:
        if status >= 500:
            return OdooUnavailable(f"Odoo failed with HTTP {status} and no Odoo error body")
        content_type = response.headers.get("Content-Type", "no content type")
        return OdooProtocolError(
            f"unexpected answer from Odoo to POST {self._base_path + path}: HTTP {status} ({content_type})")

    def _redact(self, error: OdooError) -> OdooError:
        """Blank out SMN's secrets should Odoo ever echo them in a message."""
        for secret in (self._password, self._api_key):
            if secret and len(secret) >= MIN_REDACTED_SECRET and secret in error.message:
                error.message = error.message.replace(secret, "***")
                error.args = (error.message,)
        return error


def _parse_json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return _NOT_JSON


def _jsonrpc_error(error: dict) -> OdooError:
    data = error.get("data")
    if isinstance(data, dict) and isinstance(data.get("name"), str):
        return error_from_payload(data, "jsonrpc")
    return OdooServerError(str(error.get("message") or "Odoo reported an error"))
