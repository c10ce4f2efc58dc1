"""Schema and search language of the Odoo stand-in (``smn.odoo.sandbox``).

``SCHEMA`` describes the models the stand-in serves, with the field names,
types, labels and flags of a real Odoo 19 (``shared/odoo19/odoo19-models.json``
where captured), and ``COMPUTES``/``DISPLAY`` the values Odoo computes rather
than stores (amounts, stock quantities, display names). ``compile_domain``
turns an Odoo domain (prefix notation with ``&``, ``|``, ``!`` and implicit
AND) into a test on records, raising the same errors as Odoo for unknown
fields or operators; ``sort_ids`` applies an ``order`` specification. Values
come from a `Source` (the in-memory store).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Protocol


class RpcError(Exception):
    """An exception as Odoo reports it: its qualified class name and message."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def value_error(message: str) -> RpcError:
    return RpcError("builtins.ValueError", message)


class Source(Protocol):
    def value(self, model: str, rid: int, fname: str) -> Any: ...
    def display_name(self, model: str, rid: int) -> str: ...
    def ids(self, model: str) -> list[int]: ...


@dataclass(frozen=True)
class Field:
    type: str
    string: str
    required: bool = False
    readonly: bool = False
    relation: str | None = None
    inverse: str | None = None
    selection: tuple = ()
    default: Any = None
    store: bool = True
    related: str | None = None
    ondelete: str | None = None


@dataclass
class ModelDef:
    description: str
    order: str
    fields: dict[str, Field]
    rec_name: str = "name"
    parent: str | None = None
    delegate: str | None = None
    recursion_message: str = "Recursion Detected."
    children_order: tuple[str, ...] = field(default_factory=tuple)


RELATIONAL = ("many2one", "one2many", "many2many")
X2MANY = ("one2many", "many2many")


def f(ftype: str, string: str, **attrs: Any) -> Field:
    return Field(ftype, string, **attrs)


def m2o(relation: str, string: str, **attrs: Any) -> Field:
    return Field("many2one", string, relation=relation, **attrs)


def o2m(relation: str, inverse: str, string: str) -> Field:
    return Field("one2many", string, relation=relation, inverse=inverse)


def sel(options: str, string: str, **attrs: Any) -> Field:
    pairs = tuple(tuple(item.split(":", 1)) for item in options.split("|"))
    return Field("selection", string, selection=pairs, **attrs)


def computed(ftype: str, string: str, **attrs: Any) -> Field:
    return Field(ftype, string, readonly=attrs.pop("readonly", True), store=False, **attrs)


def _now(env: Any) -> str:
    return env.now()


def _today(env: Any) -> str:
    return env.now()[:10]


def _uid(env: Any) -> int:
    return env.uid


def _model(description: str, order: str, fields: dict[str, Field], **options: Any) -> ModelDef:
    base = {
        "id": f("integer", "ID", readonly=True),
        "display_name": computed("char", "Display Name"),
        "create_uid": m2o("res.users", "Created by", readonly=True),
        "create_date": f("datetime", "Created on", readonly=True),
        "write_uid": m2o("res.users", "Last Updated by", readonly=True),
        "write_date": f("datetime", "Last Updated on", readonly=True),
    }
    return ModelDef(description, order, {**base, **fields}, **options)


