"""The Odoo stand-in: a small HTTP server speaking Odoo 19's JSON-RPC and JSON-2.

This is a development and test tool only. ``make serve`` and the test suite
run SMN against it when no Odoo is configured; production sets SMN_ODOO_URL
to a real Odoo and never starts this module.

It answers like the real Odoo 19 the wire samples were captured from
(``shared/odoo19/odoo19-wire-samples.json``): the same envelopes, HTTP
statuses, content types, error names and message texts, over demo data
(``sandbox_data``) kept in memory by ``sandbox_orm``. Tests break it on
purpose: `SandboxOdoo.go_down`, `set_latency`, `set_proxy_error`, `raise_error`.

Run it alone with ``python -m smn.odoo.sandbox --port 8069``.
"""
from __future__ import annotations

import argparse
import html
import inspect
import json
import signal
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

from smn.odoo.sandbox_domain import SCHEMA, RpcError
from smn.odoo.sandbox_orm import CLASSES, BaseModel, Env, Store, user_error

DATABASE = "smn_demo"
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "admin"
ADMIN_UID = 2
ADMIN_API_KEY = "sandbox-admin-key"
DEMO_LOGIN = "demo"
DEMO_PASSWORD = "demo"
DEMO_UID = 5
DEMO_API_KEY = "sandbox-demo-key"

USERS = {ADMIN_UID: (ADMIN_LOGIN, ADMIN_PASSWORD, ADMIN_API_KEY), DEMO_UID: (DEMO_LOGIN, DEMO_PASSWORD, DEMO_API_KEY)}
VERSION_INFO = [19, 0, 0, "final", 0, ""]
VERSION = {"server_version": "19.0", "server_version_info": VERSION_INFO, "server_serie": "19.0",
           "protocol_version": 1}
MAX_CALLS = 10_000
MAX_HEADERS = 1_000
JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
ODOO_SERVER = "Werkzeug/3.0.1 Python/3.12.3"

JSON2_STATUS = {
    "odoo.exceptions.AccessError": 403, "odoo.exceptions.AccessDenied": 403, "odoo.exceptions.MissingError": 404,
    "odoo.exceptions.UserError": 422, "odoo.exceptions.ValidationError": 422,
    "werkzeug.exceptions.BadRequest": 400, "werkzeug.exceptions.Unauthorized": 401,
    "werkzeug.exceptions.Forbidden": 403, "werkzeug.exceptions.NotFound": 404,
    "werkzeug.exceptions.MethodNotAllowed": 405, "werkzeug.exceptions.Conflict": 409,
    "werkzeug.exceptions.UnprocessableEntity": 422, "werkzeug.exceptions.TooManyRequests": 429,
    "werkzeug.exceptions.ServiceUnavailable": 503, "werkzeug.exceptions.GatewayTimeout": 504,
}
"""HTTP status of a JSON-2 error, as Odoo 19's Json2Dispatcher.handle_error picks it (odoo/http.py): a
werkzeug HTTPException answers its own code, an odoo.exceptions.UserError subclass its ``http_status``
(AccessError and AccessDenied 403, MissingError 404, UserError and ValidationError 422); anything
else (ValueError, TypeError, psycopg2 errors...) is 500 Internal Server Error."""

PROXY_REASONS = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}
SUPERUSER_DB_METHODS = frozenset({"create_database", "duplicate_database", "drop", "dump", "restore", "rename",
                                  "change_admin_password", "migrate_databases"})
TRACEBACK = ('Traceback (most recent call last):\n  File "/opt/odoo/odoo/http.py", line 2160, in _serve_db\n'
             "    return service_model.retrying(serve_func, env=self.env)\n")
NOT_FOUND_PAGE = """<!DOCTYPE html>
<html dir="ltr">
    <head>
        <meta charset="utf-8"/>
        <meta http-equiv="X-UA-Compatible" content="IE=edge"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>Odoo</title>
        <link type="image/x-icon" rel="shortcut icon" href="/web/static/img/favicon.ico"/>
    </head>
    <body>
        <div class="container">
            <h1>404: Page not found</h1>
            <p>The page you were looking for could not be found; it is possible you have typed the address
            incorrectly, but it has most probably been removed due to the recent website reorganisation.</p>
        </div>
    </body>
</html>
""".encode()


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    server: str = ODOO_SERVER


