"""ContextMiddleware: the request id, and nothing else."""
from __future__ import annotations

import falcon

from smn.context import REQUEST_ID_ENVIRON, REQUEST_ID_HEADER, bind_request, is_sane_request_id, new_request_id, unbind_request


class ContextMiddleware:
    """Accept a sane inbound X-Request-Id or make a uuid4; echo it; bind it for logs and Odoo."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        inbound = req.env.get(REQUEST_ID_ENVIRON)
        request_id = inbound if is_sane_request_id(inbound) else new_request_id()
        req.context.request_id = request_id
        req.context.context_token = bind_request(request_id)
        resp.set_header(REQUEST_ID_HEADER, request_id)

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: object,
                         req_succeeded: bool) -> None:
        token = getattr(req.context, "context_token", None)
        if token is not None:
            unbind_request(token)
            req.context.context_token = None
