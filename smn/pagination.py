"""Offset pagination over Odoo with as few round trips as possible, and chunked export.

A page is one ``search_read``; ``search_count`` is only asked when the page
cannot tell the total by itself (a full page, or an empty page past the end).
The export walks the whole result by ``id`` ("keyset" paging), so memory stays
bounded by one chunk however many records match, and records created or
archived meanwhile never shift a chunk boundary.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import urlencode

from smn.odoo.client import OdooClient

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
EXPORT_CHUNK = 500


@dataclass(frozen=True)
class PageRequest:
    limit: int = DEFAULT_LIMIT
    offset: int = 0


@dataclass
class Page:
    records: list[dict[str, Any]]
    total: int
    limit: int
    offset: int

    @property
    def has_next(self) -> bool:
        return self.offset + self.limit < self.total


def read_page(odoo: OdooClient, model: str, domain: list, fields: list[str], page: PageRequest,
              order: str = "id") -> Page:
    """One page and the total: one Odoo call when the page is not full, two otherwise."""
    records = odoo.search_read(model, domain, fields, offset=page.offset, limit=page.limit, order=order)
    if records and len(records) < page.limit:
        total = page.offset + len(records)
    elif not records and page.offset == 0:
        total = 0
    else:
        total = odoo.search_count(model, domain)
    return Page(records, total, page.limit, page.offset)


def iter_records(odoo: OdooClient, model: str, domain: list, fields: list[str],
                 chunk: int = EXPORT_CHUNK, first: list[dict[str, Any]] | None = None) -> Iterator[dict[str, Any]]:
    """Every matching record in id order, reading `chunk` records per Odoo call.

    `first` is the first chunk when the caller already read it (to fail before
    a streamed response has started).
    """
    batch = first if first is not None else _chunk_after(odoo, model, domain, fields, 0, chunk)
    while batch:
        yield from batch
        if len(batch) < chunk:
            return
        last_id = batch[-1]["id"]
        batch = _chunk_after(odoo, model, domain, fields, last_id, chunk)


def first_chunk(odoo: OdooClient, model: str, domain: list, fields: list[str],
                chunk: int = EXPORT_CHUNK) -> list[dict[str, Any]]:
    return _chunk_after(odoo, model, domain, fields, 0, chunk)


def _chunk_after(odoo: OdooClient, model: str, domain: list, fields: list[str], last_id: int,
                 chunk: int) -> list[dict[str, Any]]:
    keyset = [["id", ">", last_id]] + list(domain) if last_id else list(domain)
    return odoo.search_read(model, keyset, fields, limit=chunk, order="id")


def next_link(base: str, path: str, params: dict[str, Any], page: Page) -> str | None:
    """The URL of the next page (same filters), or None on the last page."""
    if not page.has_next:
        return None
    query = {key: value for key, value in params.items() if key not in ("limit", "offset")}
    query.update(limit=page.limit, offset=page.offset + page.limit)
    return f"{base}{path}?{urlencode(query, doseq=True)}"


def page_body(page: Page, items: list[dict[str, Any]], link: str | None) -> dict[str, Any]:
    return {"items": items, "total": page.total, "limit": page.limit, "offset": page.offset, "next": link}
