"""What a built endpoint is: its definition, how it is checked, and how Odoo values map to JSON.

A definition names an Odoo model, the fields partners see (each with a
partner-facing name), a fixed domain that every query is restricted to, the
default order, the largest page, the allowed operations, the scope a token
needs, and how long reads are cached.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

from smn.auth.scopes import SCOPE_PATTERN
from smn.odoo import mapping

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
ORDER_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*( (asc|desc))?(, ?[a-z_][a-z0-9_]*( (asc|desc))?)*$", re.I)
OPERATIONS = ("list", "get", "create", "update")
RESERVED_NAMES = frozenset({"id", "limit", "offset"})
WRITABLE_TYPES = frozenset({"char", "text", "html", "integer", "float", "monetary", "boolean", "date",
                            "datetime", "selection", "many2one"})
SUPPORTED_TYPES = WRITABLE_TYPES | {"one2many", "many2many"}
MAX_PAGE_SIZE = 500
MAX_CACHE_TTL = 3600


@dataclass(frozen=True)
class FieldSpec:
    """One partner-facing field: its name, the Odoo field behind it and that field's type."""

    name: str
    odoo: str
    type: str
    writable: bool = False
    selection: tuple[str, ...] = ()

    def to_json(self, value: Any) -> Any:
        """An Odoo value in its partner-facing shape."""
        if self.type == "many2one":
            return mapping.many2one(value)
        if self.type in ("one2many", "many2many"):
            return list(value) if isinstance(value, list) else []
        if self.type == "boolean":
            return bool(value)
        if self.type in ("integer",):
            return None if value is False or value is None else int(value)
        if self.type in ("float", "monetary"):
            return mapping.number(value if value is not False else None)
        if self.type == "datetime":
            return mapping.odoo_datetime(value)
        if self.type == "date":
            return mapping.odoo_date(value)
        return mapping.text(value)


@dataclass(frozen=True)
class Definition:
    slug: str
    model: str
    fields: tuple[FieldSpec, ...]
    domain: tuple = ()
    order: str = "id"
    max_page_size: int = 100
    operations: tuple[str, ...] = ("list", "get")
    scope: str = ""
    cache_ttl: int = 0
    description: str = ""
    version: int = 0
    enabled: bool = True

    @property
    def odoo_fields(self) -> list[str]:
        return [spec.odoo for spec in self.fields]

    @cached_property
    def fields_by_name(self) -> dict[str, FieldSpec]:
        """Each field under its partner-facing name; built once per definition (writes look fields up)."""
        return {spec.name: spec for spec in self.fields}

    def record(self, row: dict[str, Any]) -> dict[str, Any]:
        """An Odoo record as partners see it: id first, then each field under its partner name."""
        body = {"id": row.get("id")}
        for spec in self.fields:
            body[spec.name] = spec.to_json(row.get(spec.odoo, False))
        return body

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fields"] = [asdict(spec) for spec in self.fields]
        data["domain"] = list(self.domain)
        data["operations"] = list(self.operations)
        for spec in data["fields"]:
            spec["selection"] = list(spec["selection"])
        data.pop("version")
        data.pop("enabled")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], version: int = 0, enabled: bool = True) -> "Definition":
        specs = tuple(FieldSpec(name=item["name"], odoo=item["odoo"], type=item["type"],
                                writable=bool(item.get("writable")), selection=tuple(item.get("selection") or ()))
                      for item in data["fields"])
        return cls(slug=data["slug"], model=data["model"], fields=specs, domain=tuple(data.get("domain") or ()),
                   order=data.get("order") or "id", max_page_size=int(data.get("max_page_size") or 100),
                   operations=tuple(data.get("operations") or ("list", "get")), scope=data.get("scope") or "",
                   cache_ttl=int(data.get("cache_ttl") or 0), description=data.get("description") or "",
                   version=version, enabled=enabled)


