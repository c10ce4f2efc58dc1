"""Partners (res.partner): search, read, create and update."""
from __future__ import annotations

from typing import Any, Iterator

from smn.errors import Problem
from smn.idempotency import record_write
from smn.odoo import mapping
from smn.odoo.mapping import PARTNER
from smn.pagination import Page, PageRequest, first_chunk, iter_records, read_page
from smn.services import OdooService

MODEL = "res.partner"


def not_found(kind: str, record_id: int) -> Problem:
    return Problem(404, f"{kind} {record_id} does not exist.", slug="not-found")


def field_problem(errors: list[dict[str, str]], detail: str = "The request has invalid fields.") -> Problem:
    return Problem(422, detail, slug="validation-error", errors=errors)


class PartnerService(OdooService):

    def domain(self, filters: dict[str, Any]) -> list:
        domain: list = []
        if filters.get("q"):
            searchable = self.catalog.existing(MODEL, ["name", "email", "ref"])
            domain += ["|"] * (len(searchable) - 1) + [[name, "ilike", filters["q"]] for name in searchable]
        if filters.get("is_company") is not None:
            domain.append(["is_company", "=", filters["is_company"]])
        if filters.get("updated_since"):
            domain.append(["write_date", ">=", mapping.to_odoo_datetime(filters["updated_since"])])
        return domain

    def list(self, filters: dict[str, Any], page: PageRequest) -> tuple[Page, list[dict]]:
        found = read_page(self.odoo, MODEL, self.domain(filters), PARTNER.odoo_fields(self.catalog), page)
        return found, [PARTNER.to_api(record) for record in found.records]

    def export(self, filters: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every match, chunk by chunk; the first chunk is read now so Odoo errors surface early."""
        domain, fields = self.domain(filters), PARTNER.odoo_fields(self.catalog)
        first = first_chunk(self.odoo, MODEL, domain, fields, self.export_chunk)
        records = iter_records(self.odoo, MODEL, domain, fields, self.export_chunk, first)
        return (PARTNER.to_api(record) for record in records)

    def get(self, partner_id: int) -> dict[str, Any]:
        records = self.odoo.read(MODEL, [partner_id], PARTNER.odoo_fields(self.catalog))
        if not records:
            raise not_found("Partner", partner_id)
        return PARTNER.to_api(records[0])

    def create(self, data: dict[str, Any]) -> dict[str, Any]:
        partner_id = self.odoo.create(MODEL, self._values(data))
        record_write()
        return self.get(partner_id)

    def update(self, partner_id: int, data: dict[str, Any]) -> dict[str, Any]:
        values = self._values(data)
        if values:
            self.odoo.write(MODEL, [partner_id], values)
            record_write()
        return self.get(partner_id)

    def _values(self, data: dict[str, Any]) -> dict[str, Any]:
        values = mapping.partner_values(data)
        unsupported = [key for key, field in mapping.PARTNER_INPUT.items()
                       if key in data and not self.catalog.has(MODEL, field)]
        if unsupported:
            raise field_problem([{"field": key, "message": "Not supported by the connected Odoo."}
                                 for key in unsupported])
        if "country_code" in data:
            values["country_id"] = self._country_id(data["country_code"])
        if data.get("company_id") is not None and not self.odoo.search_count(
                MODEL, [["id", "=", data["company_id"]], ["is_company", "=", True]]):
            raise field_problem([{"field": "company_id", "message": "No such company partner."}])
        return values

    def _country_id(self, code: str | None) -> int | bool:
        if code is None:
            return False
        found = self.odoo.search_read("res.country", [["code", "=", code.upper()]], ["id"], limit=1)
        if not found:
            raise field_problem([{"field": "country_code", "message": f"Unknown country code {code!r}."}])
        return found[0]["id"]
