"""The floor of `make bench`: a bare Falcon app answering what SMN's /healthz answers.

No middleware, no logging per request, no database: whatever SMN serves slower
than this, under the same gunicorn settings, is SMN's own cost.
"""
import falcon


class Health:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"status": "ok"}


app = falcon.App()
app.add_route("/healthz", Health())
