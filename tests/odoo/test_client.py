"""OdooClient over real HTTP: the Odoo stand-in, and a tiny server replaying captured answers.

The replay server answers with the raw bodies captured from a real Odoo 19
(tests/data/odoo19/odoo19-wire-samples.json), so every error shape is checked
against what Odoo really sends; the stand-in (smn.odoo.sandbox) drives the
same errors through real calls, faults and timing.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from smn.context import bind_request, unbind_request
from smn.odoo import (
    OdooAccessError,
    OdooAuthenticationError,
    OdooClient,
    OdooError,
    OdooMissingError,
    OdooProtocolError,
    OdooServerError,
    OdooTimeout,
    OdooUnavailable,
    OdooUserError,
    OdooValidationError,
    error_from_payload,
)
from smn.odoo.client import json2_body
from smn.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SAMPLES_FILE = ROOT / "tests" / "data" / "odoo19" / "odoo19-wire-samples.json"
DB = "smn_demo"
ADMIN_KEY = "sandbox-admin-key"
DEMO_KEY = "sandbox-demo-key"
PROTOCOLS = ("jsonrpc", "json2")

EXPECTED_SAMPLE_ERRORS: dict[str, type[OdooError]] = {
    "a_nonexistent_model": OdooUserError,
    "b_wrong_password_authenticate": OdooAuthenticationError,
    "b_wrong_password_execute_kw": OdooAuthenticationError,
    "b_unknown_database": OdooServerError,
    "c_create_sale_order_without_partner": OdooValidationError,
    "c_validation_error_recursive_partner": OdooValidationError,
    "c_user_error_unlink_confirmed_so": OdooUserError,
    "d_access_error_demo_reads_ir_config_parameter": OdooAccessError,
    "d_access_error_demo_writes_admin_user": OdooAccessError,
    "e_private_method": OdooAccessError,
    "e_nonexistent_method": OdooServerError,
    "e_invalid_field_in_domain": OdooServerError,
    "e_invalid_field_in_fields": OdooServerError,
    "e_missing_record_write": OdooMissingError,
    "e_bad_arguments": OdooServerError,
    "e_unknown_service": OdooServerError,
    "f_malformed_json_body": OdooProtocolError,
    "f_wrong_path_json": OdooProtocolError,
    "g_json2_unknown_model": OdooMissingError,
    "g_json2_bad_key": OdooAuthenticationError,
}
EXPECTED_SAMPLE_SUCCESSES = {
    "ok_common_version", "ok_authenticate", "ok_search_read", "ok_create_returns_int",
    "ok_action_confirm_returns_true", "e_missing_record_read", "g_json2_ok_search_read",
}


def _load_samples() -> dict[str, dict]:
    return json.loads(SAMPLES_FILE.read_text())


SAMPLES = _load_samples()


# --------------------------------------------------------------------------- replay server

Answer = tuple[int, str, bytes]


class ReplayOdoo:
    """A tiny real HTTP server: authenticate (and version, when given) succeed, the rest get ``answer``."""

    def __init__(self, answer: Answer, *, server_version: int | None = None) -> None:
        self.answer = answer
        self.server_version = server_version
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.auth_result: Any = 2
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "ReplayOdoo":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def respond(self, path: str, body: Any) -> Answer:
        params = body.get("params", {}) if isinstance(body, dict) else {}
        if path == "/jsonrpc" and params.get("service") == "common":
            if params.get("method") == "authenticate":
                return _jsonrpc_ok(body, self.auth_result)
            if params.get("method") == "version" and self.server_version is not None:
                return _jsonrpc_ok(body, {"server_version": f"{self.server_version}.0",
                                          "server_version_info": [self.server_version, 0, 0, "final", 0, ""]})
        return self.answer

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                replay.requests.append((self.path, dict(self.headers), body))
                status, content_type, payload = replay.respond(self.path, body)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def _jsonrpc_ok(request: dict, result: Any) -> Answer:
    body = json.dumps({"jsonrpc": "2.0", "id": request.get("id"), "result": result}).encode()
    return 200, "application/json; charset=utf-8", body


def _sample_answer(name: str) -> Answer:
    sample = SAMPLES[name]
    raw = sample.get("response_raw")
    if raw is None:
        response = sample["response"]
        raw = response["non_json_body"] if "non_json_body" in response else json.dumps(response)
    return sample["http_status"], sample["content_type"], raw.encode()


def _sample_call(client: OdooClient, name: str) -> Any:
    """Replay the sample's own call through the public API."""
    request = SAMPLES[name]["request"]
    if "params" not in request:
        if request["path"].startswith("/json/2/"):
            model, method = request["path"].split("/")[3:5]
            return client.execute_kw(model, method, [], json.loads(request["body"]))
        return client.search_count("res.partner")
    params = request["params"]
    if params["service"] == "common" and params["method"] == "version":
        return client.version()
    if params["service"] != "object":
        return client.search_count("res.partner")
    _db, _uid, _secret, model, method, *rest = params["args"]
    return client.execute_kw(model, method, rest[0] if rest else [], rest[1] if len(rest) > 1 else None)


