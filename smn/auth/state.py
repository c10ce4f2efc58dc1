"""This process's view of clients, revocations and keys, kept fresh by PostgreSQL LISTEN/NOTIFY.

Verifying a request reads only this view, never the database. A daemon thread
per process holds one PostgreSQL connection (application_name
`smn-revocations`) that LISTENs on channel `smn_auth`; triggers on the auth
tables notify it of every change, whoever made it. The thread also reloads
everything every `resync_interval` seconds as a safety net, and after any
reconnect (LISTEN first, then reload, so no change falls in between).
"""
from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from typing import Any, Callable

import psycopg2
import psycopg2.extensions

from smn.auth.clients import load_records
from smn.auth.keys import EMPTY_KEYSET, KeySet, KeyStore, load_keyset, retire_expired
from smn.auth.models import ClientRecord, VerificationKey
from smn.auth.revocations import load_revoked, purge_expired
from smn.db import Database
from smn.db.listen import NotifyListener
from smn.process import current_pid

log = logging.getLogger("smn.auth.state")

CHANNEL = "smn_auth"
LISTENER_APPLICATION_NAME = "smn-revocations"


class AuthState:
    """Clients, revoked jtis and keys as this process knows them; reads take no lock and no query."""

    def __init__(self, database: Database, keys: KeyStore, *, resync_interval: float, leeway: int,
                 maintenance: Callable[[Any], None] | None = None) -> None:
        self.database = database
        self.keys = keys
        self.resync_interval = resync_interval
        self.leeway = leeway
        self.maintenance = maintenance
        self._clients: dict[str, ClientRecord] = {}
        self._revoked: dict[str, float] = {}
        self._keyset: KeySet = EMPTY_KEYSET
        self.loaded_at: float | None = None  # epoch seconds of the last full reload (metrics)
        self.generation = 0
        """Moved by every change that can refuse an admitted token (a client, a revocation, the keys).

        Adding an unknown client, dropping a revocation or forgetting an expired
        one cannot: they only concern tokens that were refused (never admitted)
        or are past expiry. A verifier's admissions stand until it moves."""
        self._listener: _Listener | None = None
        self._reset_process_state()

    def _reset_process_state(self) -> None:
        self._pid = current_pid()
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._sync = threading.Condition()
        self._awaited: set[str] = set()
        self._seen: set[str] = set()
        self._listener = None

    # -- reads, on the request path -------------------------------------------------

    def client(self, client_id: str) -> ClientRecord | None:
        return self._clients.get(client_id)

    def is_revoked(self, jti: str) -> bool:
        return jti in self._revoked

    def key(self, kid: str) -> VerificationKey | None:
        return self._keyset.verifying.get(kid)

    @property
    def keyset(self) -> KeySet:
        return self._keyset

    # -- lifecycle ---------------------------------------------------------------------

    def ensure_started(self) -> None:
        """Start this process's listener once (again in a forked child, whose parent thread is gone)."""
        if self._listener is not None and self._pid == current_pid():
            return
        with self._lock:
            if self._pid != current_pid():
                self._reset_process_state()
            if self._listener is None:
                self._listener = _Listener(self)
                self._listener.start()

    def ready(self, timeout: float) -> bool:
        """Start the listener if needed; True once the view is loaded (waiting at most `timeout`)."""
        self.ensure_started()
        return self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> bool:
        """True once the first full load is done (waiting at most `timeout` seconds for it)."""
        return self._ready.is_set() or self._ready.wait(timeout)

    @property
    def listener(self) -> "_Listener | None":
        return self._listener

    def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None and self._pid == current_pid():
            listener.stop()

    def sync(self, timeout: float = 5.0) -> bool:
        """Wait until this process has applied every auth change committed before the call.

        A NOTIFY sent now reaches the listener after all earlier ones (PostgreSQL
        delivers them in commit order), so seeing it back means the view is current.
        """
        if not self.ready(timeout):
            return False
        marker = uuid.uuid4().hex
        with self._sync:
            self._awaited.add(marker)
        try:
            self.database.execute("SELECT pg_notify(%s, %s)", (CHANNEL, json.dumps({"t": "sync", "id": marker})))
            with self._sync:
                return self._sync.wait_for(lambda: marker in self._seen, timeout)
        finally:
            with self._sync:
                self._awaited.discard(marker)
                self._seen.discard(marker)

    # -- updates, from the listener thread (and learn_client from the token endpoint) ---

    def replace(self, clients: dict[str, ClientRecord], revoked: dict[str, float], keyset: KeySet) -> None:
        with self._lock:
            self._clients, self._revoked, self._keyset = clients, revoked, keyset
            self.loaded_at = time.time()
            self.generation += 1
        self._ready.set()

    def put_client(self, client_id: str, record: ClientRecord | None) -> None:
        with self._lock:
            if record is None:
                self._clients.pop(client_id, None)
            else:
                self._clients[client_id] = record
            self.generation += 1

    def learn_client(self, record: ClientRecord) -> None:
        """Add a client the view has not heard of yet (a token issued before its NOTIFY arrived).

        Only ever adds: a record read earlier must not overwrite a newer one the listener applied.
        """
        with self._lock:
            self._clients.setdefault(record.client_id, record)

    def add_revoked(self, jti: str, expires_at: float) -> None:
        with self._lock:
            self._revoked[jti] = expires_at
            self.generation += 1

    def drop_revoked(self, jti: str) -> None:
        with self._lock:
            self._revoked.pop(jti, None)

    def set_keyset(self, keyset: KeySet) -> None:
        with self._lock:
            self._keyset = keyset
            self.generation += 1

    def purge(self, now: float) -> None:
        """Forget revocations of tokens that are past expiry (plus leeway): exp rejects them anyway."""
        with self._lock:
            self._revoked = {jti: exp for jti, exp in self._revoked.items() if exp + self.leeway >= now}

    def markers_awaited(self) -> set[str]:
        with self._sync:
            return set(self._awaited)

    def synced(self, markers: set[str]) -> None:
        with self._sync:
            self._seen.update(markers & self._awaited)
            self._sync.notify_all()

    def counts(self) -> dict[str, int]:
        keyset = self._keyset
        return {"clients": len(self._clients), "revoked": len(self._revoked), "keys": len(keyset.verifying)}