PRODUCT_TYPES = "consu:Goods|service:Service|combo:Combo"
TEMPLATE_FIELDS: dict[str, Field] = {
    "name": f("char", "Name", required=True),
    "list_price": f("float", "Sales Price", default=1.0),
    "type": sel(PRODUCT_TYPES, "Product Type", required=True, default="consu"),
    "is_storable": f("boolean", "Track Inventory"),
    "sale_ok": f("boolean", "Sales", default=True),
    "categ_id": m2o("product.category", "Product Category", default=1),
    "uom_id": m2o("uom.uom", "Unit", required=True, default=1),
    "description_sale": f("text", "Sales Description"),
    "is_favorite": f("boolean", "Favorite"),
}
STOCK_FIELDS: dict[str, Field] = {
    "qty_available": computed("float", "Quantity On Hand", readonly=False),
    "virtual_available": computed("float", "Forecasted Quantity"),
    "free_qty": computed("float", "Free To Use Quantity"),
    "currency_id": computed("many2one", "Currency", relation="res.currency"),
}
AMOUNTS: dict[str, Field] = {
    "amount_untaxed": computed("monetary", "Untaxed Amount"),
    "amount_tax": computed("monetary", "Taxes"),
    "amount_total": computed("monetary", "Total"),
}
LINE_AMOUNTS: dict[str, Field] = {
    "price_unit": f("float", "Unit Price", required=True),
    "discount": f("float", "Discount (%)"),
    "tax_ids": f("many2many", "Taxes", relation="account.tax"),
    "price_subtotal": computed("monetary", "Subtotal"),
    "price_tax": computed("float", "Total Tax"),
    "price_total": computed("monetary", "Total"),
    "currency_id": computed("many2one", "Currency", relation="res.currency"),
}