def _sample_client(url: str, name: str, **options: Any) -> OdooClient:
    if name.startswith("g_json2"):
        return OdooClient(url, DB, "admin", api_key="sample-api-key-0123456789", protocol="json2", **options)
    return OdooClient(url, DB, "admin", password="sample-password-0123", protocol="jsonrpc", **options)


def test_every_captured_sample_is_covered() -> None:
    assert set(SAMPLES) == set(EXPECTED_SAMPLE_ERRORS) | EXPECTED_SAMPLE_SUCCESSES


@pytest.mark.parametrize("name", sorted(EXPECTED_SAMPLE_ERRORS))
def test_captured_error_maps_to_class(name: str) -> None:
    with ReplayOdoo(_sample_answer(name)) as server, _sample_client(server.url, name) as client:
        if name == "b_wrong_password_authenticate":
            server.auth_result = False
        with pytest.raises(OdooError) as caught:
            _sample_call(client, name)
    error = caught.value
    assert type(error) is EXPECTED_SAMPLE_ERRORS[name]
    data = SAMPLES[name]["response"].get("error", {}).get("data") or SAMPLES[name]["response"]
    if "message" in data:
        assert error.message == data["message"] and error.odoo_name == data["name"]
    assert "traceback" not in str(error).lower()


@pytest.mark.parametrize("name", sorted(EXPECTED_SAMPLE_SUCCESSES))
def test_captured_success_returns_result(name: str) -> None:
    with ReplayOdoo(_sample_answer(name)) as server, _sample_client(server.url, name) as client:
        result = _sample_call(client, name)
    response = SAMPLES[name]["response"]
    assert result == (response["result"] if isinstance(response, dict) else response)


def test_json2_create_single_dict_is_wrapped_and_unwrapped() -> None:
    with ReplayOdoo((200, "application/json", b"[45]")) as server:
        with _sample_client(server.url, "g_json2") as client:
            assert client.create("res.partner", {"name": "x"}) == 45
    path, headers, body = server.requests[-1]
    assert path == "/json/2/res.partner/create"
    assert body == {"vals_list": [{"name": "x"}]}
    assert headers["Authorization"] == "bearer sample-api-key-0123456789"
    assert headers["X-Odoo-Database"] == DB


