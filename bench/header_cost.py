"""What the response headers of a cached read cost under gunicorn, measured on a bare app (bench/header_app.py).

    .venv/bin/python -m bench.header_cost [--rounds 5] [--duration 5]

Runs bench.header_app under gunicorn with gunicorn_conf.py (the settings of
`make bench`) and drives its two routes with wrk in alternating rounds. Prints
one JSON object: per round and as medians, req/s and CPU µs per request of
the plain route and of the one carrying SMN's headers, and the median of the
per-round CPU differences (what the headers cost).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

from bench.run import (
    cpu_figures,
    cpu_seconds,
    ensure_wrk,
    free_port,
    gunicorn,
    run_wrk,
    running,
)

ROUTES = ("/plain", "/smn-headers")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.header_cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=5)
    args = parser.parse_args(argv)
    ensure_wrk()
    env = {key: value for key, value in os.environ.items() if not key.startswith("SMN_")}
    env.update({key: os.environ[key] for key in ("SMN_WORKERS", "SMN_THREADS") if key in os.environ})
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    rounds: dict[str, list[dict]] = {route: [] for route in ROUTES}
    headers = {"X-Request-Id": "bench-header-cost"}
    with running(gunicorn("header-app", "bench.header_app:app", env, port), base + "/plain") as server:
        for _ in range(args.rounds):
            for route in ROUTES:
                run_wrk(base + route, "", seconds=1, connections=64, threads=2, headers=headers)
                before = cpu_seconds(server.process.pid)
                result = run_wrk(base + route, "", seconds=args.duration, connections=64, threads=2, headers=headers)
                figures = cpu_figures(server.process.pid, before, result["requests"])
                rounds[route].append({"rps": round(result["rps"]), **figures})
    summary = {route: {"median_rps": statistics.median(r["rps"] for r in found),
                       "median_cpu_us_per_request": statistics.median(r["cpu_us_per_request"] for r in found),
                       "rounds": found} for route, found in rounds.items()}
    differences = [with_headers["cpu_us_per_request"] - plain["cpu_us_per_request"]
                   for plain, with_headers in zip(rounds["/plain"], rounds["/smn-headers"])]
    summary["headers_cpu_us_per_request"] = {"median_of_round_differences": round(statistics.median(differences), 1),
                                             "rounds": [round(d, 1) for d in differences]}
    json.dump(summary, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