class _Listener(NotifyListener):
    """LISTEN smn_auth; apply each notification; reload everything periodically and after reconnects."""

    channel = CHANNEL
    application_name = LISTENER_APPLICATION_NAME
    log = log

    def __init__(self, state: AuthState) -> None:
        super().__init__("smn-auth-listener", state.database.url)
        self.state = state
        self.resyncs = 0

    @property
    def resync_interval(self) -> float:
        return self.state.resync_interval

    def load(self, cur: Any) -> None:
        self._resync(cur)

    def notified(self, cur: Any, notifications: list[psycopg2.extensions.Notify]) -> None:
        payloads = _payloads(notifications)
        if payloads:
            self._apply(cur, payloads)

    def _resync(self, cur: Any) -> None:
        markers = self.state.markers_awaited()
        state = self.state
        keyset = self._load_keys(cur)
        clients = {record.client_id: record for record in load_records(cur)}
        first = not state.wait_ready(0)
        state.replace(clients, load_revoked(cur, state.leeway), keyset)
        state.purge(time.time())
        self.resyncs += 1
        (log.info if first else log.debug)("auth view loaded", extra=state.counts())
        if keyset.signing is None:
            log.error("no usable signing key: check SMN_SECRET_KEY, or run `smn key rotate`")
        state.synced(markers)
        self._maintain(cur)

    def _maintain(self, cur: Any) -> None:
        """Housekeeping any process may do: retire expired keys, purge old revocations and failures."""
        try:
            retire_expired(cur)
            purge_expired(cur)
            if self.state.maintenance is not None:
                self.state.maintenance(cur)
        except psycopg2.OperationalError:
            raise
        except psycopg2.Error as exc:
            log.warning("auth housekeeping failed", extra={"error": type(exc).__name__})

    def _load_keys(self, cur: Any) -> KeySet:
        """The keys; on a first start (or if an operator deactivated the last key) a new active one."""
        keyset = load_keyset(cur, self.state.keys.cipher)
        has_active = any(key.retire_after is None for key in keyset.verifying.values())
        if keyset.signing is None and not has_active:
            self.state.keys.ensure_active()  # this process's key, or the one another process just made
            keyset = load_keyset(cur, self.state.keys.cipher)
        return keyset

    def _apply(self, cur: Any, payloads: list[dict]) -> None:
        state = self.state
        client_ids: list[str] = []
        reload_keys = False
        markers: set[str] = set()
        for payload in payloads:
            kind = payload.get("t")
            if kind == "revoke":
                state.add_revoked(str(payload.get("jti")), float(payload.get("exp") or 0))
            elif kind == "unrevoke":
                state.drop_revoked(str(payload.get("jti")))
            elif kind == "client" and payload.get("id") not in client_ids:
                client_ids.append(str(payload.get("id")))
            elif kind == "keys":
                reload_keys = True
            elif kind == "sync":
                markers.add(str(payload.get("id")))
        for client_id in client_ids:
            records = load_records(cur, client_id)
            state.put_client(client_id, records[0] if records else None)
        if reload_keys:
            state.set_keyset(self._load_keys(cur))
        if markers:
            state.synced(markers)


def _payloads(notifications: list[psycopg2.extensions.Notify]) -> list[dict]:
    """The JSON objects of a batch of notifications; anything else on the channel is ignored."""
    payloads = []
    for notification in notifications:
        try:
            payload = json.loads(notification.payload)
        except ValueError:
            continue
        if isinstance(payload, dict):
            payloads.append(payload)
    return payloads
