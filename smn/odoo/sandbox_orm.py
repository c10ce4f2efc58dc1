"""In-memory ORM of the Odoo stand-in (``smn.odoo.sandbox``).

`Store` keeps the raw rows of every model (``sandbox_data`` conventions) and
reads them the way Odoo's read() does, with the values Odoo computes (display
names, amounts, stock quantities, one2many lists; see ``sandbox_domain``).
`BaseModel` and its few subclasses hold the methods callers may reach over RPC,
with Odoo's signatures so that wrong arguments fail with Odoo's TypeError
texts; ``sandbox`` dispatches calls to them. Every call runs inside
`Store.transaction`, which undoes its changes when it fails, as Odoo's
database transaction would.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from smn.odoo.sandbox_data import NEXT_SALE_ORDER_NUMBER, build_demo_data
from smn.odoo.sandbox_domain import (
    COMPUTES,
    DISPLAY,
    RELATIONAL,
    SCHEMA,
    X2MANY,
    Field,
    RpcError,
    compile_domain,
    line_label,
    mentions,
    parse_datetime,
    related_ids,
    sort_ids,
    value_error,
)

ADMIN_UIDS = frozenset({1, 2})
"""The superuser and the administrator; other users (demo) are plain employees."""

ACL: dict[tuple[str, str], str] = {
    **{("ir.config_parameter", op): "Role / Administrator" for op in ("read", "write", "create", "unlink")},
    **{("res.users", op): "Access Rights" for op in ("write", "create", "unlink")},
    **{(model, op): "Role / Administrator" for model in ("ir.model", "ir.model.data")
       for op in ("write", "create", "unlink")},
}
"""(model, operation) -> the group Odoo names in the AccessError of users without it."""

VERBS = {"read": "access", "write": "modify", "create": "create", "unlink": "delete"}
EMPTY = {"many2many": [], "float": 0.0, "monetary": 0.0, "integer": 0, "many2one_reference": 0}
"""What a new record holds in a field left without value or default (other types: False)."""
MAGIC = frozenset({"id", "display_name", "create_uid", "create_date", "write_uid", "write_date"})
NAME_SEARCH = {"product.product": ["default_code", "name", "barcode"], "res.partner": ["complete_name", "email", "ref"]}
REFERENCES: dict[str, list[tuple[str, str, Field]]] = {}
for _model_name, _definition in SCHEMA.items():
    for _fname, _fld in _definition.fields.items():
        if _fld.type in ("many2one", "many2many") and _fld.store and not _fld.related:
            REFERENCES.setdefault(_fld.relation, []).append((_model_name, _fname, _fld))


def utcnow() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def user_error(message: str) -> RpcError:
    return RpcError("odoo.exceptions.UserError", message)


class Store:
    """Every record of every model, guarded by one lock, with an undo journal per call."""

    def __init__(self, *, extra_products: int = 0, extra_partners: int = 0) -> None:
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        data = build_demo_data(now, extra_products=extra_products, extra_partners=extra_partners)
        self.tables: dict[str, dict[int, dict[str, Any]]] = {model: {} for model in SCHEMA}
        for model, rows in data.items():
            self.tables[model] = {row["id"]: row for row in rows}
        stamp = utcnow()
        self.tables["ir.model"] = {
            rid: {"id": rid, "model": model, "name": SCHEMA[model].description, "state": "base",
                  "transient": False, "create_date": stamp, "write_date": stamp, "create_uid": 1, "write_uid": 1}
            for rid, model in enumerate(sorted(SCHEMA), start=1)}
        self._fill_defaults()
        self.next_ids = {model: max(table, default=0) + 1 for model, table in self.tables.items()}
        self.sequences = {"sale.order": NEXT_SALE_ORDER_NUMBER}
        self.lock = threading.RLock()
        self._journal: list[Callable[[], Any]] | None = None
        self._children: dict[tuple[str, str], dict[int, list[int]]] = {}

    def _fill_defaults(self) -> None:
        for model, table in self.tables.items():
            for name, fld in SCHEMA[model].fields.items():
                static = fld.default is not None and not callable(fld.default)
                if fld.store and not fld.related and (static or fld.type == "many2many"):
                    for row in table.values():
                        row.setdefault(name, fld.default if static else [])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run one RPC call: on any error, every change it made is undone."""
        with self.lock:
            self._journal = []
            try:
                yield
            except BaseException:
                for undo in reversed(self._journal):
                    undo()
                self._children.clear()
                raise
            finally:
                self._journal = None

    def _log(self, undo: Callable[[], Any], model: str) -> None:
        if self._journal is not None:
            self._journal.append(undo)
        for key in [key for key in self._children if key[0] == model]:
            del self._children[key]

    def new_id(self, model: str) -> int:
        rid = self.next_ids[model]
        self.next_ids[model] = rid + 1
        return rid

    def next_sequence(self, code: str) -> int:
        number = self.sequences[code]
        self.sequences[code] = number + 1
        return number

    def insert(self, model: str, row: dict[str, Any]) -> None:
        table = self.tables[model]
        table[row["id"]] = row
        self._log(lambda: table.pop(row["id"], None), model)

    def update(self, model: str, rid: int, changes: dict[str, Any]) -> None:
        row = self.tables[model][rid]
        before = {key: row[key] for key in changes if key in row}
        added = [key for key in changes if key not in row]
        row.update(changes)
        self._log(lambda: (row.update(before), [row.pop(key, None) for key in added]), model)

    def delete(self, model: str, rid: int) -> None:
        table = self.tables[model]
        row = table.pop(rid)
        self._log(lambda: table.__setitem__(rid, row), model)

    def ids(self, model: str) -> list[int]:
        return list(self.tables[model])

    def children(self, model: str, inverse: str, parent: Any) -> list[int]:
        """Ids of ``model`` whose many2one ``inverse`` is ``parent`` (a one2many), in line order."""
        index = self._children.get((model, inverse))
        if index is None:
            index = {}
            keys = SCHEMA[model].children_order or ("id",)
            for row in sorted(self.tables[model].values(), key=lambda item: tuple(item.get(k) or 0 for k in keys)):
                if row.get(inverse):
                    index.setdefault(row[inverse], []).append(row["id"])
            self._children[(model, inverse)] = index
        return list(index.get(parent, []))

    def value(self, model: str, rid: Any, fname: str) -> Any:
        """The raw value: many2one as id or False, x2many as a list of ids."""
        row = self.tables[model].get(rid)
        if row is None:
            return False
        if fname == "id":
            return rid
        fld = SCHEMA[model].fields[fname]
        if fld.related:
            return self.value(SCHEMA[model].fields[fld.related].relation, row.get(fld.related), fname)
        if fld.type == "one2many":
            return self.children(fld.relation, fld.inverse, rid)
        if fname == "display_name":
            return self.display_name(model, rid)
        if not fld.store:
            return COMPUTES[(model, fname)](self, row)
        return row.get(fname, False)

    def display_name(self, model: str, rid: Any) -> str:
        row = self.tables[model].get(rid)
        if row is None:
            return ""
        if model in DISPLAY:
            return DISPLAY[model](self, row)
        return self.value(model, rid, SCHEMA[model].rec_name) or ""

    def export(self, model: str, rid: int, fname: str, load: bool = True) -> Any:
        """A field value as Odoo's read() sends it."""
        fld = SCHEMA[model].fields[fname]
        raw = self.value(model, rid, fname)
        if fld.type == "many2one":
            if not raw or raw not in self.tables[fld.relation]:
                return False
            return [raw, self.display_name(fld.relation, raw)] if load else raw
        if fld.type in X2MANY:
            return [item for item in related_ids(raw) if item in self.tables[fld.relation]]
        if fld.type == "monetary":
            return round(float(raw or 0.0), 2)
        if fld.type == "float":
            return float(raw or 0.0)
        if fld.type in ("integer", "many2one_reference"):
            return int(raw or 0)
        if fld.type == "boolean":
            return bool(raw)
        return False if raw is None or raw == "" else raw