SCHEMA: dict[str, ModelDef] = {
    "res.partner": _model("Contact", "complete_name asc, id desc", {
        "name": f("char", "Name"), "complete_name": computed("char", "Complete Name"),
        "ref": f("char", "Reference"), "email": f("char", "Email"), "phone": f("char", "Phone"),
        "vat": f("char", "Tax ID"), "street": f("char", "Street"), "street2": f("char", "Street2"),
        "city": f("char", "City"), "zip": f("char", "Zip"), "country_id": m2o("res.country", "Country"),
        "country_code": computed("char", "Country Code"), "is_company": f("boolean", "Is a Company"),
        "parent_id": m2o("res.partner", "Related Company"), "child_ids": o2m("res.partner", "parent_id", "Contact"),
        "type": sel("contact:Contact|invoice:Invoice Address|delivery:Delivery Address|other:Other Address",
                    "Address Type", default="contact"),
        "active": f("boolean", "Active", default=True),
    }, rec_name="complete_name", parent="parent_id",
        recursion_message="You cannot create recursive Partner hierarchies."),
    "res.country": _model("Country", "name", {
        "name": f("char", "Country Name", required=True), "code": f("char", "Country Code")}),
    "res.currency": _model("Currency", "active desc, name", {
        "name": f("char", "Currency", required=True), "symbol": f("char", "Symbol", required=True),
        "full_name": f("char", "Name"), "rate": f("float", "Current Rate", readonly=True),
        "active": f("boolean", "Active", default=True)}),
    "res.users": _model("User", "name, login", {
        "login": f("char", "Login", required=True), "name": f("char", "Name", related="partner_id"),
        "email": f("char", "Email", related="partner_id"),
        "partner_id": m2o("res.partner", "Related Partner", required=True, ondelete="restrict"),
        "share": f("boolean", "Share User", readonly=True), "active": f("boolean", "Active", default=True),
    }, delegate="partner_id"),
    "uom.uom": _model("Product Unit of Measure", "id", {
        "name": f("char", "Unit Name", required=True), "active": f("boolean", "Active", default=True)}),
    "product.category": _model("Product Category", "complete_name", {
        "name": f("char", "Name", required=True), "parent_id": m2o("product.category", "Parent Category"),
        "complete_name": computed("char", "Complete Name"),
    }, parent="parent_id", recursion_message="You cannot create recursive categories."),
    "account.tax": _model("Tax", "id", {
        "name": f("char", "Tax Name", required=True), "amount": f("float", "Amount"),
        "amount_type": sel("group:Group of Taxes|fixed:Fixed|percent:Percentage|division:Percentage Tax Included",
                           "Tax Computation", required=True, default="percent"),
        "type_tax_use": sel("sale:Sales|purchase:Purchases|none:None", "Tax Type", required=True, default="sale"),
        "active": f("boolean", "Active", default=True)}),
    "product.template": _model("Product", "is_favorite desc, name, id", {
        **TEMPLATE_FIELDS, "default_code": computed("char", "Internal Reference", readonly=False),
        "product_variant_ids": o2m("product.product", "product_tmpl_id", "Products"),
        "active": f("boolean", "Active", default=True), **STOCK_FIELDS}),
    "product.product": _model("Product Variant", "is_favorite desc, default_code, name, id", {
        **{name: Field(**{**spec.__dict__, "related": "product_tmpl_id"}) for name, spec in TEMPLATE_FIELDS.items()},
        "default_code": f("char", "Internal Reference"), "barcode": f("char", "Barcode"),
        "standard_price": f("float", "Cost"), "active": f("boolean", "Active", default=True),
        "write_date": f("datetime", "Write Date", readonly=True),
        "product_tmpl_id": m2o("product.template", "Product Template", required=True, ondelete="cascade"),
        **STOCK_FIELDS,
    }, delegate="product_tmpl_id"),
    "stock.location": _model("Inventory Locations", "complete_name, id", {
        "name": f("char", "Location Name", required=True), "complete_name": computed("char", "Full Location Name"),
        "location_id": m2o("stock.location", "Parent Location"),
        "usage": sel("supplier:Vendor Location|view:View|internal:Internal Location|customer:Customer Location|"
                     "inventory:Inventory Loss|production:Production|transit:Transit Location",
                     "Location Type", required=True, default="internal"),
        "active": f("boolean", "Active", default=True),
    }, rec_name="complete_name", parent="location_id"),
    "stock.quant": _model("Quants", "id", {
        "product_id": m2o("product.product", "Product", required=True),
        "location_id": m2o("stock.location", "Location", required=True),
        "quantity": f("float", "Quantity", readonly=True),
        "reserved_quantity": f("float", "Reserved Quantity", required=True, readonly=True),
        "available_quantity": computed("float", "Available Quantity"),
    }),
    "sale.order": _model("Sales Order", "date_order desc, id desc", {
        "name": f("char", "Order Reference", required=True),
        "partner_id": m2o("res.partner", "Customer", required=True),
        "date_order": f("datetime", "Order Date", required=True, default=_now),
        "state": sel("draft:Quotation|sent:Quotation Sent|sale:Sales Order|cancel:Cancelled", "Status",
                     readonly=True, default="draft"),
        **AMOUNTS, "currency_id": m2o("res.currency", "Currency", readonly=True, default=1),
        "order_line": o2m("sale.order.line", "order_id", "Order Lines"),
        "client_order_ref": f("char", "Customer Reference"), "origin": f("char", "Source Document"),
        "user_id": m2o("res.users", "Salesperson", default=_uid),
    }),
    "sale.order.line": _model("Sales Order Line", "order_id, sequence, id", {
        "order_id": m2o("sale.order", "Order Reference", required=True, ondelete="cascade"),
        "sequence": f("integer", "Sequence", default=10), "product_id": m2o("product.product", "Product"),
        "name": f("text", "Description", required=True),
        "product_uom_qty": f("float", "Quantity", required=True, default=1.0),
        "product_uom_id": m2o("uom.uom", "Unit"), **LINE_AMOUNTS,
        "display_type": sel("line_section:Section|line_note:Note", "Display Type"),
        "state": computed("selection", "Order Status", selection=(("draft", "Quotation"), ("sent", "Quotation Sent"),
                                                                  ("sale", "Sales Order"), ("cancel", "Cancelled"))),
    }, children_order=("sequence", "id")),
    "account.move": _model("Journal Entry", "invoice_date desc, name desc, id desc", {
        "name": f("char", "Number", default="/"), "partner_id": m2o("res.partner", "Partner"),
        "move_type": sel("entry:Journal Entry|out_invoice:Customer Invoice|out_refund:Customer Credit Note|"
                         "in_invoice:Vendor Bill|in_refund:Vendor Credit Note|out_receipt:Sales Receipt|"
                         "in_receipt:Purchase Receipt", "Type", required=True, readonly=True, default="entry"),
        "state": sel("draft:Draft|posted:Posted|cancel:Cancelled", "Status", required=True, readonly=True,
                     default="draft"),
        "date": f("date", "Date", required=True, default=_today),
        "invoice_date": f("date", "Invoice/Bill Date"), "invoice_date_due": f("date", "Due Date"),
        **AMOUNTS, "amount_residual": computed("monetary", "Amount Due"),
        "payment_state": sel("not_paid:Not Paid|in_payment:In Payment|paid:Paid|partial:Partially Paid|"
                             "reversed:Reversed|blocked:Blocked|invoicing_legacy:Invoicing App Legacy",
                             "Payment Status", readonly=True, default="not_paid"),
        "currency_id": m2o("res.currency", "Currency", required=True, default=1),
        "invoice_origin": f("char", "Origin", readonly=True), "ref": f("char", "Reference"),
        "invoice_line_ids": o2m("account.move.line", "move_id", "Invoice lines"),
        "line_ids": o2m("account.move.line", "move_id", "Journal Items"),
    }),
    "account.move.line": _model("Journal Item", "move_id desc, sequence, id", {
        "move_id": m2o("account.move", "Journal Entry", required=True, ondelete="cascade"),
        "sequence": f("integer", "Sequence", default=10), "product_id": m2o("product.product", "Product"),
        "name": f("char", "Label"), "quantity": f("float", "Quantity", default=1.0), **LINE_AMOUNTS,
        "display_type": sel("product:Product|cogs:Cost of Goods Sold|tax:Tax|discount:Discount|rounding:Rounding|"
                            "payment_term:Payment Term|line_section:Section|line_note:Note|epd:Early Payment Discount",
                            "Display Type", default="product"),
    }, children_order=("sequence", "id")),
    "ir.config_parameter": _model("System Parameter", "key", {
        "key": f("char", "Key", required=True), "value": f("text", "Value", required=True)}, rec_name="key"),
    "ir.model.data": _model("Model Data", "module, model, name", {
        "name": f("char", "External Identifier", required=True), "complete_name": computed("char", "Complete ID"),
        "module": f("char", "Module", required=True), "model": f("char", "Model Name", required=True),
        "res_id": f("many2one_reference", "Record ID"), "noupdate": f("boolean", "Non Updatable"),
    }, rec_name="complete_name"),
    "ir.model": _model("Models", "model", {
        "name": f("char", "Model Description", required=True), "model": f("char", "Model", required=True),
        "state": sel("manual:Custom Object|base:Base Object", "Type", default="manual"),
        "transient": f("boolean", "Transient Model")}),
}

