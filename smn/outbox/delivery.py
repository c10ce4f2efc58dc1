"""Running one job: the same write actions as the partner endpoints, and how an attempt ended.

An attempt ends `done` (the reply the synchronous endpoint would have sent),
`failed` for good (a refusal that will not change on retry: validation,
Odoo's UserError/ValidationError, 403, 404 and every other 4xx), or `retry`
(Odoo unreachable, an Odoo server fault, anything unexpected).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Callable

import falcon

from smn.db import Database
from smn.errors import problem_body
from smn.idempotency import IdempotencyStore, Reply
from smn.odoo.catalog import FieldCatalog
from smn.odoo.client import OdooClient
from smn.odoo.errors import OdooError, OdooUnavailable
from smn.outbox.store import Job
from smn.outbox.tagging import current_tag, tagging
from smn.resources.orders import OrdersResource
from smn.resources.partner_base import PartnerApiContext, Writer
from smn.resources.partners import PartnersResource
from smn.services.orders import OrderService
from smn.services.partners import PartnerService
from smn.services.problems import problem_for
from smn.settings import Settings

log = logging.getLogger("smn.outbox")

Action = Callable[[Any, dict[str, Any]], Reply]
XMLID_MODULE = "smn"


@dataclass(frozen=True)
class Outcome:
    kind: str  # "done", "failed" or "retry"
    status: int
    body: Any = None
    error: str | None = None


def xmlid_name(job_id: str) -> str:
    """ir.model.data name of what job `job_id` created: smn.job_<hex>."""
    return "job_" + job_id.replace("-", "")


class Delivery:
    """The write actions of the partner resources, keyed by job kind, and their outcome."""

    def __init__(self, settings: Settings, database: Database, odoo: OdooClient) -> None:
        catalog = FieldCatalog(odoo)
        api = PartnerApiContext(settings, Writer(IdempotencyStore(database)))
        self.odoo = odoo
        self.api = api
        self.partners = PartnerService(odoo, catalog, settings.export_chunk)
        orders = OrdersResource(OrderService(odoo, catalog), api, settings.batch_max_orders)
        partners = PartnersResource(self.partners, api)
        self.actions: dict[str, Action] = {**orders.job_actions(), **partners.job_actions()}
        self._create_partner = self.actions["partners.create"]
        self.actions["partners.create"] = self._tagged_partner_create

    def execute(self, job: Job) -> Outcome:
        """One attempt of `job`; the caller binds its request id."""
        action = self.actions.get(job.kind)
        if action is None:
            return Outcome("failed", 422, {"type": "/problems/unknown-job", "title": "Unprocessable Content",
                                           "status": 422, "detail": f"Unknown job kind {job.kind!r}."})
        try:
            with tagging(job.id, look_first=True):
                reply = action(job.body, job.params)
        except OdooUnavailable as exc:
            return Outcome("retry", 503, error=str(exc))
        except falcon.HTTPError as problem:
            return _problem_outcome(problem)
        except OdooError as exc:
            return _problem_outcome(problem_for(exc), str(exc))
        except Exception as exc:
            log.exception("outbox job raised", extra={"job_id": job.id, "job_kind": job.kind})
            return Outcome("retry", 500, error=f"unexpected {type(exc).__name__}")
        return Outcome("done", reply.status, json.loads(reply.body))

    def _tagged_partner_create(self, body: Any, params: dict[str, Any]) -> Reply:
        """res.partner has no free field for a tag: the job's external id smn.job_<hex> marks the partner.

        The external id is created right after the partner; a crash between the
        two calls is the one window in which a retry may create a second partner.
        """
        tag = current_tag()
        name = xmlid_name(tag.reference.rsplit(":", 1)[-1]) if tag else None
        if name:
            found = self.odoo.search_read("ir.model.data", [["module", "=", XMLID_MODULE], ["name", "=", name],
                                                            ["model", "=", "res.partner"]], ["res_id"], limit=1)
            if found:
                partner = self.partners.get(found[0]["res_id"])
                return Reply(201, json.dumps(partner, ensure_ascii=False, separators=(",", ":")).encode(),
                             falcon.MEDIA_JSON, {"Location": self.api.link(f"/v1/partners/{partner['id']}")})
        reply = self._create_partner(body, params)
        if name:
            self._tag_partner(name, json.loads(reply.body)["id"])
        return reply

    def _tag_partner(self, name: str, partner_id: int) -> None:
        try:
            self.odoo.create("ir.model.data", {"module": XMLID_MODULE, "name": name, "model": "res.partner",
                                               "res_id": partner_id, "noupdate": True})
        except OdooError as exc:
            log.warning("could not tag the created partner with its job's external id",
                        extra={"partner_id": partner_id, "odoo_error": str(exc)})


def _problem_outcome(problem: falcon.HTTPError, error: str | None = None) -> Outcome:
    body = problem_body(problem)
    if problem.status_code >= 500:
        return Outcome("retry", problem.status_code, body, error or problem.description)
    return Outcome("failed", problem.status_code, body)