@dataclass(frozen=True)
class Env:
    store: Store
    uid: int
    context: dict[str, Any] = field(default_factory=dict)

    def with_context(self, **values: Any) -> "Env":
        return Env(self.store, self.uid, {**self.context, **values})

    def now(self) -> str:
        return utcnow()


def api_model(func: Callable) -> Callable:
    """A model method (Odoo's @api.model): takes no ids."""
    func._api_model = True
    func._rpc = True
    return func


def public(func: Callable) -> Callable:
    """A record method callers may reach over RPC."""
    func._rpc = True
    return func


def recordset(env: Env, model: str, ids: Any = ()) -> "BaseModel":
    return CLASSES.get(model, BaseModel)(env, model, ids)


def _empty(value: Any) -> bool:
    return value is None or value is False or value == "" or value == []


class BaseModel:
    """The records ``ids`` of model ``name`` as user ``env.uid`` sees them."""

    def __init__(self, env: Env, name: str, ids: Any = ()) -> None:
        self.env = env
        self._name = name
        self._def = SCHEMA[name]
        self._store = env.store
        self.ids = [ids] if isinstance(ids, int) else [rid for rid in ids or () if isinstance(rid, int)]

    def _browse(self, ids: Any = (), model: str | None = None) -> "BaseModel":
        return recordset(self.env, model or self._name, ids)

    def _check_access(self, operation: str) -> None:
        group = ACL.get((self._name, operation))
        if group and self.env.uid not in ADMIN_UIDS:
            raise RpcError("odoo.exceptions.AccessError", (
                f"You are not allowed to {VERBS[operation]} '{self._def.description}' ({self._name}) records.\n\n"
                f"This operation is allowed for the following groups:\n\t- {group}\n\n"
                "Contact your administrator to request access if necessary."))

    def _check_exists(self) -> None:
        missing = [rid for rid in self.ids if rid not in self._store.tables[self._name]]
        if missing:
            raise RpcError("odoo.exceptions.MissingError", "Record does not exist or has been deleted.\n"
                           f"(Record: {self._name}{tuple(missing)!r}, User: {self.env.uid})")

    def _field_names(self, fields: Any) -> list[str]:
        if not fields:
            return [name for name in self._def.fields if name != "id"]
        for name in [fields] if isinstance(fields, str) else fields:
            if name not in self._def.fields:
                raise value_error(f"Invalid field {name!r} on {self._name!r}")
        return [name for name in dict.fromkeys([fields] if isinstance(fields, str) else fields) if name != "id"]

    def _search(self, domain: Any, offset: Any = 0, limit: Any = None, order: Any = None) -> list[int]:
        self._check_access("read")
        test = compile_domain(self._name, domain or [])
        active_only = ("active" in self._def.fields and self.env.context.get("active_test", True)
                       and not mentions(domain, "active"))
        ids = [rid for rid, row in self._store.tables[self._name].items()
               if (not active_only or row.get("active", True)) and test(self._store, rid)]
        ids = sort_ids(self._store, self._name, ids, order)
        start = int(offset or 0)
        return ids[start:start + int(limit)] if limit else ids[start:]

    @api_model
    def search(self, domain: list, offset: int = 0, limit: int | None = None, order: str | None = None,
               count: bool = False) -> list[int] | int:
        ids = self._search(domain, offset, limit, order)
        return len(ids) if count else ids

    @api_model
    def search_count(self, domain: list, limit: int | None = None) -> int:
        return len(self._search(domain, limit=limit))

    @api_model
    def search_read(self, domain: list | None = None, fields: list[str] | None = None, offset: int = 0,
                    limit: int | None = None, order: str | None = None, **read_kwargs: Any) -> list[dict]:
        self._field_names(fields)
        return self._browse(self._search(domain, offset, limit, order)).read(fields, **read_kwargs)

    @public
    def read(self, fields: list[str] | None = None, load: str | None = "_classic_read") -> list[dict]:
        self._check_access("read")
        names = self._field_names(fields)
        table = self._store.tables[self._name]
        records = []
        for rid in dict.fromkeys(self.ids):
            if rid in table:
                record = {"id": rid}
                for name in names:
                    record[name] = self._store.export(self._name, rid, name, bool(load))
                records.append(record)
        return records

    @api_model
    def web_search_read(self, domain: list, specification: dict, offset: int = 0, limit: int | None = None,
                        order: str | None = None, count_limit: int | None = None) -> dict[str, Any]:
        self._field_names(list(specification or {}) or ["id"])
        records = self._browse(self._search(domain, offset, limit, order)).web_read(specification)
        if not records:
            return {"length": 0, "records": []}
        length = len(records) + int(offset or 0)
        if limit and len(records) == limit and not (count_limit and count_limit <= length):
            length = self.search_count(domain, limit=count_limit)
        return {"length": length, "records": records}

    @public
    def web_read(self, specification: dict) -> list[dict]:
        specification = specification or {}
        records = self.read(list(specification) or ["id"], load=None)
        for name, spec in specification.items():
            fld = self._def.fields[name]
            nested = spec.get("fields") if isinstance(spec, dict) else None
            if fld.type in RELATIONAL and nested:
                for record in records:
                    record[name] = self._nested(fld, record[name], nested)
        return records

    def _nested(self, fld: Field, value: Any, spec: dict) -> Any:
        if fld.type != "many2one":
            return self._browse(value, fld.relation).web_read(spec)
        rows = self._browse([value], fld.relation).web_read(spec) if value else []
        return rows[0] if rows else False

    @api_model
    def create(self, vals_list: dict | list[dict]) -> list[int]:
        self._check_access("create")
        items = [vals_list] if isinstance(vals_list, dict) else list(vals_list)
        return [self._create_one(vals) for vals in items]

    def _create_one(self, vals: Any) -> int:
        if not isinstance(vals, dict):
            raise value_error(f"Invalid values for {self._name}.create(): {vals!r}")
        vals = self._prepare_create(dict(vals))
        row, later, delegated = self._split(vals, {})
        for name, fld in self._def.fields.items():
            if name not in row and name not in MAGIC and fld.store and not fld.related and fld.type != "one2many":
                default = fld.default(self.env) if callable(fld.default) else fld.default
                row[name] = default if default is not None else EMPTY.get(fld.type, False)
        delegate = self._def.delegate
        if delegate and not row.get(delegate):
            parent_env = self.env.with_context(create_product_product=True)
            row[delegate] = recordset(parent_env, self._def.fields[delegate].relation)._create_one(delegated)
            delegated = {}
        self._check_required(row)
        rid = self._store.new_id(self._name)
        now = self.env.now()
        row.update(id=rid, create_uid=self.env.uid, create_date=now, write_uid=self.env.uid, write_date=now)
        self._store.insert(self._name, row)
        self._finish(rid, row, later, delegated)
        self._browse([rid])._after_create()
        return rid

    def _prepare_create(self, vals: dict[str, Any]) -> dict[str, Any]:
        return vals

    def _after_create(self) -> None:
        return None

    def _split(self, vals: dict[str, Any], row: dict[str, Any]) -> tuple[dict, dict, dict]:
        """(stored values, one2many commands, values of the delegated parent)."""
        stored, later, delegated = {}, {}, {}
        for name, value in vals.items():
            fld = self._def.fields.get(name)
            if fld is None:
                raise value_error(f"Invalid field {name!r} on model {self._name!r}")
            if name in MAGIC:
                continue
            if fld.type == "one2many":
                later[name] = value
            elif fld.related:
                delegated[name] = value
            elif fld.store:
                stored[name] = self._convert(name, fld, value, row.get(name))
        return stored, later, delegated

    def _finish(self, rid: int, row: dict[str, Any], later: dict, delegated: dict) -> None:
        if delegated:
            delegate = self._def.delegate
            self._browse([row[delegate]], self._def.fields[delegate].relation).write(delegated)
        for name, commands in later.items():
            self._browse([rid])._apply_one2many(self._def.fields[name], commands)

    def _check_required(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            fld = self._def.fields.get(name)
            if fld and fld.required and fld.type not in X2MANY and not fld.related and _empty(value):
                raise RpcError("odoo.exceptions.ValidationError", (
                    f"The operation cannot be completed: Missing required value for the field '{fld.string}' "
                    f"({name}).\nModel: '{self._def.description}' ({self._name})\n"
                    "- create/update: a mandatory field is not set\n"
                    "- delete: another model requires the record being deleted, you can archive it instead\n"))

    def _foreign_key_error(self, name: str) -> RpcError:
        return RpcError("odoo.exceptions.ValidationError", (
            "The operation cannot be completed: another model requires the record being deleted. "
            f"If possible, archive it instead.\n\nModel: {self._def.description} ({self._name})\n"
            f"Constraint: {self._name.replace('.', '_')}_{name}_fkey\n"))

    def _convert(self, name: str, fld: Field, value: Any, current: Any) -> Any:
        """A value given by the caller in the stored form, checked as PostgreSQL and Odoo would."""
        if fld.type == "many2one":
            if value is False or value is None or value == 0:
                return False
            if isinstance(value, bool) or not isinstance(value, int):
                raise value_error(f"Wrong value for {self._name}.{name}: {value!r}")
            if value not in self._store.tables[fld.relation]:
                raise self._foreign_key_error(name)
            return value
        if fld.type == "many2many":
            ids = self._many2many(fld, value, current)
            if any(rid not in self._store.tables[fld.relation] for rid in ids):
                raise self._foreign_key_error(name)
            return ids
        if fld.type == "selection":
            if value not in (False, None) and value not in {key for key, _label in fld.selection}:
                raise value_error(f"Wrong value for {self._name}.{name}: {value!r}")
            return value or False
        if fld.type in ("date", "datetime"):
            return parse_datetime(fld, value)
        if fld.type == "boolean":
            return bool(value)
        if fld.type in ("integer", "many2one_reference"):
            return int(value or 0)
        if fld.type in ("float", "monetary"):
            return float(value or 0.0)
        return False if value is None or value is False else str(value)

    def _many2many(self, fld: Field, value: Any, current: Any) -> list[int]:
        if value is False or value is None:
            return []
        if all(isinstance(item, int) and not isinstance(item, bool) for item in value):
            return list(dict.fromkeys(value))
        ids = list(current or [])
        for command in value:
            code, target = command[0], command[1] if len(command) > 1 else None
            if code == 0:
                ids.append(self._browse((), fld.relation)._create_one(command[2]))
            elif code == 1:
                self._browse([target], fld.relation).write(command[2])
            elif code == 2:
                self._browse([target], fld.relation).unlink()
            elif code == 4:
                ids.append(target)
            ids = [] if code == 5 else list(command[2] or []) if code == 6 else ids
            ids = [rid for rid in ids if rid != target] if code in (2, 3) else ids
        return list(dict.fromkeys(ids))

    def _apply_one2many(self, fld: Field, commands: Any) -> None:
        parent, model, inverse = self.ids[0], fld.relation, fld.inverse
        if commands is False or commands is None:
            commands = [(5,)]
        elif all(isinstance(item, int) and not isinstance(item, bool) for item in commands):
            commands = [(6, 0, list(commands))]

        def detach(ids: list[int]) -> None:
            if SCHEMA[model].fields[inverse].required:
                self._browse(ids, model).unlink()
            else:
                self._browse(ids, model).write({inverse: False})

        for command in commands:
            code, target = command[0], command[1] if len(command) > 1 else None
            current = self._store.children(model, inverse, parent)
            if code == 0:
                self._browse((), model)._create_one({**command[2], inverse: parent})
            elif code == 1:
                self._browse([target], model).write(command[2])
            elif code == 2:
                self._browse([target], model).unlink()
            elif code in (3, 5):
                detach([target] if code == 3 else current)
            elif code in (4, 6):
                wanted = [target] if code == 4 else list(command[2] or [])
                if code == 6:
                    detach([rid for rid in current if rid not in wanted])
                self._browse(wanted, model).write({inverse: parent})

    @public
    def write(self, vals: dict) -> bool:
        self._check_access("write")
        self._check_exists()
        if not isinstance(vals, dict):
            raise value_error(f"Invalid values for {self._name}.write(): {vals!r}")
        self._check_recursion(vals)
        for rid in dict.fromkeys(self.ids):
            row = self._store.tables[self._name][rid]
            changes, later, delegated = self._split(vals, row)
            self._check_required(changes)
            changes.update(write_uid=self.env.uid, write_date=self.env.now())
            self._store.update(self._name, rid, changes)
            self._finish(rid, row, later, delegated)
        return True

    def _check_recursion(self, vals: dict[str, Any]) -> None:
        parent = self._def.parent
        target = vals.get(parent) if parent else None
        table, seen = self._store.tables[self._name], set()
        while isinstance(target, int) and target and target not in seen:
            if target in self.ids:
                raise RpcError("odoo.exceptions.ValidationError", self._def.recursion_message)
            seen.add(target)
            target = table.get(target, {}).get(parent)

    @public
    def unlink(self) -> bool:
        self._check_access("unlink")
        self._check_exists()
        for rid in dict.fromkeys(self.ids):
            if rid in self._store.tables[self._name]:
                self._delete(rid)
        return True

    def _delete(self, rid: int) -> None:
        """Delete one row and apply the foreign keys pointing to it (cascade, restrict, set null)."""
        store = self._store
        store.delete(self._name, rid)
        for model, name, fld in REFERENCES.get(self._name, []):
            for other, row in list(store.tables[model].items()):
                if fld.type == "many2many" and rid in (row.get(name) or []):
                    store.update(model, other, {name: [item for item in row[name] if item != rid]})
                elif fld.type == "many2one" and row.get(name) == rid and other in store.tables[model]:
                    mode = fld.ondelete or ("restrict" if fld.required else "set null")
                    if mode == "restrict":
                        raise self._browse((), model)._foreign_key_error(name)
                    if mode == "cascade":
                        self._browse((), model)._delete(other)
                    else:
                        store.update(model, other, {name: False})

    @api_model
    def fields_get(self, allfields: list[str] | None = None, attributes: list[str] | None = None) -> dict[str, dict]:
        result = {}
        for name, fld in self._def.fields.items():
            if not allfields or name in allfields:
                described = describe(name, fld)
                result[name] = {key: val for key, val in described.items() if not attributes or key in attributes}
        return result

    @api_model
    def name_search(self, name: str = "", domain: list | None = None, operator: str = "ilike", limit: int = 100, *,
                    args: list | None = None) -> list[list]:
        found = list(domain or args or [])
        if name:
            fields = NAME_SEARCH.get(self._name, [self._def.rec_name])
            found = ["|"] * (len(fields) - 1) + [[fname, operator, name] for fname in fields] + found
        return [[rid, self._store.display_name(self._name, rid)] for rid in self._search(found, limit=limit)]


def describe(name: str, fld: Field) -> dict[str, Any]:
    """One field as fields_get describes it."""
    described: dict[str, Any] = {
        "name": name, "type": fld.type, "string": fld.string, "readonly": fld.readonly,
        "required": fld.required, "store": fld.store and not fld.related, "searchable": True,
        "sortable": fld.store and not fld.related and fld.type not in X2MANY,
    }
    if fld.relation:
        described["relation"] = fld.relation
    if fld.type == "one2many":
        described["relation_field"] = fld.inverse
    if fld.type == "selection":
        described["selection"] = [list(pair) for pair in fld.selection]
    return described


class _ProductLine(BaseModel):
    uom_field: str | None = None

    def _prepare_create(self, vals: dict[str, Any]) -> dict[str, Any]:
        product = vals.get("product_id")
        if isinstance(product, int) and product in self._store.tables["product.product"]:
            vals.setdefault("name", line_label(self._store, product))
            vals.setdefault("price_unit", self._store.value("product.product", product, "list_price"))
            if self.uom_field:
                vals.setdefault(self.uom_field, self._store.value("product.product", product, "uom_id"))
        return vals


class SaleOrderLine(_ProductLine):
    uom_field = "product_uom_id"


class AccountMoveLine(_ProductLine):
    pass


class SaleOrder(BaseModel):
    def _prepare_create(self, vals: dict[str, Any]) -> dict[str, Any]:
        if vals.get("name") in (None, False, "", "New", "/"):
            vals["name"] = f"S{self._store.next_sequence('sale.order'):05d}"
        return vals

    def _states(self) -> list[str]:
        self._check_exists()
        return [self._store.tables[self._name][rid]["state"] for rid in self.ids]

    @public
    def action_confirm(self) -> bool:
        self._check_access("write")
        if any(state not in ("draft", "sent") for state in self._states()):
            raise user_error("Some orders are not in a state requiring confirmation.")
        return self.write({"state": "sale", "date_order": self.env.now()})

    @public
    def action_cancel(self) -> bool:
        self._check_access("write")
        self._states()
        return self.write({"state": "cancel"})

    @public
    def unlink(self) -> bool:
        self._check_access("unlink")
        if any(state not in ("draft", "cancel") for state in self._states()):
            raise user_error("You can not delete a sent quotation or a confirmed sales order. "
                             "You must first cancel it.")
        return super().unlink()


class ProductTemplate(BaseModel):
    def _after_create(self) -> None:
        if not self.env.context.get("create_product_product"):
            self._browse((), "product.product")._create_one({"product_tmpl_id": self.ids[0]})


CLASSES: dict[str, type[BaseModel]] = {
    "sale.order": SaleOrder, "sale.order.line": SaleOrderLine, "account.move.line": AccountMoveLine,
    "product.template": ProductTemplate,
}
