import falcon
import pytest
from falcon import testing

from smn.errors import Problem, register_error_handlers
from smn.middleware.context import ContextMiddleware
from smn.odoo.breaker import OdooCircuitOpen
from smn.odoo.bulkhead import OdooBusy
from smn.odoo.errors import OdooUnavailable


class Exploding:
    def on_get(self, req, resp):
        raise RuntimeError("database password is hunter2")

    def on_post(self, req, resp):
        raise Problem(422, "quantity must be positive", slug="validation-error",
                      errors=[{"field": "lines[0].quantity", "message": "must be positive"}])

    def on_put(self, req, resp):
        resp.media = req.get_media()


@pytest.fixture()
def small_client():
    app = falcon.App(middleware=[ContextMiddleware()])
    register_error_handlers(app)
    app.add_route("/boom", Exploding())
    return testing.TestClient(app)


def _assert_problem(response, status):
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json
    assert body["status"] == status
    assert body["type"].startswith("/problems/")
    assert body["title"]
    assert body["request_id"] == response.headers["X-Request-Id"]
    return body


def test_unknown_route_is_a_404_problem(client):
    _assert_problem(client.simulate_get("/v1/nothing-here"), 404)


def test_wrong_method_is_a_405_problem(client):
    response = client.simulate_delete("/healthz")
    _assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_unexpected_exception_is_a_500_without_traceback(small_client, json_logs):
    response = small_client.simulate_get("/boom", headers={"X-Request-Id": "boom-1"})
    body = _assert_problem(response, 500)
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    (logged,) = [line for line in json_logs.lines() if line["logger"] == "smn.errors"]
    assert logged["request_id"] == "boom-1"
    assert "RuntimeError" in logged["exc_info"]
    assert body["detail"].startswith("An unexpected error")


def test_validation_problem_lists_field_errors(small_client):
    body = _assert_problem(small_client.simulate_post("/boom"), 422)
    assert body["type"] == "/problems/validation-error"
    assert body["errors"] == [{"field": "lines[0].quantity", "message": "must be positive"}]


def test_malformed_json_is_a_400_problem(small_client):
    response = small_client.simulate_put("/boom", body=b'{"broken": ', headers={"Content-Type": "application/json"})
    _assert_problem(response, 400)


class Unavailable:
    def __init__(self, error):
        self.error = error

    def on_get(self, req, resp):
        raise self.error


@pytest.mark.parametrize("error, retry_after", [
    (OdooUnavailable("connection refused"), "5"),
    (OdooCircuitOpen(7.2), "8"),
    (OdooBusy(8, 0.5), "1"),
])
def test_retry_after_is_what_the_failure_advises(error, retry_after):
    app = falcon.App(middleware=[ContextMiddleware()])
    register_error_handlers(app)
    app.add_route("/odoo", Unavailable(error))
    response = testing.TestClient(app).simulate_get("/odoo")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == retry_after