OPERATORS = frozenset({"=", "!=", "<", ">", "<=", ">=", "in", "not in", "like", "ilike", "not like",
                       "not ilike", "=like", "=ilike", "child_of", "parent_of", "=?", "any", "not any"})
NEGATIVE = {"!=": "=", "not in": "in", "not like": "like", "not ilike": "ilike", "not any": "any"}
Test = Callable[[Source, int], bool]


def compile_domain(model: str, domain: Any) -> Test:
    """A record test for ``domain`` on ``model``; ValueError (as Odoo) when it is invalid."""
    if not isinstance(domain, (list, tuple)):
        raise value_error(f"Invalid domain: {domain!r}")
    terms: list[Test] = []
    pos = 0
    while pos < len(domain):
        term, pos = _parse(model, domain, pos)
        terms.append(term)
    return _all(terms)


def mentions(domain: Any, fname: str) -> bool:
    """Whether some condition of ``domain`` is on ``fname`` (or a path starting with it)."""
    return any(isinstance(item, (list, tuple)) and len(item) == 3 and isinstance(item[0], str)
               and item[0].split(".")[0] == fname for item in domain or [])


def _all(terms: list[Test]) -> Test:
    return lambda src, rid: all(term(src, rid) for term in terms)


def _parse(model: str, domain: Any, pos: int) -> tuple[Test, int]:
    if pos >= len(domain):
        raise value_error(f"Invalid domain: {list(domain)!r}")
    token = domain[pos]
    if isinstance(token, str) and token in ("&", "|"):
        left, pos = _parse(model, domain, pos + 1)
        right, pos = _parse(model, domain, pos)
        if token == "&":
            return (lambda src, rid: left(src, rid) and right(src, rid)), pos
        return (lambda src, rid: left(src, rid) or right(src, rid)), pos
    if isinstance(token, str) and token == "!":
        inner, pos = _parse(model, domain, pos + 1)
        return (lambda src, rid: not inner(src, rid)), pos
    return _leaf(model, token), pos + 1