@pytest.mark.parametrize(("answer", "expected"), [
    ((200, "text/html; charset=utf-8", b"<html>maintenance</html>"), OdooProtocolError),
    ((301, "text/html", b"moved"), OdooProtocolError),
    ((500, "text/html", b"<html>Internal Server Error</html>"), OdooUnavailable),
    ((500, "text/plain", b""), OdooUnavailable),
    ((502, "text/html", b"<html>502 Bad Gateway</html>"), OdooUnavailable),
    ((503, "application/json", b'{"name": "odoo.exceptions.UserError", "message": "x"}'), OdooUnavailable),
    ((504, "text/html", b"<html>504 Gateway Time-out</html>"), OdooUnavailable),
    ((200, "application/json", b'{"jsonrpc": "2.0", "id": 1}'), OdooProtocolError),
    ((200, "application/json", b'{"jsonrpc": "2.0", "id": 1, "error": {"code": 200, "message": "Odoo Server Error",'
                               b' "data": {"name": "odoo.exceptions.ValidationError", "message": "old shape",'
                               b' "debug": "Traceback (most recent call last): secret frames"}}}'),
     OdooValidationError),
    ((200, "application/json", b'{"jsonrpc": "2.0", "id": 1, "error": {"code": 404, "message": "404: Not Found"}}'),
     OdooServerError),
])
def test_jsonrpc_answer_shapes(answer: Answer, expected: type[OdooError]) -> None:
    with ReplayOdoo(answer) as server, _sample_client(server.url, "jsonrpc") as client:
        with pytest.raises(OdooError) as caught:
            client.search_count("res.partner")
    assert type(caught.value) is expected
    assert "secret frames" not in str(caught.value) and "secret frames" not in repr(caught.value)


@pytest.mark.parametrize(("answer", "expected"), [
    ((500, "application/json", b'{"name": "builtins.ValueError", "message": "Invalid field", "debug": "tb"}'),
     OdooServerError),
    ((422, "application/json", b'{"name": "odoo.exceptions.ValidationError", "message": "bad", "debug": "tb"}'),
     OdooValidationError),
    ((403, "application/json", b'{"name": "odoo.exceptions.AccessError", "message": "no", "debug": "tb"}'),
     OdooAccessError),
    ((422, "application/json", b'{"name": "werkzeug.exceptions.UnprocessableEntity", "message": "kw"}'),
     OdooServerError),
    ((404, "text/html", b"<html>404</html>"), OdooProtocolError),
    ((400, "text/html", b"Invalid JSON data"), OdooProtocolError),
    ((200, "text/html", b"<html>login</html>"), OdooProtocolError),
    ((500, "text/html", b"<html>boom</html>"), OdooUnavailable),
    ((503, "text/html", b"<html>deploying</html>"), OdooUnavailable),
])
def test_json2_answer_shapes(answer: Answer, expected: type[OdooError]) -> None:
    with ReplayOdoo(answer) as server, _sample_client(server.url, "g_json2") as client:
        with pytest.raises(OdooError) as caught:
            client.search_count("res.partner")
    assert type(caught.value) is expected


def test_auto_picks_jsonrpc_on_older_odoo_even_with_api_key() -> None:
    answer = (200, "application/json", b'{"jsonrpc": "2.0", "id": 1, "result": 7}')
    with ReplayOdoo(answer, server_version=17) as server:
        with OdooClient(server.url, DB, "admin", api_key="an-api-key-0123456789") as client:
            assert client.search_count("res.partner") == 7
            assert client.protocol == "jsonrpc"
    assert [path for path, _, _ in server.requests] == ["/jsonrpc"] * 3


@pytest.mark.parametrize(("cls", "http_status", "retryable", "parent"), [
    (OdooUnavailable, 503, True, OdooError),
    (OdooTimeout, 503, True, OdooUnavailable),
    (OdooUserError, 422, False, OdooError),
    (OdooValidationError, 422, False, OdooUserError),
    (OdooAccessError, 403, False, OdooError),
    (OdooMissingError, 404, False, OdooError),
    (OdooAuthenticationError, 502, False, OdooError),
    (OdooServerError, 502, False, OdooError),
    (OdooProtocolError, 502, False, OdooError),
])
def test_exception_table(cls: type[OdooError], http_status: int, retryable: bool, parent: type) -> None:
    error = cls("message", odoo_name="odoo.exceptions.X")
    assert (error.http_status, error.retryable, str(error)) == (http_status, retryable, "message")
    assert isinstance(error, parent) and error.odoo_name == "odoo.exceptions.X"


