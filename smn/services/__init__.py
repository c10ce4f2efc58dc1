"""Partner-facing services: validated input in, partner-facing dicts out, Odoo in between.

Resources stay thin (parse, validate, serialize); everything that knows Odoo
models, domains and round trips lives here.
"""
from __future__ import annotations

from smn.odoo.catalog import FieldCatalog
from smn.odoo.client import OdooClient
from smn.pagination import EXPORT_CHUNK


class OdooService:
    """What every partner-facing service shares: the client and the field catalog."""

    def __init__(self, odoo: OdooClient, catalog: FieldCatalog, export_chunk: int = EXPORT_CHUNK) -> None:
        self.odoo = odoo
        self.catalog = catalog
        self.export_chunk = export_chunk