def _leaf(model: str, leaf: Any) -> Test:
    if not isinstance(leaf, (list, tuple)) or len(leaf) != 3:
        raise value_error(f"Invalid leaf {leaf!r}")
    path, operator, value = leaf
    condition = tuple(leaf)
    if isinstance(path, int) and not isinstance(path, bool) and operator == "=" and value == 1:
        return (lambda src, rid: True) if path == 1 else (lambda src, rid: False)
    op = operator.lower() if isinstance(operator, str) else operator
    op = "!=" if op == "<>" else op
    if not isinstance(path, str) or op not in OPERATORS:
        raise value_error(f"Invalid leaf {condition!r}")
    return _path_test(model, path.split("."), op, value, condition)


def _path_test(model: str, parts: list[str], op: str, value: Any, condition: tuple) -> Test:
    fld = SCHEMA[model].fields.get(parts[0])
    if fld is None:
        raise value_error(f"Invalid field {model}.{parts[0]} in condition {condition!r}")
    name = parts[0]
    if len(parts) > 1 or op in ("any", "not any"):
        if fld.type not in RELATIONAL:
            raise value_error(f"Invalid field {model}.{'.'.join(parts)} in condition {condition!r}")
        if len(parts) > 1:
            sub = _path_test(fld.relation, parts[1:], op, value, condition)
        else:
            sub = compile_domain(fld.relation, value)
        test = lambda src, rid: any(sub(src, r) for r in related_ids(src.value(model, rid, name)))
        return (lambda src, rid: not test(src, rid)) if op == "not any" else test
    if op in NEGATIVE:
        positive = _field_test(model, name, fld, NEGATIVE[op], value)
        return lambda src, rid: not positive(src, rid)
    return _field_test(model, name, fld, op, value)


def related_ids(raw: Any) -> list[int]:
    if isinstance(raw, list):
        return raw
    return [raw] if raw and not isinstance(raw, bool) else []


def _field_test(model: str, name: str, fld: Field, op: str, value: Any) -> Test:
    if op in ("child_of", "parent_of"):
        comodel = fld.relation if fld.type in RELATIONAL else model
        found: list[set[int]] = []

        def hierarchy(src: Source, rid: int) -> bool:
            if not found:
                found.append(_family(src, comodel, value, op == "child_of"))
            return bool(set(related_ids(src.value(model, rid, name))) & found[0])
        return hierarchy
    if op == "=?":
        if value is False or value is None:
            return lambda src, rid: True
        op = "="
    if fld.type in RELATIONAL:
        return lambda src, rid: _relational(src, fld.relation, op, value, related_ids(src.value(model, rid, name)))
    return lambda src, rid: _scalar(fld, op, value, src.value(model, rid, name))


def _targets(op: str, value: Any) -> list:
    if op == "in":
        return list(value) if isinstance(value, (list, tuple, set)) else [value]
    return [value]


def _relational(src: Source, comodel: str, op: str, value: Any, ids: list[int]) -> bool:
    if op in ("=", "in"):
        wanted = _targets(op, value)
        if not ids:
            return any(item is False or item is None for item in wanted)
        if any(isinstance(item, int) and not isinstance(item, bool) and item in ids for item in wanted):
            return True
        names = {src.display_name(comodel, rid) for rid in ids}
        return any(isinstance(item, str) and item in names for item in wanted)
    if op in ("like", "ilike", "=like", "=ilike"):
        matcher = like_matcher(op, value)
        return any(matcher(src.display_name(comodel, rid)) for rid in ids)
    return any(_compare(op, rid, value) for rid in ids)


def _scalar(fld: Field, op: str, value: Any, raw: Any) -> bool:
    empty = raw is None or raw is False or raw == ""
    if op in ("=", "in"):
        for item in _targets(op, value):
            if item is False or item is None:
                if empty:
                    return True
            elif not empty and raw == normalize(fld, item):
                return True
        return False
    if op in ("like", "ilike", "=like", "=ilike"):
        return not empty and like_matcher(op, value)(str(raw))
    if empty and fld.type not in ("integer", "float", "monetary", "boolean"):
        return False
    return _compare(op, raw, normalize(fld, value))


