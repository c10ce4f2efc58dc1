"""AdminService and OpsView refuse unknown actions with NotFound (404) before touching anything."""
from __future__ import annotations

import pytest

from smn.admin.ops import NotFound, OpsView
from smn.admin.service import AdminService


class Untouchable:
    """Any attribute access fails: an unknown action must be refused before a lookup or a write."""

    def __getattr__(self, name: str):
        raise AssertionError(f"{name} used for an unknown action")


def service() -> AdminService:
    return AdminService(auth=Untouchable(), audit=Untouchable(), store=Untouchable(), registry=Untouchable(),
                        odoo=Untouchable())


def test_unknown_client_action_is_not_found():
    with pytest.raises(NotFound, match="one of disable, enable, revoke-all, rotate-secret"):
        service().client_action("ops", "smn_x", "explode")


def test_unknown_endpoint_action_is_not_found():
    with pytest.raises(NotFound, match="one of disable, enable"):
        service().endpoint_action("ops", "companies", "delete")


def test_unknown_job_action_is_not_found():
    ops = OpsView(database=Untouchable(), odoo=Untouchable(), audit=Untouchable())
    with pytest.raises(NotFound, match="one of retry, cancel"):
        ops.job_action("ops", "0b6f7c1e-8d44-4a8e-9f1c-5b2a3e7d9c01", "explode")