def test_error_from_payload_table() -> None:
    assert type(error_from_payload({"name": "odoo.exceptions.RedirectWarning", "message": "m"})) is OdooUserError
    assert type(error_from_payload({"name": "psycopg2.errors.SerializationFailure"})) is OdooServerError
    assert type(error_from_payload({"name": "werkzeug.exceptions.NotFound"})) is OdooServerError
    assert type(error_from_payload({"name": "werkzeug.exceptions.NotFound"}, "json2")) is OdooMissingError
    error = error_from_payload({"name": "x.Y", "arguments": ["from arguments"], "debug": "Traceback"})
    assert str(error) == "from arguments" and error.odoo_name == "x.Y"


@pytest.mark.parametrize(("method", "args", "kwargs", "body"), [
    ("search_read", [[["a", "=", 1]], ["name"]], {"limit": 2},
     {"domain": [["a", "=", 1]], "fields": ["name"], "limit": 2}),
    ("search_count", [[]], {}, {"domain": []}),
    ("read", [[1, 2]], {"fields": ["name"]}, {"ids": [1, 2], "fields": ["name"]}),
    ("write", [[1], {"name": "x"}], {}, {"ids": [1], "vals": {"name": "x"}}),
    ("create", [[{"name": "x"}]], {}, {"vals_list": [{"name": "x"}]}),
    ("unlink", [[3]], {}, {"ids": [3]}),
    ("action_confirm", [[26]], {"context": {"lang": "en_US"}}, {"ids": [26], "context": {"lang": "en_US"}}),
    ("fields_get", [], {"attributes": ["type"]}, {"attributes": ["type"]}),
    ("action_confirm", [26], {}, {"ids": [26]}),
])
def test_json2_body_translation(method: str, args: list, kwargs: dict, body: dict) -> None:
    assert json2_body(method, args, kwargs)[0] == body


def test_json2_body_rejects_ambiguous_arguments() -> None:
    with pytest.raises(TypeError):
        json2_body("write", [[1], {"a": 1}], {"vals": {}})
    with pytest.raises(TypeError):
        json2_body("action_confirm", [[1], "extra"], {})


def test_constructor_checks_and_from_settings() -> None:
    with pytest.raises(ValueError):
        OdooClient("http://127.0.0.1:1", DB, "admin")
    with pytest.raises(ValueError):
        OdooClient("http://127.0.0.1:1", DB, "admin", password="p", protocol="json2")
    settings = Settings.from_env({}, odoo_url="http://127.0.0.1:1", odoo_password="p", odoo_protocol="jsonrpc")
    with OdooClient.from_settings(settings) as client:
        assert client.protocol == "jsonrpc"


# --------------------------------------------------------------------------- the Odoo stand-in

