"""Customer invoices and credit notes (account.move out_invoice / out_refund), read only."""
from __future__ import annotations

from typing import Any

from smn.odoo import mapping
from smn.odoo.mapping import INVOICE, INVOICE_LINE
from smn.pagination import Page, PageRequest, read_page
from smn.services import OdooService
from smn.services.orders import date_range
from smn.services.partners import not_found

MODEL = "account.move"
LINE_MODEL = "account.move.line"
CUSTOMER_TYPES = list(mapping.INVOICE_TYPES)
STATE_KEYS = mapping.reverse(mapping.INVOICE_STATES)
TYPE_KEYS = mapping.reverse(mapping.INVOICE_TYPES)


class InvoiceService(OdooService):

    def domain(self, filters: dict[str, Any]) -> list:
        types = TYPE_KEYS[filters["type"]] if filters.get("type") else CUSTOMER_TYPES
        domain: list = [["move_type", "in", types]]
        if filters.get("partner") is not None:
            domain.append(["partner_id", "=", filters["partner"]])
        if filters.get("state"):
            domain.append(["state", "in", STATE_KEYS[filters["state"]]])
        if filters.get("payment_state"):
            domain.append(["payment_state", "=", filters["payment_state"]])
        if filters.get("updated_since"):
            domain.append(["write_date", ">=", mapping.to_odoo_datetime(filters["updated_since"])])
        date_range(domain, "invoice_date", filters, as_datetime=False)
        return domain

    def list(self, filters: dict[str, Any], page: PageRequest) -> tuple[Page, list[dict]]:
        """One page of invoices with their lines: two or three Odoo calls whatever the page size."""
        found = read_page(self.odoo, MODEL, self.domain(filters), INVOICE.odoo_fields(self.catalog), page,
                          order="id desc")
        return found, self._with_lines(found.records)

    def get(self, invoice_id: int) -> dict[str, Any]:
        """Vendor bills and journal entries are not partner documents: they answer 404 too."""
        domain = [["id", "=", invoice_id], ["move_type", "in", CUSTOMER_TYPES]]
        records = self.odoo.search_read(MODEL, domain, INVOICE.odoo_fields(self.catalog), limit=1)
        if not records:
            raise not_found("Invoice", invoice_id)
        return self._with_lines(records)[0]

    def _with_lines(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not records:
            return []
        domain: list = [["move_id", "in", [record["id"] for record in records]]]
        domain += self._product_lines_only()
        fields = INVOICE_LINE.odoo_fields(self.catalog) + self.catalog.existing(LINE_MODEL, ["sequence"])
        lines = mapping.group_lines(self.odoo.search_read(LINE_MODEL, domain, fields), "move_id", INVOICE_LINE)
        invoices = []
        for record in records:
            invoice = INVOICE.to_api(record)
            invoice["lines"] = lines.get(record["id"], [])
            invoices.append(invoice)
        return invoices

    def _product_lines_only(self) -> list:
        """Invoice lines proper, without tax, receivable, rounding or section lines (Odoo 16+)."""
        if "product" in self.catalog.selection_keys(LINE_MODEL, "display_type"):
            return [["display_type", "=", "product"]]
        if self.catalog.has(LINE_MODEL, "exclude_from_invoice_tab"):
            return [["exclude_from_invoice_tab", "=", False]]
        return []
