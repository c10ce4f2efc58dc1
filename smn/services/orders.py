"""Sale orders (sale.order and sale.order.line): list, read, create (one or a batch), confirm, cancel."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from smn.errors import Problem
from smn.idempotency import record_write
from smn.odoo import mapping
from smn.odoo.errors import OdooError, OdooUserError
from smn.odoo.mapping import ORDER, ORDER_LINE
from smn.outbox.tagging import current_tag
from smn.pagination import Page, PageRequest, read_page
from smn.services import OdooService
from smn.services.partners import field_problem, not_found
from smn.services.problems import problem_for

MODEL = "sale.order"
LINE_MODEL = "sale.order.line"
STATE_KEYS = mapping.reverse(mapping.ORDER_STATES)


@dataclass
class References:
    """Partners and products named by a batch of orders, found with one Odoo call each."""

    partner_ids: set[int] = field(default_factory=set)
    partner_refs: dict[str, list[int]] = field(default_factory=dict)
    product_ids: dict[int, bool] = field(default_factory=dict)
    product_skus: dict[str, list[tuple[int, bool]]] = field(default_factory=dict)


@dataclass
class Outcome:
    """One order of a batch: 201 and the order, or a problem."""

    status: int
    order: dict[str, Any] | None = None
    problem: Problem | None = None


def date_range(domain: list, odoo_field: str, filters: dict[str, Any], as_datetime: bool) -> None:
    """Inclusive date_from/date_to (UTC days) as a domain on a date or datetime field."""
    start: date | None = filters.get("date_from")
    end: date | None = filters.get("date_to")
    if as_datetime:
        if start:
            domain.append([odoo_field, ">=", mapping.to_odoo_datetime(start)])
        if end:
            domain.append([odoo_field, "<", mapping.to_odoo_datetime(end + timedelta(days=1))])
        return
    if start:
        domain.append([odoo_field, ">=", mapping.to_odoo_date(start)])
    if end:
        domain.append([odoo_field, "<=", mapping.to_odoo_date(end)])


class OrderService(OdooService):

    def domain(self, filters: dict[str, Any]) -> list:
        domain: list = []
        if filters.get("state"):
            domain.append(["state", "in", STATE_KEYS[filters["state"]]])
        if filters.get("partner") is not None:
            domain.append(["partner_id", "=", filters["partner"]])
        if filters.get("client_order_ref"):
            domain.append(["client_order_ref", "=", filters["client_order_ref"]])
        if filters.get("updated_since"):
            domain.append(["write_date", ">=", mapping.to_odoo_datetime(filters["updated_since"])])
        date_range(domain, "date_order", filters, as_datetime=True)
        return domain

    def list(self, filters: dict[str, Any], page: PageRequest) -> tuple[Page, list[dict]]:
        """One page of orders with their lines: two or three Odoo calls whatever the page size."""
        found = read_page(self.odoo, MODEL, self.domain(filters), ORDER.odoo_fields(self.catalog), page,
                          order="id desc")
        return found, self._with_lines(found.records)

    def get(self, order_id: int) -> dict[str, Any]:
        orders = self._read([order_id])
        if not orders:
            raise not_found("Order", order_id)
        return orders[0]

    def create(self, order: dict[str, Any]) -> dict[str, Any]:
        """Check partner and products (one call each), create, confirm if asked, read back."""
        references = self.resolve([order])
        values, errors = self.order_values(order, references)
        if errors:
            raise field_problem(errors, "The order refers to records that cannot be used.")
        return self.get(self._create_and_confirm(values, bool(order.get("confirm"))))

    def create_batch(self, orders: dict[int, dict[str, Any]]) -> dict[int, Outcome]:
        """Create the valid orders of a batch; lookups and the read-back are shared by all."""
        references = self.resolve(list(orders.values()))
        outcomes: dict[int, Outcome] = {}
        created: dict[int, int] = {}
        unavailable = False
        for index, order in orders.items():
            if unavailable:
                outcomes[index] = Outcome(503, problem=Problem(
                    503, "Not attempted: Odoo became unreachable during this batch.", slug="odoo-unavailable",
                    headers={"Retry-After": "5"}))
                continue
            outcome, order_id = self._create_one(order, references, index)
            if order_id is not None:
                created[index] = order_id
                continue
            outcomes[index] = outcome
            unavailable = outcome.status == 503
        by_id = {order["id"]: order for order in self._read(list(created.values()))} if created else {}
        for index, order_id in created.items():
            outcomes.setdefault(index, Outcome(201, order=by_id.get(order_id)))
        return outcomes

    def confirm(self, order_id: int) -> dict[str, Any]:
        tag = current_tag()
        if tag is not None and tag.look_first:
            order = self.get(order_id)
            if order["state"] in ("confirmed", "locked"):
                return order  # an earlier attempt of this outbox job confirmed it
        self.odoo.call(MODEL, "action_confirm", [order_id])
        record_write()
        return self.get(order_id)

    def cancel(self, order_id: int) -> dict[str, Any]:
        """action_cancel; Odoo may answer with a wizard instead (draft invoices): then 422."""
        self.odoo.call(MODEL, "action_cancel", [order_id])
        record_write()
        order = self.get(order_id)
        if order["state"] != "cancelled":
            raise Problem(422, "Odoo did not cancel the order; it may have invoices or deliveries to "
                               "cancel first.", slug="order-not-cancelled")
        return order

    # ------------------------------------------------------------ references

    def resolve(self, orders: list[dict[str, Any]]) -> References:
        refs = References()
        partner_ids = {o["partner"]["id"] for o in orders if "id" in o["partner"]}
        partner_refs = {o["partner"]["ref"] for o in orders if "ref" in o["partner"]}
        lines = [line for order in orders for line in order["lines"]]
        product_ids = {line["product"]["id"] for line in lines if "id" in line["product"]}
        skus = {line["product"]["sku"] for line in lines if "sku" in line["product"]}
        if partner_ids or partner_refs:
            self._find_partners(refs, partner_ids, partner_refs)
        if product_ids or skus:
            self._find_products(refs, product_ids, skus)
        return refs

    def _find_partners(self, refs: References, ids: set[int], codes: set[str]) -> None:
        domain = _id_or_code("ref", ids, codes)
        for record in self.odoo.search_read("res.partner", domain, ["id", "ref"]):
            if record["id"] in ids:
                refs.partner_ids.add(record["id"])
            if record.get("ref") in codes:
                refs.partner_refs.setdefault(record["ref"], []).append(record["id"])

    def _find_products(self, refs: References, ids: set[int], skus: set[str]) -> None:
        domain = _id_or_code("default_code", ids, skus)
        fields = self.catalog.existing("product.product", ["id", "default_code", "sale_ok"])
        for record in self.odoo.search_read("product.product", domain, fields):
            sellable = record.get("sale_ok", True) is not False
            if record["id"] in ids:
                refs.product_ids[record["id"]] = sellable
            if record.get("default_code") in skus:
                refs.product_skus.setdefault(record["default_code"], []).append((record["id"], sellable))

    def order_values(self, order: dict[str, Any], refs: References) -> tuple[dict[str, Any], list[dict]]:
        """Odoo create values for a validated order, or the field errors of unknown references."""
        errors: list[dict[str, str]] = []
        partner_id = _pick_partner(order["partner"], refs, errors)
        lines = []
        for position, line in enumerate(order["lines"]):
            product_id = _pick_product(line["product"], refs, errors, f"lines.{position}.product")
            values = {"product_id": product_id, "product_uom_qty": line["quantity"]}
            if line.get("unit_price") is not None:
                values["price_unit"] = line["unit_price"]
            lines.append([0, 0, values])
        values = {"partner_id": partner_id, "order_line": lines}
        if order.get("client_order_ref"):
            values["client_order_ref"] = order["client_order_ref"]
        return values, errors

    # ------------------------------------------------------------ Odoo calls

    def _create(self, values: dict[str, Any]) -> int:
        order_id = self.odoo.create(MODEL, values)
        record_write()
        return order_id

    def _create_and_confirm(self, values: dict[str, Any], confirm: bool, index: int | None = None) -> int:
        """Create the order (tagged with the outbox reference when one is bound) and confirm it if asked.

        The tag goes into ``origin`` in the create call itself, so the order and
        its tag exist together or not at all. An outbox job's attempt looks for
        it first: the order a crashed attempt created is reused, and confirmed
        only if that attempt did not get so far.
        """
        tag = current_tag()
        reference = tag.for_item(index) if tag is not None and self.catalog.has(MODEL, "origin") else None
        found = self._tagged(reference) if reference and tag.look_first else None
        if found is None:
            order_id, state = self._create({**values, "origin": reference} if reference else values), "draft"
        else:
            order_id, state = found
        if confirm and state in ("draft", "sent"):
            self._confirm_new(order_id)
        return order_id

    def _tagged(self, reference: str) -> tuple[int, str] | None:
        found = self.odoo.search_read(MODEL, [["origin", "=", reference]], ["id", "state"], limit=1, order="id")
        return (found[0]["id"], found[0]["state"]) if found else None

    def _confirm_new(self, order_id: int) -> None:
        """A refused confirmation leaves a draft order: say so, and show it."""
        try:
            self.odoo.call(MODEL, "action_confirm", [order_id])
        except OdooUserError as exc:
            raise Problem(422, f"The order was created as a draft but not confirmed: {exc.message}",
                          slug="order-not-confirmed", extra={"order": self.get(order_id)}) from exc
        except OdooError as exc:
            problem = problem_for(exc)
            problem.description = f"Order {order_id} was created as a draft; confirming it failed: " \
                                  f"{problem.description}"
            problem.extra["order_id"] = order_id
            raise problem from exc

    def _create_one(self, order: dict[str, Any], refs: References,
                    index: int | None = None) -> tuple[Outcome, int | None]:
        """(outcome, None) when the order failed, (placeholder, order id) once it exists in Odoo."""
        values, errors = self.order_values(order, refs)
        if errors:
            problem = field_problem(errors, "The order refers to records that cannot be used.")
            return Outcome(422, problem=problem), None
        try:
            order_id = self._create_and_confirm(values, bool(order.get("confirm")), index)
        except (Problem, OdooError) as exc:
            problem = exc if isinstance(exc, Problem) else problem_for(exc)
            return Outcome(problem.status_code, problem=problem), None
        return Outcome(201), order_id

    def _read(self, order_ids: list[int]) -> list[dict[str, Any]]:
        records = self.odoo.search_read(MODEL, [["id", "in", order_ids]], ORDER.odoo_fields(self.catalog),
                                        order="id desc")
        return self._with_lines(records)

    def _with_lines(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Orders with their lines, read in one call for all of them."""
        if not records:
            return []
        domain: list = [["order_id", "in", [record["id"] for record in records]]]
        if self.catalog.has(LINE_MODEL, "display_type"):
            domain.append(["display_type", "=", False])
        fields = ORDER_LINE.odoo_fields(self.catalog) + self.catalog.existing(LINE_MODEL, ["sequence"])
        lines = mapping.group_lines(self.odoo.search_read(LINE_MODEL, domain, fields), "order_id", ORDER_LINE)
        orders = []
        for record in records:
            order = mapping.order_to_api(record)
            order["lines"] = lines.get(record["id"], [])
            orders.append(order)
        return orders