@pytest.fixture(scope="module")
def odoo() -> Iterator[Any]:
    from smn.odoo.sandbox import SandboxOdoo

    server = SandboxOdoo(host="127.0.0.1", port=0).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _odoo_faults_cleared(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "odoo" in request.fixturenames:
        server = request.getfixturevalue("odoo")
        server.clear_faults()
        server.come_up()


def _client(url: str, protocol: str, user: str = "admin", **options: Any) -> OdooClient:
    options.setdefault("read_timeout", 2.0)
    options.setdefault("connect_timeout", 1.0)
    if protocol == "json2":
        key = ADMIN_KEY if user == "admin" else DEMO_KEY
        return OdooClient(url, options.pop("database", DB), user, api_key=key, protocol="json2", **options)
    return OdooClient(url, options.pop("database", DB), user, password=user, protocol="jsonrpc", **options)


@pytest.fixture(scope="module")
def clients(odoo: Any) -> Iterator[dict[str, OdooClient]]:
    made = {protocol: _client(odoo.url, protocol) for protocol in PROTOCOLS}
    made.update({f"demo-{protocol}": _client(odoo.url, protocol, "demo") for protocol in PROTOCOLS})
    yield made
    for client in made.values():
        client.close()


@pytest.fixture(params=PROTOCOLS)
def client(request: pytest.FixtureRequest, clients: dict[str, OdooClient]) -> OdooClient:
    return clients[request.param]


@pytest.fixture()
def demo(client: OdooClient, clients: dict[str, OdooClient]) -> OdooClient:
    return clients[f"demo-{client.protocol}"]


def _by_protocol(client: OdooClient, jsonrpc: type[OdooError], json2: type[OdooError]) -> type[OdooError]:
    return jsonrpc if client.protocol == "jsonrpc" else json2


def _raises(expected: type[OdooError], call: Callable[[], Any]) -> OdooError:
    with pytest.raises(OdooError) as caught:
        call()
    assert type(caught.value) is expected, f"{type(caught.value).__name__}: {caught.value}"
    assert "Traceback" not in str(caught.value)
    return caught.value


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name.lower()), None)


def test_everyday_calls(client: OdooClient) -> None:
    products = client.search_read("product.product", [], ["name", "list_price"], limit=2, order="id")
    assert len(products) == 2 and {"id", "name", "list_price"} <= set(products[0])
    assert client.search_count("res.partner") > 0
    partner = client.create("res.partner", {"name": f"client test {client.protocol}"})
    assert isinstance(partner, int) and not isinstance(partner, bool)
    assert client.write("res.partner", [partner], {"email": "a@example.com"}) is True
    assert client.read("res.partner", [partner], ["email"])[0]["email"] == "a@example.com"
    assert client.fields_get("res.partner", ["type"])["name"]["type"] == "char"
    assert client.read("res.partner", [99999999], ["name"]) == []


def test_record_method_call(client: OdooClient) -> None:
    partner = client.search_read("res.partner", [], ["id"], limit=1)[0]["id"]
    product = client.search_read("product.product", [], ["id"], limit=1)[0]["id"]
    order = client.create("sale.order", {"partner_id": partner,
                                         "order_line": [[0, 0, {"product_id": product, "product_uom_qty": 1}]]})
    assert client.call("sale.order", "action_confirm", [order]) is True
    _raises(OdooUserError, lambda: client.execute_kw("sale.order", "unlink", [[order]]))


def test_nonexistent_model(client: OdooClient) -> None:
    error = _raises(_by_protocol(client, OdooUserError, OdooMissingError),
                    lambda: client.search_read("no.such.model", limit=1))
    assert "no.such.model" in error.message


def test_create_sale_order_without_partner(client: OdooClient) -> None:
    error = _raises(OdooValidationError, lambda: client.create("sale.order", {}))
    assert "partner_id" in error.message


def test_recursive_partner(client: OdooClient) -> None:
    partner = client.search_read("res.partner", [], ["id"], limit=1)[0]["id"]
    error = _raises(OdooValidationError, lambda: client.write("res.partner", [partner], {"parent_id": partner}))
    assert "recursive" in error.message


def test_demo_user_access_errors(demo: OdooClient) -> None:
    _raises(OdooAccessError, lambda: demo.search_read("ir.config_parameter", limit=1))
    _raises(OdooAccessError, lambda: demo.write("res.users", [2], {"name": "hacked"}))


def test_private_method(client: OdooClient) -> None:
    _raises(OdooAccessError, lambda: client.call("res.partner", "_compute_display_name", [1]))


def test_nonexistent_method(client: OdooClient) -> None:
    _raises(_by_protocol(client, OdooServerError, OdooMissingError),
            lambda: client.execute_kw("res.partner", "no_such_method", [[]]))