def _compare(op: str, raw: Any, value: Any) -> bool:
    try:
        return {"<": raw < value, ">": raw > value, "<=": raw <= value, ">=": raw >= value}.get(op, False)
    except TypeError:
        return False


def normalize(fld: Field, value: Any) -> Any:
    """A domain value in the stored form: datetimes as 'YYYY-MM-DD HH:MM:SS', dates as 'YYYY-MM-DD'."""
    if isinstance(value, str) and fld.type == "datetime":
        text = value.replace("T", " ")[:19]
        return text + " 00:00:00" if len(text) == 10 else text
    if isinstance(value, str) and fld.type == "date":
        return value[:10]
    return value


def like_matcher(op: str, value: Any) -> Callable[[str], bool]:
    """SQL (i)like semantics: '%' and '_' are wildcards; like/ilike match anywhere in the text."""
    text = "" if value is False or value is None else str(value)
    pattern = "".join(".*" if char == "%" else "." if char == "_" else re.escape(char) for char in text)
    flags = re.IGNORECASE | re.DOTALL if op in ("ilike", "=ilike") else re.DOTALL
    compiled = re.compile(pattern, flags)
    if op in ("=like", "=ilike"):
        return lambda candidate: compiled.fullmatch(candidate) is not None
    return lambda candidate: compiled.search(candidate) is not None


def _family(src: Source, model: str, value: Any, descendants: bool) -> set[int]:
    """The records named by ``value`` with all their descendants (child_of) or ancestors (parent_of)."""
    if isinstance(value, str):
        roots = {rid for rid in src.ids(model) if like_matcher("ilike", value)(src.display_name(model, rid))}
    else:
        roots = {rid for rid in _targets("in", value) if isinstance(rid, int) and not isinstance(rid, bool)}
    parent = SCHEMA[model].parent
    if not parent:
        return roots
    links = [(rid, src.value(model, rid, parent)) for rid in src.ids(model)]
    family, frontier = set(roots), set(roots)
    while frontier:
        if descendants:
            frontier = {child for child, up in links if up in frontier} - family
        else:
            frontier = {up for child, up in links if child in frontier and up} - family
        family |= frontier
    return family


def parse_order(model: str, order: Any) -> list[tuple[str, bool]]:
    """``"name desc, id"`` -> [("name", True), ("id", False)], validated as Odoo does."""
    spec = order if isinstance(order, str) and order.strip() else SCHEMA[model].order
    parsed = []
    for part in spec.split(","):
        words = part.split()
        valid = 1 <= len(words) <= 4 and (len(words) < 2 or words[1].lower() in ("asc", "desc"))
        if not valid or not re.fullmatch(r"[a-z0-9_]+", words[0]):
            raise value_error(f'Invalid "order" specified ({spec}). A valid "order" specification is a '
                              "comma-separated list of valid field names (optionally followed by asc/desc "
                              "for the direction)")
        if words[0] not in SCHEMA[model].fields:
            raise value_error(f"Invalid field {words[0]!r} on model {model!r}")
        parsed.append((words[0], len(words) > 1 and words[1].lower() == "desc"))
    return parsed


def sort_ids(src: Source, model: str, ids: list[int], order: Any) -> list[int]:
    """Ids sorted by ``order`` (the model's default when empty), id ascending as the last tiebreaker."""
    fields = SCHEMA[model].fields
    result = sorted(ids)
    for fname, descending in reversed(parse_order(model, order)):
        fld = fields[fname]
        result.sort(key=lambda rid: _sort_key(src, model, fname, fld, rid), reverse=descending)
    return result


def _sort_key(src: Source, model: str, fname: str, fld: Field, rid: int) -> tuple:
    """Nulls sort last ascending and first descending, as in PostgreSQL."""
    raw = src.value(model, rid, fname)
    if fld.type == "boolean":
        return 0, bool(raw)
    if fld.type == "many2one":
        raw = src.display_name(fld.relation, raw) if raw else False
    if raw is None or raw is False or raw == "" or isinstance(raw, list):
        return 1, ""
    if isinstance(raw, str):
        return 0, raw.casefold(), raw
    return 0, raw