@dataclass
class _Injected:
    name: str
    message: str
    model: str | None
    method: str | None
    times: int | None


def as_rpc_error(exc: BaseException) -> RpcError:
    """Any exception as Odoo's serialize_exception names it (``builtins.KeyError``...)."""
    if isinstance(exc, RpcError):
        return exc
    message = "\n".join(str(arg) for arg in exc.args) if exc.args else str(exc)
    return RpcError(f"{type(exc).__module__}.{type(exc).__qualname__}", message)


def error_data(error: RpcError, status: int | None = None) -> dict[str, Any]:
    """The ``data`` of a JSON-RPC error, or the whole body of a JSON-2 one (``status`` given)."""
    werkzeug = status is not None and error.name.startswith("werkzeug.")
    debug = f"{error.name}: {error.message}\n"
    return {"name": error.name, "message": error.message,
            "arguments": [error.message, status] if werkzeug else [error.message], "context": {},
            "debug": debug if error.name == "odoo.exceptions.AccessDenied" else TRACEBACK + debug}


def json_answer(status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> Answer:
    return Answer(status, JSON_TYPE, json.dumps(payload, ensure_ascii=False).encode(), headers)


def json2_error(error: RpcError) -> Answer:
    status = JSON2_STATUS.get(error.name, 500)
    headers = (("WWW-Authenticate", "Bearer"),) if status == 401 else ()
    return json_answer(status, error_data(error, status), headers)


def bad_request_page(description: str) -> Answer:
    page = (f"<!doctype html>\n<html lang=en>\n<title>400 Bad Request</title>\n<h1>Bad Request</h1>\n"
            f"<p>{html.escape(description)}</p>\n")
    return Answer(400, HTML_TYPE, page.encode())


def proxy_page(status: int) -> Answer:
    title = f"{status} {PROXY_REASONS[status]}"
    page = (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
            "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
    return Answer(status, "text/html", page.encode(), server="nginx")


def check_database(db: Any) -> None:
    if db != DATABASE:
        raise RpcError("psycopg2.OperationalError", 'connection to server at "127.0.0.1", port 5433 failed: '
                       f'FATAL:  database "{db}" does not exist\n')


def jsonrpc(service: Any, method: Any, args: Any) -> tuple[Any, Any, list]:
    """The parameters of Odoo's /jsonrpc endpoint (a missing one is a TypeError, as in Odoo)."""
    return service, method, list(args or [])


def execute_kw(db: Any, uid: Any, obj: Any, method: Any, args: Any, kw: Any = None) -> tuple[Any, Any, list, dict]:
    return obj, method, list(args), dict(kw or {})


def execute(db: Any, uid: Any, obj: Any, method: Any, *args: Any, **kw: Any) -> tuple[Any, Any, list, dict]:
    return obj, method, list(args), kw


def public_method(cls: type[BaseModel], model: str, name: Any) -> Callable:
    """Odoo's get_public_method: private names are refused, unknown ones do not exist."""
    if not isinstance(name, str) or name.startswith("_"):
        raise RpcError("odoo.exceptions.AccessError",
                       f"Private methods (such as '{model}.{name}') cannot be called remotely.")
    func = getattr(cls, name, None)
    if not callable(func) or not getattr(func, "_rpc", False):
        raise RpcError("builtins.AttributeError", f"The method '{model}.{name}' does not exist")
    return func


def call_kw(env: Env, model: Any, method: Any, args: list, kwargs: dict) -> Any:
    """One execute_kw as Odoo's object service runs it (odoo.api.call_kw)."""
    if model not in SCHEMA:
        raise user_error(f"Object {model} doesn't exist")
    cls = CLASSES.get(model, BaseModel)
    func = public_method(cls, model, method)
    kwargs = dict(kwargs)
    env = env.with_context(**(kwargs.pop("context", None) or {}))
    if getattr(func, "_api_model", False):
        result = func(cls(env, model), *args, **kwargs)
        return result[0] if method == "create" and args and isinstance(args[0], dict) else result
    ids, rest = args[0], args[1:]
    return func(cls(env, model, ids), *rest, **kwargs)


def call_json2(env: Env, model: str, method: str, params: dict[str, Any]) -> Any:
    """One POST /json/2/<model>/<method> as Odoo's rpc controller runs it: the body holds the keywords."""
    if model not in SCHEMA:
        raise RpcError("werkzeug.exceptions.NotFound", f"the model {model!r} does not exist")
    cls = CLASSES.get(model, BaseModel)
    try:
        func = public_method(cls, model, method)
    except RpcError as exc:
        if exc.name == "builtins.AttributeError":
            raise RpcError("werkzeug.exceptions.NotFound", exc.message) from exc
        raise
    params = dict(params)
    ids = params.pop("ids", ()) or ()
    env = env.with_context(**(params.pop("context", None) or {}))
    if getattr(func, "_api_model", False) and ids:
        raise RpcError("werkzeug.exceptions.UnprocessableEntity", f"cannot call {model}.{method} with ids")
    records = cls(env, model, ids)
    try:
        inspect.signature(func).bind(records, **params)
    except TypeError as exc:
        raise RpcError("werkzeug.exceptions.UnprocessableEntity", str(exc.args[0])) from exc
    return func(records, **params)


def _mimetype(headers: Any) -> str:
    return (headers.get("Content-Type") or "").split(";")[0].strip().lower()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def do_GET(self) -> None:
        try:
            length = max(int(self.headers.get("Content-Length") or 0), 0)
        except ValueError:
            length = 0
        body = self.rfile.read(length) if length else b""
        self._send(self.server.sandbox.respond(self.command, self.path, self.headers, body))

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _send(self, answer: Answer) -> None:
        try:
            self.send_response_only(answer.status)
            self.send_header("Server", answer.server)
            self.send_header("Date", self.date_time_string())
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(answer.body)
        except OSError:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sandbox: "SandboxOdoo") -> None:
        self.sandbox = sandbox
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket, is_open: bool) -> None:
        with self._connections_lock:
            if is_open:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def drop_connections(self) -> None:
        """Cut every open keep-alive connection (clients see them closed, as on a crash)."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class SandboxOdoo:
    """An Odoo 19 stand-in served from a daemon thread; faults can be injected while it runs."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, extra_products: int = 0,
                 extra_partners: int = 0, latency: float = 0.0) -> None:
        self.host = host
        self._port = port
        self._store = Store(extra_products=extra_products, extra_partners=extra_partners)
        self.calls: list[tuple[str, str, str]] = []
        self.received_headers: list[dict[str, str]] = []
        self._records_lock = threading.Lock()
        self._faults_lock = threading.Lock()
        self._latency = float(latency)
        self._proxy_status: int | None = None
        self._injected: list[_Injected] = []
        self._call_latency: dict[tuple[str | None, str | None], float] = {}
        self._life_lock = threading.Lock()
        self._server: _Server | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host
        return f"http://{host}:{self._port}"

    def start(self) -> "SandboxOdoo":
        """Listen and serve from a daemon thread; OSError when the port is taken."""
        with self._life_lock:
            if self._server is None:
                self._listen()
        return self

    def stop(self) -> None:
        self.go_down()

    def __enter__(self) -> "SandboxOdoo":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def go_down(self) -> None:
        """Stop listening and cut open connections: new connections are refused until come_up()."""
        with self._life_lock:
            server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.drop_connections()

    def come_up(self) -> None:
        """Listen again on the same port; nothing to do when already up."""
        self.start()

    def _listen(self) -> None:
        server = _Server((self.host, self._port), self)
        self._port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                         name=f"odoo-sandbox-{self._port}").start()

    def set_latency(self, seconds: float, *, model: str | None = None, method: str | None = None) -> None:
        """Delay every answer; with `model` and/or `method`, only the object calls that match (after they
        are received, before they run)."""
        with self._faults_lock:
            if model is None and method is None:
                self._latency = max(float(seconds), 0.0)
            else:
                self._call_latency[(model, method)] = max(float(seconds), 0.0)

    def set_proxy_error(self, status: int | None) -> None:
        """Answer every request with the reverse proxy's 502/503/504 page (None: stop)."""
        if status is not None and status not in PROXY_REASONS:
            raise ValueError(f"proxy error status must be one of {sorted(PROXY_REASONS)}, not {status}")
        with self._faults_lock:
            self._proxy_status = status

    def raise_error(self, name: str, message: str, *, model: str | None = None, method: str | None = None,
                    times: int | None = None) -> None:
        """Fail matching object calls (both protocols) with Odoo exception ``name``; ``times`` None: always."""
        if times is not None and times <= 0:
            return
        with self._faults_lock:
            self._injected.append(_Injected(name, message, model, method, times))

    def clear_faults(self) -> None:
        with self._faults_lock:
            self._latency = 0.0
            self._proxy_status = None
            self._injected.clear()
            self._call_latency.clear()

    def respond(self, verb: str, target: str, headers: Any, body: bytes) -> Answer:
        """The answer to one HTTP request (called from the server's threads)."""
        self._record(self.received_headers, dict(headers.items()), MAX_HEADERS)
        with self._faults_lock:
            latency, proxy_status = self._latency, self._proxy_status
        if latency:
            time.sleep(latency)
        if proxy_status:
            return proxy_page(proxy_status)
        path = urlsplit(target).path
        if path == "/jsonrpc":
            return self._jsonrpc(headers, body)
        if path == "/json/2" or path.startswith("/json/2/"):
            return self._json2(verb, path, headers, body)
        if verb == "GET" and path == "/web/version":
            return json_answer(200, {"version": "19.0", "version_info": VERSION_INFO})
        if verb == "GET" and path == "/web/health":
            return json_answer(200, {"status": "pass"})
        return Answer(404, "text/html;charset=utf-8", NOT_FOUND_PAGE)

    def _record(self, records: list, entry: Any, limit: int) -> None:
        with self._records_lock:
            records.append(entry)
            if len(records) > limit:
                del records[:len(records) - limit]

    def _fire_injected(self, model: Any, method: Any) -> None:
        with self._faults_lock:
            delay = max((seconds for (on_model, on_method), seconds in self._call_latency.items()
                         if on_model in (None, model) and on_method in (None, method)), default=0.0)
        if delay:
            time.sleep(delay)
        with self._faults_lock:
            for fault in self._injected:
                if fault.model in (None, model) and fault.method in (None, method):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._injected.remove(fault)
                    raise RpcError(fault.name, fault.message)

    def _jsonrpc(self, headers: Any, body: bytes) -> Answer:
        if _mimetype(headers) not in ("application/json", "application/json-rpc"):
            return bad_request_page("Request inferred type is compatible with ['http'] but '/jsonrpc' is "
                                    "type='jsonrpc'.\n\nPlease verify the Content-Type request header and try again.")
        try:
            request = json.loads(body)
        except ValueError:
            return Answer(400, HTML_TYPE, b"Invalid JSON data")
        if not isinstance(request, dict):
            return Answer(400, HTML_TYPE, b"Invalid JSON-RPC data")
        envelope = {"jsonrpc": "2.0", "id": request.get("id")}
        params = request.get("params")
        try:
            result = self._dispatch_rpc(params if isinstance(params, dict) else {})
        except Exception as exc:  # every failure is answered as Odoo answers it
            error = {"code": 0, "message": "Odoo Server Error", "data": error_data(as_rpc_error(exc))}
            return json_answer(200, {**envelope, "error": error})
        return json_answer(200, {**envelope, "result": result})

    def _dispatch_rpc(self, params: dict[str, Any]) -> Any:
        service, method, args = jsonrpc(**{key: params[key] for key in ("service", "method", "args") if key in params})
        if service == "common":
            return self._common(method, args)
        if service == "db":
            return self._db(method, args)
        if service == "object":
            return self._object(method, args)
        raise KeyError(service)

    def _common(self, method: Any, args: list) -> Any:
        if method == "version":
            return VERSION
        if method in ("authenticate", "login"):
            return self._authenticate(*args)
        raise Exception(f"Method not found: {method}")

    def _authenticate(self, db: Any, login: Any, password: Any, user_agent_env: Any = None) -> int | bool:
        check_database(db)
        for uid, (user_login, user_password, api_key) in USERS.items():
            if login == user_login and password in (user_password, api_key):
                return uid
        return False

    def _db(self, method: Any, args: list) -> Any:
        if method == "list":
            return [DATABASE]
        if method == "server_version":
            return VERSION["server_version"]
        if method == "db_exist":
            return args[0] == DATABASE
        if method == "list_lang":
            return [["en_US", "English (US)"]]
        if method in SUPERUSER_DB_METHODS:
            raise RpcError("odoo.exceptions.AccessDenied", "Access Denied")
        raise KeyError(f"Method not found: {method}")

    def _object(self, method: Any, params: list) -> Any:
        if method in ("execute", "execute_kw") and len(params) >= 5:
            self._record(self.calls, ("jsonrpc", str(params[3]), str(params[4])), MAX_CALLS)
        db, uid, password = params[0], int(params[1]), params[2]
        check_database(db)
        if uid not in USERS or password not in USERS[uid][1:]:
            raise RpcError("odoo.exceptions.AccessDenied", "Access Denied")
        if method == "execute_kw":
            model, name, args, kwargs = execute_kw(db, uid, *params[3:])
        elif method == "execute":
            model, name, args, kwargs = execute(db, uid, *params[3:])
        else:
            raise NameError(f"Method not available {method}")
        self._fire_injected(model, name)
        with self._store.transaction():
            return call_kw(Env(self._store, uid), model, name, args, kwargs)

    def _json2(self, verb: str, path: str, headers: Any, body: bytes) -> Answer:
        parts = path.split("/")
        if verb != "POST" or len(parts) != 5 or not parts[3] or not parts[4]:
            return json2_error(RpcError("werkzeug.exceptions.NotFound", "Did you mean POST /json/2/<model>/<method>?"))
        model, method = unquote(parts[3]), unquote(parts[4])
        self._record(self.calls, ("json2", model, method), MAX_CALLS)
        if body and _mimetype(headers) != "application/json":
            return bad_request_page(f"Request inferred type is compatible with ['http'] but '{path}' is "
                                    "type='json2'.\n\nPlease verify the Content-Type request header and try again.")
        try:
            return json_answer(200, self._json2_call(model, method, headers, body))
        except Exception as exc:  # every failure is answered as Odoo answers it
            return json2_error(as_rpc_error(exc))

    def _json2_call(self, model: str, method: str, headers: Any, body: bytes) -> Any:
        check_database(headers.get("X-Odoo-Database") or DATABASE)
        uid = self._bearer_uid(headers.get("Authorization") or "")
        try:
            params = json.loads(body) if body else {}
        except ValueError as exc:
            message = f"could not parse the body as json: {exc.args[0]}"
            raise RpcError("werkzeug.exceptions.BadRequest", message) from exc
        self._fire_injected(model, method)
        with self._store.transaction():
            return call_json2(Env(self._store, uid), model, method, params if isinstance(params, dict) else {})

    def _bearer_uid(self, authorization: str) -> int:
        scheme, _, key = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise RpcError("werkzeug.exceptions.Unauthorized", 'User not authenticated, use the "Authorization" header')
        for uid, (_login, _password, api_key) in USERS.items():
            if key.strip() == api_key:
                return uid
        raise RpcError("werkzeug.exceptions.Unauthorized", "Invalid apikey")


def main(argv: list[str] | None = None) -> None:
    """Serve the stand-in until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m smn.odoo.sandbox",
                                     description="Odoo 19 stand-in for development and tests (never production).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8069)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before every answer")
    parser.add_argument("--extra-products", type=int, default=0, help="generated products on top of the demo data")
    parser.add_argument("--extra-partners", type=int, default=0, help="generated partners on top of the demo data")
    args = parser.parse_args(argv)
    server = SandboxOdoo(args.host, args.port, extra_products=args.extra_products,
                         extra_partners=args.extra_partners, latency=args.latency_ms / 1000.0).start()
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    print(f"Odoo stand-in (development only) at {server.url} database={DATABASE} login={ADMIN_LOGIN} "
          f"password={ADMIN_PASSWORD} api_key={ADMIN_API_KEY} (demo: {DEMO_LOGIN}/{DEMO_PASSWORD}, "
          f"api_key={DEMO_API_KEY})", flush=True)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
