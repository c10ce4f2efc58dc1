"""Per-request cost of SMN's hot path, in process (no network, no wrk): where the CPU goes.

    .venv/bin/python -m bench.profile [--path /healthz] [--auth] [--number 20000] [--profile]

Builds the real app (create_app) against the bench's embedded PostgreSQL
(var/bench) and the in-process Odoo stand-in, logs to var/bench/logs/profile.log
through the same JSON handler as gunicorn (lines buffered SMN_LOG_FLUSH_INTERVAL
seconds), then calls the WSGI app directly
`--number` times and prints microseconds per request. With --profile it prints
a pyinstrument (sampling) profile of those calls: `.venv/bin/pip install pyinstrument`.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from contextlib import ExitStack

import falcon
from falcon import testing

from bench.run import VAR, stand_in


def wsgi_call(app: falcon.App, environ_args: dict) -> tuple[str, list[tuple[str, str]]]:
    """One request straight through the WSGI callable: (status, response headers)."""
    answer: list = []
    environ = testing.create_environ(**environ_args)
    body = app(environ, lambda status, headers, exc_info=None: answer.extend((status, headers)))
    for _ in body:
        pass
    if hasattr(body, "close"):
        body.close()
    return answer[0], answer[1]


def time_calls(app: falcon.App, environ_args: dict, number: int) -> float:
    """Microseconds per request, best of three rounds."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(number):
            wsgi_call(app, environ_args)
        best = min(best, (time.perf_counter() - started) / number * 1e6)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", default="/healthz")
    parser.add_argument("--auth", action="store_true", help="send a bearer token of a bench client")
    parser.add_argument("--number", type=int, default=20000)
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile")
    args = parser.parse_args(argv)

    from bench.bare_app import app as bare
    from smn.app import create_app
    from smn.logs import configure_logging
    from smn.settings import Settings
    from smn.stack import local_stack

    (VAR / "logs").mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        configure_logging("INFO", stack.enter_context((VAR / "logs" / "profile.log").open("w")),
                          Settings.from_env().log_flush_interval)
        stack.callback(logging.shutdown)
        settings = stack.enter_context(local_stack(Settings.from_env(data_dir=VAR), with_odoo=False))
        odoo = stack.enter_context(stand_in())
        settings = settings.replace(odoo_url=odoo.url, odoo_password="admin", fresh_cache_ttl="products=3600")
        app = create_app(settings)
        services = app.smn_services
        stack.callback(services.database.close)
        stack.callback(services.odoo.close)
        environ_args: dict = {"path": args.path, "headers": {}}
        if args.auth:
            environ_args["headers"]["Authorization"] = "Bearer " + bench_token(app)
        status, headers = wsgi_call(app, environ_args)
        print(f"{args.path}: {status}; {len(headers)} headers: {', '.join(name for name, _ in headers)}")
        floor = time_calls(bare, {"path": "/healthz"}, args.number)
        smn = time_calls(app, environ_args, args.number)
        print(f"bare Falcon /healthz: {floor:7.1f} µs/request")
        print(f"SMN {args.path}{' (token)' if args.auth else ''}: {smn:7.1f} µs/request "
              f"({smn - floor:+.1f} µs over the floor, floor/SMN = {floor / smn:.0%})")
        if args.profile:
            profile(app, environ_args, args.number)
    return 0


def bench_token(app: falcon.App) -> str:
    auth = app.smn_services.auth
    assert auth.state.ready(10), "the auth view did not load"
    created = auth.service.create_client(f"bench-profile-{time.time_ns()}", "products:read orders:write",
                                         rate_per_second=1_000_000, burst=1_000_000)
    assert auth.state.sync()
    client = testing.TestClient(app)
    import base64

    basic = base64.b64encode(f"{created.info.client_id}:{created.secret}".encode()).decode()
    response = client.simulate_post("/v1/auth/token", body="grant_type=client_credentials", headers={
        "Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.text
    return response.json["access_token"]


def profile(app: falcon.App, environ_args: dict, number: int) -> None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        sys.exit("bench.profile: --profile needs pyinstrument: .venv/bin/pip install pyinstrument")
    profiler = Profiler(interval=0.0002)
    with profiler:
        for _ in range(number):
            wsgi_call(app, environ_args)
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    sys.exit(main())