def _id_or_code(code_field: str, ids: set[int], codes: set[str]) -> list:
    leaves = []
    if ids:
        leaves.append(["id", "in", sorted(ids)])
    if codes:
        leaves.append([code_field, "in", sorted(codes)])
    return ["|"] * (len(leaves) - 1) + leaves


def _pick_partner(partner: dict[str, Any], refs: References, errors: list[dict[str, str]]) -> int | None:
    if "id" in partner:
        if partner["id"] in refs.partner_ids:
            return partner["id"]
        errors.append({"field": "partner.id", "message": f"No partner with id {partner['id']}."})
        return None
    matches = refs.partner_refs.get(partner["ref"], [])
    if len(matches) == 1:
        return matches[0]
    message = "Several partners have this ref." if matches else f"No partner with ref {partner['ref']!r}."
    errors.append({"field": "partner.ref", "message": message})
    return None


def _pick_product(product: dict[str, Any], refs: References, errors: list[dict[str, str]],
                  where: str) -> int | None:
    if "id" in product:
        candidates = [(product["id"], refs.product_ids[product["id"]])] if product["id"] in refs.product_ids else []
        missing, name = f"No active product with id {product['id']}.", f"{where}.id"
    else:
        candidates = refs.product_skus.get(product["sku"], [])
        missing, name = f"No active product with sku {product['sku']!r}.", f"{where}.sku"
    if len(candidates) != 1:
        errors.append({"field": name, "message": "Several products have this sku." if candidates else missing})
        return None
    product_id, sellable = candidates[0]
    if not sellable:
        errors.append({"field": name, "message": "This product cannot be sold."})
        return None
    return product_id
