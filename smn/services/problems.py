"""Odoo faults as problems, for the places that report them inside a 200 (batch items)."""
from __future__ import annotations

from smn.errors import Problem, handle_odoo_error
from smn.odoo.errors import OdooError


def problem_for(exc: OdooError) -> Problem:
    """The same problem smn.errors answers for this Odoo fault (status, type, safe detail)."""
    try:
        handle_odoo_error(None, None, exc, {})  # type: ignore[arg-type]
    except Problem as problem:
        return problem
    return Problem(502, "Odoo answered with an unexpected error.", slug="odoo-error")