class DefinitionError(ValueError):
    """The submitted definition is invalid; `errors` lists {field, message}."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{item['field']}: {item['message']}" for item in errors))
        self.errors = errors


@dataclass
class Draft:
    """What an admin submitted, before it is checked against Odoo."""

    slug: str = ""
    model: str = ""
    fields: list[dict[str, str]] = field(default_factory=list)
    domain: Any = field(default_factory=list)
    order: str = "id"
    max_page_size: Any = 100
    operations: list[str] = field(default_factory=lambda: ["list", "get"])
    scope: str = ""
    cache_ttl: Any = 0
    description: str = ""


def build(draft: Draft, model_fields: dict[str, dict[str, Any]]) -> Definition:
    """Check `draft` against the model's live fields (fields_get); raises DefinitionError."""
    errors: list[dict[str, str]] = []

    def error(name: str, message: str) -> None:
        errors.append({"field": name, "message": message})

    if not SLUG_PATTERN.fullmatch(draft.slug or ""):
        error("slug", "Use 1-63 lower-case letters, digits and dashes, starting with a letter or digit.")
    specs = _field_specs(draft.fields, model_fields, error)
    if not isinstance(draft.domain, list) or not all(isinstance(item, (list, str)) for item in draft.domain):
        error("domain", "Must be an Odoo domain: a JSON list such as [[\"is_company\", \"=\", true]].")
    order = (draft.order or "id").strip()
    if not ORDER_PATTERN.fullmatch(order):
        error("order", "Use field names with optional asc/desc, separated by commas, e.g. \"name asc, id desc\".")
    elif any(part.split()[0] not in model_fields and part.split()[0] != "id" for part in order.split(",")):
        error("order", "Order only by fields of the model.")
    page = _bounded_int(draft.max_page_size, 1, MAX_PAGE_SIZE)
    if page is None:
        error("max_page_size", f"Must be a whole number from 1 to {MAX_PAGE_SIZE}.")
    ttl = _bounded_int(draft.cache_ttl, 0, MAX_CACHE_TTL)
    if ttl is None:
        error("cache_ttl", f"Must be a whole number of seconds from 0 to {MAX_CACHE_TTL}.")
    operations = [op for op in OPERATIONS if op in (draft.operations or [])]
    if not operations or set(draft.operations or []) - set(OPERATIONS):
        error("operations", f"Choose at least one of {', '.join(OPERATIONS)}.")
    if not SCOPE_PATTERN.fullmatch(draft.scope or ""):
        error("scope", "A token scope is required, e.g. \"contacts:read\" (letters, digits and _.:-).")
    if errors:
        raise DefinitionError(errors)
    return Definition(slug=draft.slug, model=draft.model, fields=tuple(specs), domain=tuple(draft.domain),
                      order=order, max_page_size=page, operations=tuple(operations), scope=draft.scope,
                      cache_ttl=ttl, description=(draft.description or "").strip()[:500])


def _field_specs(items: list[dict[str, str]], model_fields: dict[str, dict[str, Any]], error) -> list[FieldSpec]:
    if not isinstance(items, list) or not items:
        error("fields", "Choose at least one field.")
        return []
    specs: list[FieldSpec] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        odoo = str(item.get("odoo") or "") if isinstance(item, dict) else ""
        name = str(item.get("name") or odoo) if isinstance(item, dict) else ""
        info = model_fields.get(odoo)
        if info is None:
            error(f"fields.{index}.odoo", f"The model has no field {odoo!r}.")
            continue
        if info.get("type") not in SUPPORTED_TYPES:
            error(f"fields.{index}.odoo", f"Fields of type {info.get('type')} cannot be published.")
            continue
        if not NAME_PATTERN.fullmatch(name) or name in RESERVED_NAMES:
            error(f"fields.{index}.name", "Use snake_case (a-z, 0-9, _), not id, limit or offset.")
            continue
        if name in seen:
            error(f"fields.{index}.name", f"{name!r} is used twice.")
            continue
        seen.add(name)
        writable = info["type"] in WRITABLE_TYPES and not info.get("readonly")
        selection = tuple(str(option[0]) for option in info.get("selection") or ())
        specs.append(FieldSpec(name, odoo, info["type"], writable, selection))
    return specs


def _bounded_int(value: Any, low: int, high: int) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None
