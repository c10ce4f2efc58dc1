"""ErrorRateMiddleware: feeds each response status to the alerts' sliding 5xx window, nothing else."""
from __future__ import annotations

import falcon

from smn.alerts.rules import ErrorRateWindow


class ErrorRateMiddleware:
    def __init__(self, window: ErrorRateWindow) -> None:
        self.window = window

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: object,
                         req_succeeded: bool) -> None:
        self.window.record(resp.status_code, getattr(req.context, "request_id", None))
