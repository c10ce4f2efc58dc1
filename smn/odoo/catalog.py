"""What the connected Odoo's models look like, asked once per worker.

Partner-facing names stay the same whatever the Odoo version; what changes is
which Odoo fields exist (Odoo 17's ``detailed_type`` became ``type`` plus
``is_storable`` in 18). `FieldCatalog` reads ``fields_get`` the first time a
model is used in a process and keeps it: a worker serves one Odoo, and field
definitions only change when Odoo is upgraded, which restarts SMN anyway.
"""
from __future__ import annotations

import threading
from typing import Any, Iterable

from smn.odoo.client import OdooClient
from smn.process import current_pid

ATTRIBUTES = ["type", "relation", "selection", "readonly", "required"]


class FieldCatalog:
    """A thread-safe, per-process cache of ``fields_get`` per model."""

    def __init__(self, odoo: OdooClient | None, known: dict[str, dict[str, dict[str, Any]]] | None = None) -> None:
        """`known`: field definitions already at hand (model -> fields_get answer)."""
        self.odoo = odoo
        self._models: dict[str, dict[str, dict[str, Any]]] = dict(known or {})
        self._lock = threading.Lock()
        self._pid = current_pid()

    def fields(self, model: str) -> dict[str, dict[str, Any]]:
        """Field name -> attributes; one Odoo call the first time per model and process."""
        self._forget_after_fork()
        known = self._models.get(model)
        if known is not None:
            return known
        with self._lock:
            known = self._models.get(model)
            if known is None:
                if self.odoo is None:
                    raise LookupError(f"no field definitions for {model}")
                known = self.odoo.fields_get(model, ATTRIBUTES)
                self._models[model] = known
            return known

    def has(self, model: str, field: str) -> bool:
        return field in self.fields(model)

    def existing(self, model: str, wanted: Iterable[str]) -> list[str]:
        """The wanted fields this Odoo has, in the given order."""
        available = self.fields(model)
        return [name for name in wanted if name in available]

    def selection_keys(self, model: str, field: str) -> set[str]:
        spec = self.fields(model).get(field) or {}
        return {str(option[0]) for option in spec.get("selection") or []}

    def _forget_after_fork(self) -> None:
        if self._pid != current_pid():
            with self._lock:
                self._models = {}
                self._pid = current_pid()