@pytest.mark.parametrize("call", [
    lambda c: c.search_read("res.partner", [["no_such_field", "=", 1]], limit=1),
    lambda c: c.search_read("res.partner", [], ["no_such_field"], limit=1),
    lambda c: c.execute_kw("res.partner", "search_count", [[]], {"bogus_kwarg": 1}),
], ids=["field-in-domain", "field-in-fields", "bad-kwarg"])
def test_programming_errors_are_server_errors(client: OdooClient, call: Callable[[OdooClient], Any]) -> None:
    error = _raises(OdooServerError, lambda: call(client))
    assert error.http_status == 502


def test_missing_record_write(client: OdooClient) -> None:
    _raises(OdooMissingError, lambda: client.write("res.partner", [99999999], {"name": "x"}))


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_wrong_credentials(odoo: Any, protocol: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "wrong-secret-0123456789"
    credentials = {"api_key": secret} if protocol == "json2" else {"password": secret}
    with OdooClient(odoo.url, DB, "admin", protocol=protocol, **credentials) as client:
        error = _raises(OdooAuthenticationError, lambda: client.search_count("res.partner"))
    assert error.http_status == 502 and not error.retryable
    assert secret not in str(error) and secret not in repr(error) and secret not in caplog.text


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_unknown_database(odoo: Any, protocol: str) -> None:
    with _client(odoo.url, protocol, database="no_such_db") as client:
        error = _raises(OdooServerError, lambda: client.search_count("res.partner"))
    assert not error.retryable


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_wrong_base_path_is_protocol_error(odoo: Any, protocol: str) -> None:
    with _client(odoo.url + "/not-odoo", protocol) as client:
        _raises(OdooProtocolError, lambda: client.search_count("res.partner"))


def test_down_then_up(odoo: Any, client: OdooClient) -> None:
    client.search_count("res.partner")
    odoo.go_down()
    error = _raises(OdooUnavailable, lambda: client.search_count("res.partner"))
    assert error.retryable and error.http_status == 503
    odoo.come_up()
    assert client.search_count("res.partner") > 0


def test_read_timeout(odoo: Any, client: OdooClient) -> None:
    with _client(odoo.url, client.protocol, read_timeout=0.3) as slow:
        slow.search_count("res.partner")
        odoo.set_latency(1.5)
        started = time.monotonic()
        _raises(OdooTimeout, lambda: slow.search_count("res.partner"))
        assert time.monotonic() - started < 1.0


def test_per_call_timeout(odoo: Any, client: OdooClient) -> None:
    client.version()
    odoo.set_latency(1.0)
    started = time.monotonic()
    _raises(OdooTimeout, lambda: client.version(timeout=0.2))
    assert time.monotonic() - started < 0.8


@pytest.mark.parametrize("status", [502, 503, 504])
def test_proxy_errors(odoo: Any, client: OdooClient, status: int) -> None:
    odoo.set_proxy_error(status)
    error = _raises(OdooUnavailable, lambda: client.search_count("res.partner"))
    assert str(status) in error.message
    odoo.set_proxy_error(None)
    assert client.search_count("res.partner") > 0


def test_injected_validation_error(odoo: Any, client: OdooClient) -> None:
    odoo.raise_error("odoo.exceptions.ValidationError", "Stock too low for SKU-1",
                     model="sale.order", method="create", times=1)
    error = _raises(OdooValidationError, lambda: client.create("sale.order", {"partner_id": 1}))
    assert str(error) == "Stock too low for SKU-1" and error.http_status == 422
    assert "Traceback" not in repr(error) and error.odoo_name == "odoo.exceptions.ValidationError"


def _count_authentications(client: OdooClient) -> list[int]:
    calls: list[int] = []
    original = client._jsonrpc

    def spy(service: str, method: str, *rest: Any) -> Any:
        if method == "authenticate":
            calls.append(1)
        return original(service, method, *rest)

    client._jsonrpc = spy  # type: ignore[method-assign]
    return calls


def test_one_authentication_for_concurrent_first_calls(odoo: Any) -> None:
    with _client(odoo.url, "jsonrpc", pool_size=8) as client:
        authentications = _count_authentications(client)
        odoo.set_latency(0.05)
        barrier = threading.Barrier(8)
        results: list[Any] = []

        def work() -> None:
            barrier.wait()
            results.append(client.search_count("res.partner"))

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert len(results) == 8 and len(set(results)) == 1
    assert len(authentications) == 1


def test_stale_uid_is_reauthenticated_once(odoo: Any) -> None:
    with _client(odoo.url, "jsonrpc") as client:
        client.search_count("res.partner")
        authentications = _count_authentications(client)
        odoo.raise_error("odoo.exceptions.AccessDenied", "Access Denied", model="res.partner",
                         method="search_count", times=1)
        assert client.search_count("res.partner") > 0
        assert len(authentications) == 1
        odoo.raise_error("odoo.exceptions.AccessDenied", "Access Denied", model="res.partner", method="search_count")
        _raises(OdooAuthenticationError, lambda: client.search_count("res.partner"))
        assert len(authentications) == 2


@pytest.mark.parametrize(("options", "protocol"), [
    ({"api_key": ADMIN_KEY}, "json2"),
    ({"password": "admin"}, "jsonrpc"),
    ({"password": "admin", "api_key": ADMIN_KEY, "protocol": "jsonrpc"}, "jsonrpc"),
])
def test_auto_protocol(odoo: Any, options: dict, protocol: str) -> None:
    with OdooClient(odoo.url, DB, "admin", **options) as client:
        assert client.protocol == protocol
        assert client.search_count("res.partner") > 0


def test_headers_reach_odoo(odoo: Any, client: OdooClient) -> None:
    tokens = bind_request("req-client-test-1")
    try:
        client.search_count("res.partner")
    finally:
        unbind_request(tokens)
    headers = odoo.received_headers[-1]
    assert _header(headers, "X-Request-Id") == "req-client-test-1"
    assert (_header(headers, "User-Agent") or "").startswith("smn/")
    if client.protocol == "json2":
        assert _header(headers, "Authorization") == f"bearer {ADMIN_KEY}"
        assert _header(headers, "X-Odoo-Database") == DB
    client.search_count("res.partner")
    assert _header(odoo.received_headers[-1], "X-Request-Id") is None


def test_request_stats_count_calls_and_failures(client: OdooClient) -> None:
    client.search_count("res.partner")
    tokens = bind_request("req-stats")
    try:
        from smn.context import current_stats

        client.search_count("res.partner")
        client.search_read("res.partner", limit=1)
        with pytest.raises(OdooError):
            client.search_read("no.such.model", limit=1)
        stats = current_stats()
    finally:
        unbind_request(tokens)
    assert stats is not None and stats.odoo_calls == 3 and stats.odoo_ms > 0


def test_secrets_stay_out_of_errors_and_logs(odoo: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[OdooError] = []
    for protocol in PROTOCOLS:
        with _client(odoo.url, protocol) as client:
            client.search_count("res.partner")
            for call in (lambda: client.search_read("no.such.model"), lambda: client.create("sale.order", {})):
                with pytest.raises(OdooError) as caught:
                    call()
                errors.append(caught.value)
            odoo.go_down()
            with pytest.raises(OdooUnavailable) as caught:
                client.search_count("res.partner")
            errors.append(caught.value)
            odoo.come_up()
    texts = [caplog.text] + [f"{e} {e!r} {e.__cause__!r}" for e in errors]
    assert all(ADMIN_KEY not in text for text in texts)
    assert any("smn.odoo" == record.name for record in caplog.records)
    assert all("vals" not in record.getMessage() for record in caplog.records if record.name == "smn.odoo")
