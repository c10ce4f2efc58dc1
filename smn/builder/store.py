"""builder_endpoints (the live definitions) and builder_endpoint_versions (their history).

Every save writes a new version and points the live row at it; a rollback is
a save of an older version's definition. Writes to builder_endpoints NOTIFY
channel smn_builder, which every worker's registry listens to.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg2.extras import Json

from smn.builder.definitions import Definition
from smn.db import Database


class UnknownEndpoint(LookupError):
    """No built endpoint (or version) with this slug."""


@dataclass(frozen=True)
class Version:
    slug: str
    version: int
    definition: dict[str, Any]
    enabled: bool
    created_at: datetime
    created_by: str
    note: str | None


@dataclass(frozen=True)
class Summary:
    definition: Definition
    updated_at: datetime
    updated_by: str


class DefinitionStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def load_all(self, cur: Any | None = None) -> dict[str, Definition]:
        """The enabled definitions, as the registry serves them."""
        sql = "SELECT definition, version, enabled FROM builder_endpoints WHERE enabled"
        if cur is None:
            rows = self.database.fetch_all(sql)
        else:
            cur.execute(sql)
            rows = cur.fetchall()
        definitions = (Definition.from_dict(data, version, enabled) for data, version, enabled in rows)
        return {definition.slug: definition for definition in definitions}

    def list(self) -> list[Summary]:
        rows = self.database.fetch_all(
            "SELECT definition, version, enabled, updated_at, updated_by FROM builder_endpoints ORDER BY slug")
        return [Summary(Definition.from_dict(data, version, enabled), at, by) for data, version, enabled, at, by in rows]

    def get(self, slug: str) -> Summary:
        row = self.database.fetch_one(
            "SELECT definition, version, enabled, updated_at, updated_by FROM builder_endpoints WHERE slug = %s",
            (slug,))
        if row is None:
            raise UnknownEndpoint(slug)
        data, version, enabled, at, by = row
        return Summary(Definition.from_dict(data, version, enabled), at, by)

    def save(self, definition: Definition, actor: str, note: str | None = None, enabled: bool = True) -> Definition:
        """Store `definition` as the slug's next version and make it live."""
        data = definition.to_dict()
        with self.database.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('smn_builder:' || %s))", (definition.slug,))
            cur.execute("SELECT coalesce(max(version), 0) + 1 FROM builder_endpoint_versions WHERE slug = %s",
                        (definition.slug,))
            version = cur.fetchone()[0]
            cur.execute("""INSERT INTO builder_endpoint_versions (slug, version, definition, enabled, created_by, note)
                           VALUES (%s, %s, %s, %s, %s, %s)""",
                        (definition.slug, version, Json(data), enabled, actor, note))
            cur.execute("""INSERT INTO builder_endpoints (slug, version, definition, enabled, updated_by)
                           VALUES (%s, %s, %s, %s, %s)
                           ON CONFLICT (slug) DO UPDATE SET version = EXCLUDED.version,
                               definition = EXCLUDED.definition, enabled = EXCLUDED.enabled,
                               updated_at = now(), updated_by = EXCLUDED.updated_by""",
                        (definition.slug, version, Json(data), enabled, actor))
        return Definition.from_dict(data, version, enabled)

    def set_enabled(self, slug: str, enabled: bool, actor: str) -> Definition:
        """Disable (or enable again) as a new version, so the history shows it."""
        current = self.get(slug).definition
        note = "enabled" if enabled else "disabled"
        return self.save(current, actor, note=note, enabled=enabled)

    def rollback(self, slug: str, version: int, actor: str) -> Definition:
        row = self.database.fetch_one(
            "SELECT definition FROM builder_endpoint_versions WHERE slug = %s AND version = %s", (slug, version))
        if row is None:
            raise UnknownEndpoint(f"{slug} v{version}")
        return self.save(Definition.from_dict(row[0]), actor, note=f"rolled back to v{version}")

    def versions(self, slug: str) -> list[Version]:
        rows = self.database.fetch_all(
            """SELECT slug, version, definition, enabled, created_at, created_by, note
               FROM builder_endpoint_versions WHERE slug = %s ORDER BY version DESC""", (slug,))
        return [Version(*row) for row in rows]