def parse_datetime(fld: Field, value: Any) -> str | bool:
    """A date or datetime value in Odoo's string form; ValueError as Odoo for malformed text."""
    if value is False or value is None or value == "":
        return False
    text = normalize(fld, str(value))
    fmt = "%Y-%m-%d %H:%M:%S" if fld.type == "datetime" else "%Y-%m-%d"
    datetime.strptime(text, fmt)
    return text


# ---------------------------------------------------------------- computed values
# Each takes the store (tables, children, value, display_name) and a raw row.

def _partner_name(store: Any, row: dict) -> str:
    name = row.get("name") or ""
    parent = store.tables["res.partner"].get(row.get("parent_id"))
    if parent and not row.get("is_company"):
        name = f"{parent.get('name') or ''}, {name}"
    return name.strip()


def _path_name(model: str, parent: str, separator: str) -> Callable[[Any, dict], str]:
    """complete_name: the names from the root down (a stock location stops at a view location)."""
    def compute(store: Any, row: dict) -> str:
        names: list[str] = []
        while row and row["id"] not in [seen for seen, _name in names]:
            names.append((row["id"], row.get("name") or ""))
            if model == "stock.location" and row.get("usage") == "view":
                break
            row = store.tables[model].get(row.get(parent))
        return separator.join(name for _rid, name in reversed(names))
    return compute


def _product_name(store: Any, row: dict) -> str:
    template = store.tables["product.template"].get(row.get("product_tmpl_id")) or {}
    name, variant = template.get("name") or "", row.get("_variant") or ""
    label = f"{name} ({variant})" if variant else name
    return f"[{row['default_code']}] {label}" if row.get("default_code") else label


def _template_code(store: Any, row: dict) -> Any:
    variants = store.children("product.product", "product_tmpl_id", row["id"])
    return store.tables["product.product"][variants[0]].get("default_code") or False if len(variants) == 1 else False


def _template_name(store: Any, row: dict) -> str:
    code = _template_code(store, row)
    return f"[{code}] {row.get('name') or ''}" if code else row.get("name") or ""


def line_label(store: Any, product: int) -> str:
    """A new order or invoice line's description: the product and its sales description."""
    description = store.value("product.product", product, "description_sale")
    label = store.display_name("product.product", product)
    return f"{label}\n{description}" if description else label


def _stock(store: Any, product: int, free: bool = False) -> float:
    """Quantity of a product in internal locations (less what is reserved when ``free``)."""
    total = 0.0
    for quant_id in store.children("stock.quant", "product_id", product):
        quant = store.tables["stock.quant"][quant_id]
        if store.value("stock.location", quant.get("location_id"), "usage") == "internal":
            total += (quant.get("quantity") or 0.0) - (quant.get("reserved_quantity") or 0.0 if free else 0.0)
    return total


def _stock_computes(model: str) -> dict[tuple[str, str], Callable]:
    def variants(store: Any, row: dict) -> list[int]:
        return [row["id"]] if model == "product.product" else store.children(model, "product_tmpl_id", row["id"])

    return {
        (model, "qty_available"): lambda s, r: sum(_stock(s, p) for p in variants(s, r)),
        (model, "virtual_available"): lambda s, r: sum(_stock(s, p) for p in variants(s, r)),
        (model, "free_qty"): lambda s, r: sum(_stock(s, p, free=True) for p in variants(s, r)),
        (model, "currency_id"): lambda s, r: 1,
    }


LINES = {"sale.order": ("sale.order.line", "order_id"), "account.move": ("account.move.line", "move_id")}
QUANTITY = {"sale.order.line": "product_uom_qty", "account.move.line": "quantity"}


def _line_amounts(store: Any, model: str, row: dict) -> tuple[float, float]:
    """(subtotal, tax) of one line: quantity x price less the discount; percent or fixed taxes."""
    quantity = row.get(QUANTITY[model]) or 0.0
    subtotal = round(quantity * (row.get("price_unit") or 0.0) * (1 - (row.get("discount") or 0.0) / 100), 2)
    tax = 0.0
    for tax_id in row.get("tax_ids") or []:
        rate = store.tables["account.tax"].get(tax_id) or {}
        if rate.get("amount_type") == "percent":
            tax += subtotal * (rate.get("amount") or 0.0) / 100
        elif rate.get("amount_type") == "fixed":
            tax += quantity * (rate.get("amount") or 0.0)
    return subtotal, round(tax, 2)


