"""Products (product.product) and their stock (stock.quant)."""
from __future__ import annotations

from typing import Any, Iterator

from smn.odoo import mapping
from smn.pagination import Page, PageRequest, first_chunk, iter_records, read_page
from smn.services import OdooService
from smn.services.partners import not_found

MODEL = "product.product"
QUANT_LOCATION_USAGES = ["internal", "transit"]
"""Quants in these locations are the company's stock; others (customers, vendors, inventory loss) are not."""


class ProductService(OdooService):

    def domain(self, filters: dict[str, Any]) -> list:
        domain: list = []
        if filters.get("q"):
            searchable = self.catalog.existing(MODEL, ["name", "default_code", "barcode"])
            domain += ["|"] * (len(searchable) - 1) + [[name, "ilike", filters["q"]] for name in searchable]
        if filters.get("sku"):
            domain.append(["default_code", "=", filters["sku"]])
        if filters.get("barcode"):
            domain.append(["barcode", "=", filters["barcode"]])
        if filters.get("category") is not None:
            domain.append(["categ_id", "child_of", filters["category"]])
        if filters.get("updated_since"):
            domain.append(["write_date", ">=", mapping.to_odoo_datetime(filters["updated_since"])])
        if filters.get("active") is not None:
            domain.append(["active", "=", filters["active"]])
        return domain

    def list(self, filters: dict[str, Any], page: PageRequest) -> tuple[Page, list[dict]]:
        found = read_page(self.odoo, MODEL, self.domain(filters), mapping.product_odoo_fields(self.catalog), page)
        return found, [mapping.product_to_api(record) for record in found.records]

    def export(self, filters: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every match, chunk by chunk; the first chunk is read now so Odoo errors surface early."""
        domain, fields = self.domain(filters), mapping.product_odoo_fields(self.catalog)
        first = first_chunk(self.odoo, MODEL, domain, fields, self.export_chunk)
        records = iter_records(self.odoo, MODEL, domain, fields, self.export_chunk, first)
        return (mapping.product_to_api(record) for record in records)

    def get(self, product_id: int) -> dict[str, Any]:
        records = self.odoo.read(MODEL, [product_id], mapping.product_odoo_fields(self.catalog))
        if not records:
            raise not_found("Product", product_id)
        return mapping.product_to_api(records[0])

    def stock(self, product_id: int, by_location: bool) -> dict[str, Any]:
        """On hand and forecast from the product; per location from stock.quant when asked."""
        fields = self.catalog.existing(MODEL, mapping.STOCK_PRODUCT_FIELDS)
        records = self.odoo.read(MODEL, [product_id], fields)
        if not records:
            raise not_found("Product", product_id)
        quants = self._quants(product_id) if by_location else None
        return mapping.stock_to_api(records[0], quants)

    def _quants(self, product_id: int) -> list[dict[str, Any]]:
        domain = [["product_id", "=", product_id], ["location_id.usage", "in", QUANT_LOCATION_USAGES]]
        return self.odoo.search_read("stock.quant", domain, list(mapping.QUANT_FIELDS), order="location_id")
