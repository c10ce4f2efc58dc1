"""Numbered SQL migrations, applied once each, safe when many processes start together."""
from __future__ import annotations

import logging
import re
from pathlib import Path

import psycopg2

log = logging.getLogger("smn.migrations")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_FILENAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# Any constant works; it only has to be the same in every SMN process.
_ADVISORY_LOCK_ID = 0x534D4E  # "SMN"


def available_migrations(directory: Path = MIGRATIONS_DIR) -> list[tuple[str, Path]]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILENAME.match(path.name)
        if not match:
            raise ValueError(f"migration file name must look like 0001_name.sql: {path.name}")
        found.append((match.group(1), path))
    return found


def migrate(database_url: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply missing migrations in order under an advisory lock; return the versions applied."""
    conn = psycopg2.connect(database_url, application_name="smn-migrate")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (_ADVISORY_LOCK_ID,))
            try:
                return _apply_missing(conn, directory)
            finally:
                cur.execute("SELECT pg_advisory_unlock(%s)", (_ADVISORY_LOCK_ID,))
    finally:
        conn.close()


def _apply_missing(conn: psycopg2.extensions.connection, directory: Path) -> list[str]:
    with conn.cursor() as cur:
        cur.execute("""CREATE TABLE IF NOT EXISTS schema_migrations (
                           version text PRIMARY KEY,
                           name text NOT NULL,
                           applied_at timestamptz NOT NULL DEFAULT now())""")
        cur.execute("SELECT version FROM schema_migrations")
        done = {row[0] for row in cur.fetchall()}
    applied = []
    for version, path in available_migrations(directory):
        if version in done:
            continue
        conn.autocommit = False
        try:
            with conn.cursor() as cur:
                cur.execute(path.read_text())
                cur.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (version, path.stem))
            conn.commit()
        except Exception:
            conn.rollback()
            raise
        finally:
            conn.autocommit = True
        log.info("migration applied", extra={"version": version, "migration": path.stem})
        applied.append(version)
    return applied