def _totals(store: Any, model: str, row: dict) -> tuple[float, float]:
    line_model, inverse = LINES[model]
    untaxed = tax = 0.0
    for line_id in store.children(line_model, inverse, row["id"]):
        line = store.tables[line_model][line_id]
        if line.get("display_type") not in ("line_section", "line_note"):
            line_untaxed, line_tax = _line_amounts(store, line_model, line)
            untaxed, tax = untaxed + line_untaxed, tax + line_tax
    return round(untaxed, 2), round(tax, 2)


def _amount_computes(model: str) -> dict[tuple[str, str], Callable]:
    return {
        (model, "amount_untaxed"): lambda s, r: _totals(s, model, r)[0],
        (model, "amount_tax"): lambda s, r: _totals(s, model, r)[1],
        (model, "amount_total"): lambda s, r: round(sum(_totals(s, model, r)), 2),
    }


def _line_computes(model: str, parent: str) -> dict[tuple[str, str], Callable]:
    parent_model = SCHEMA[model].fields[parent].relation
    return {
        (model, "price_subtotal"): lambda s, r: _line_amounts(s, model, r)[0],
        (model, "price_tax"): lambda s, r: _line_amounts(s, model, r)[1],
        (model, "price_total"): lambda s, r: round(sum(_line_amounts(s, model, r)), 2),
        (model, "currency_id"): lambda s, r: s.value(parent_model, r.get(parent), "currency_id"),
    }


def _residual(store: Any, row: dict) -> float:
    total = round(sum(_totals(store, "account.move", row)), 2)
    return round(total * (1 - (row.get("_paid_share") or 0.0)), 2) if row.get("state") == "posted" else total


DRAFT_NAMES = {"out_invoice": "Draft Invoice", "out_refund": "Draft Credit Note", "in_invoice": "Draft Bill"}


def _move_name(store: Any, row: dict) -> str:
    if row.get("name") and row["name"] != "/":
        return row["name"]
    return f"{DRAFT_NAMES.get(row.get('move_type'), 'Draft Entry')} (* {row['id']})"


COMPUTES: dict[tuple[str, str], Callable[[Any, dict], Any]] = {
    ("res.partner", "complete_name"): _partner_name,
    ("res.partner", "country_code"): lambda s, r: s.value("res.country", r.get("country_id"), "code"),
    ("product.category", "complete_name"): _path_name("product.category", "parent_id", " / "),
    ("stock.location", "complete_name"): _path_name("stock.location", "location_id", "/"),
    ("product.template", "default_code"): _template_code,
    ("stock.quant", "available_quantity"):
        lambda s, r: (r.get("quantity") or 0.0) - (r.get("reserved_quantity") or 0.0),
    ("sale.order.line", "state"): lambda s, r: s.value("sale.order", r.get("order_id"), "state"),
    ("account.move", "amount_residual"): _residual,
    ("ir.model.data", "complete_name"): lambda s, r: f"{r.get('module')}.{r.get('name')}",
    **_stock_computes("product.product"), **_stock_computes("product.template"),
    **_amount_computes("sale.order"), **_amount_computes("account.move"),
    **_line_computes("sale.order.line", "order_id"), **_line_computes("account.move.line", "move_id"),
}
"""(model, field) -> the value of a field that is not stored."""

DISPLAY: dict[str, Callable[[Any, dict], str]] = {
    "product.product": _product_name,
    "product.template": _template_name,
    "account.move": _move_name,
    "stock.quant": lambda s, r: s.display_name("product.product", r.get("product_id")),
    "sale.order.line": lambda s, r: f"{s.display_name('sale.order', r.get('order_id'))} - "
                                    f"{str(r.get('name') or '').splitlines()[0] if r.get('name') else ''}",
}
"""display_name where it is not simply the model's rec_name field."""
