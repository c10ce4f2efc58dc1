"""A bare Falcon app answering one product's JSON with and without the headers SMN sends on a cached read.

Served by `python -m bench.header_cost` under gunicorn_conf.py, like the floor of
`make bench`: the difference between its two routes is what the response headers
alone cost under gunicorn, whoever sets them.
"""
import json

import falcon

PRODUCT = json.dumps({
    "id": 5, "name": "Office Chair Black", "sku": "FURN_0269", "barcode": None, "type": "goods",
    "category": {"id": 8, "name": "All / Saleable / Office Furniture"}, "list_price": 120.5, "currency": "USD",
    "uom": {"id": 1, "name": "Units"}, "active": True, "sale_ok": True, "updated_at": "2026-12-04T20:34:37Z",
}).encode()

SMN_HEADERS = {
    "RateLimit-Limit": "1000000", "RateLimit-Remaining": "999999", "RateLimit-Reset": "1",
    "RateLimit-Policy": '1000000;w=1;comment="token bucket, 1e+06/s"', "Cache-Control": "private, no-cache",
    "Cache-Status": "smn; hit; ttl=3599", "Age": "0",
}
"""Besides X-Request-Id and ETag, set below: what GET /v1/products/5 answers from the fresh cache."""


class Plain:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.data = PRODUCT


class WithSmnHeaders:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.set_header("X-Request-Id", req.get_header("X-Request-Id") or "-")
        resp.set_headers(SMN_HEADERS)
        resp.etag = "5f0c6e3e2b1d4a7c"
        resp.data = PRODUCT


app = falcon.App()
app.add_route("/plain", Plain())
app.add_route("/smn-headers", WithSmnHeaders())
