"""`make bench`: SMN's throughput beside a bare Falcon app, under the same gunicorn settings, in one run.

Starts the real stack (embedded PostgreSQL in var/bench, the Odoo stand-in as a
process of its own, gunicorn with gunicorn_conf.py), drives each scenario with
wrk from this machine, one after the other (the floor and the fresh-cache
scenarios in alternating rounds, see bench/README.md), and writes
bench/results/<timestamp>.json and a run section in docs/performance.md.

    .venv/bin/python -m bench.run [--duration 8] [--rounds 5] [--connections 64] [--only cached_product,...]

SMN_WORKERS / SMN_THREADS (and every other SMN_* variable) apply to both apps.
Both gunicorns write their stdout/stderr (SMN's JSON lines, gunicorn's own) to
a file under var/bench/logs, never to a terminal. Ctrl-C stops everything this
script started.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from bench.ablate import PIECES, parse_pieces
from bench.in_app import DIR_ENV, WRITE_INTERVAL, per_call_us, read_totals

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
RESULTS = ROOT / "bench" / "results"
PERFORMANCE_DOC = ROOT / "docs" / "performance.md"
FLASK_JWT_RPS = 3200
"""Flask + flask-jwt-extended on this 2-core machine (issue #7); the goal is 2.5x this."""

LUA_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,'
    .. '"write_errors":%d,"non_2xx_3xx":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean))
end
"""

LUA_ORDER = """
local counter = 0
local thread_id = 0
local run_id = "%(run_id)s"
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end
init = function(args)
  thread_id = wrk.thread:get("thread_id")
end
request = function()
  counter = counter + 1
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "%(authorization)s",
                   ["X-Request-Id"] = "%(request_id)s",
                   ["Idempotency-Key"] = string.format("%%s-%%d-%%d", run_id, thread_id, counter)}
  return wrk.format("POST", "/v1/orders", headers, '%(body)s')
end
"""

ORDER_BODY = {"partner": {"ref": "ACME"}, "client_order_ref": "BENCH",
              "lines": [{"product": {"sku": "FURN_7777"}, "quantity": 2},
                        {"product": {"id": 6}, "quantity": 1, "unit_price": 140.0}]}


@dataclass
class Scenario:
    name: str
    title: str
    target: str  # "bare" or "smn"
    path: str
    authorized: bool = False
    odoo_latency_ms: float = 0.0
    lua: str = ""
    fresh_cache: bool = False
    """On: SMN's fresh cache holds products for an hour. Off: every read goes to Odoo."""


SCENARIOS = [
    Scenario("bare_floor", "bare Falcon app, GET /healthz (the floor)", "bare", "/healthz"),
    Scenario("healthz", "SMN GET /healthz through all middleware", "smn", "/healthz", fresh_cache=True),
    Scenario("cached_product", "GET /v1/products/5: token, rate limit, access line, fresh cache", "smn",
             "/v1/products/5", authorized=True, fresh_cache=True),
    Scenario("product_list_0ms", "GET /v1/products?limit=10 via the stand-in (cache off), 0 ms Odoo latency", "smn",
             "/v1/products?limit=10", authorized=True),
    Scenario("order_create", "POST /v1/orders (2 lines, unique Idempotency-Key), 0 ms Odoo latency", "smn",
             "/v1/orders", authorized=True, lua="order"),
    Scenario("product_list_30ms", "GET /v1/products?limit=10 via the stand-in (cache off), 30 ms Odoo latency", "smn",
             "/v1/products?limit=10", authorized=True, odoo_latency_ms=30.0),
]


# ------------------------------------------------------------------ processes

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(url: str, headers: dict | None = None, data: bytes | None = None, timeout: float = 5) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Process:
    """A child in its own session (Ctrl-C reaches only us; we stop it), output to a log file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.name, self.command, self.env = name, command, env
        self.log_path = VAR / "logs" / f"{name}.log"
        self.process: subprocess.Popen | None = None
        self.in_app_dir: Path | None = None
        """Where the workers write their in-app totals, when the app runs under bench.in_app (`--in-app`)."""

    def start(self) -> "Process":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def wait_http(self, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}:\n{self.log_path.read_text()[-2000:]}")
            try:
                http(url, timeout=2)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} never answered {url}; see {self.log_path}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=25)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@contextmanager
def running(process: Process, ready_url: str) -> Iterator[Process]:
    process.start()
    try:
        process.wait_http(ready_url)
        yield process
    finally:
        process.stop()


def gunicorn(name: str, app: str, env: dict[str, str], port: int, in_app: bool = False) -> Process:
    """`app` under gunicorn_conf.py; with `in_app`, wrapped by bench.in_app (thread CPU inside the app)."""
    env = {**env, "SMN_BIND": f"127.0.0.1:{port}"}
    folder = None
    if in_app:
        folder = VAR / "in-app" / name
        shutil.rmtree(folder, ignore_errors=True)
        app, env[DIR_ENV] = f"bench.in_app:timed({app!r})", str(folder)
    process = Process(name, [sys.executable, "-m", "gunicorn", "-c", "gunicorn_conf.py", app], env)
    process.in_app_dir = folder
    return process


@contextmanager
def stand_in() -> Iterator[object]:
    """The Odoo stand-in over real HTTP, in this process (wrk and gunicorn are other processes).

    Its latency is changed in place between scenarios: restarting it would drop
    SMN's pooled connections mid-request and open SMN's Odoo circuit breaker.
    """
    from smn.odoo.sandbox import SandboxOdoo

    server = SandboxOdoo(port=0).start()
    try:
        yield server
    finally:
        server.stop()


# ------------------------------------------------------------------ wrk

def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("bench: installing Debian's wrk package", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        return shutil.which("wrk") or sys.exit("bench: apt-get did not install wrk")
    sys.exit("bench: wrk is missing; install it with `sudo apt-get install wrk` (Debian/Ubuntu) and run again")


def run_wrk(url: str, lua: str, *, seconds: float, connections: int, threads: int,
            headers: dict[str, str]) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", dir=VAR, delete=False) as script:
        script.write(lua + LUA_DONE)
    command = ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s",
               "--timeout", "5s", "-s", script.name]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    try:
        done = subprocess.run(command + [url], capture_output=True, text=True, timeout=seconds + 30, check=False)
    finally:
        os.unlink(script.name)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
    line = next(raw for raw in done.stdout.splitlines() if raw.startswith("WRKJSON "))
    raw = json.loads(line[len("WRKJSON "):])
    seconds_run = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"], "seconds": round(seconds_run, 2),
        "rps": round(raw["requests"] / seconds_run, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2), "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2), "mean_ms": round(raw["mean_us"] / 1000, 2),
        "non_2xx_3xx": raw["non_2xx_3xx"],
        "socket_errors": raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"],
    }


# ------------------------------------------------------------------ SMN set-up

def smn_environment(settings, odoo_url: str) -> dict[str, str]:
    from smn.stack import settings_environment

    env = {**os.environ, **settings_environment(settings)}
    env.update({"SMN_ODOO_URL": odoo_url, "SMN_ODOO_PASSWORD": "admin", "SMN_ODOO_DATABASE": "smn_demo",
                "PYTHONUNBUFFERED": "1"})
    env.update(bench_overrides(env))
    return env


def bench_overrides(env: dict[str, str]) -> dict[str, str]:
    """Settings the bench needs unless the caller set them: a long fresh-cache TTL, a long token life."""
    from smn.settings import Settings

    known = {spec.metadata["env"] for spec in Settings.__dataclass_fields__.values()}
    wanted = {"SMN_TOKEN_TTL": "3600"}
    return {name: value for name, value in wanted.items() if name in known and name not in os.environ}


def bench_token(env: dict[str, str], base: str, run_id: str) -> str:
    """An API client with a rate limit far above what the bench sends, created by the CLI; its token."""
    created = subprocess.run(
        [sys.executable, "-m", "smn", "client", "create", "--name", f"bench-{run_id}", "--json",
         "--scopes", "products:read orders:read orders:write", "--rate-per-second", "1000000",
         "--burst", "1000000"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    if created.returncode != 0:
        raise RuntimeError(f"smn client create failed: {created.stderr}")
    client = json.loads(created.stdout)
    basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
    status, body = http(f"{base}/v1/auth/token", {"Authorization": f"Basic {basic}",
                        "Content-Type": "application/x-www-form-urlencoded"}, b"grant_type=client_credentials")
    if status != 200:
        raise RuntimeError(f"token endpoint answered {status}: {body[:300]!r}")
    return json.loads(body)["access_token"]


# ------------------------------------------------------------------ the run

@dataclass
class Options:
    duration: float
    warmup: float
    connections: int
    threads: int
    only: set[str] = field(default_factory=set)
    label: str = ""
    write_docs: bool = True
    rounds: int = 5
    in_app: bool = False
    ablate: tuple[str, ...] = ()
    """Pieces of SMN replaced by no-ops (bench/ablate.py), for every SMN server of the run."""

    @property
    def smn_app(self) -> str:
        """What gunicorn loads for SMN: the app, or the app with `ablate`'s pieces made no-ops."""
        return f"bench.ablate:ablated({','.join(self.ablate)!r})" if self.ablate else "smn.wsgi:app"


def cpu_seconds(master_pid: int) -> dict[int, tuple[float, float]]:
    """pid -> (user, system) CPU seconds so far, for a gunicorn master and each of its workers (Linux /proc)."""
    pids = [master_pid]
    try:
        pids += [int(pid) for pid in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()]
    except OSError:
        return {}
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) / ticks, int(fields[12]) / ticks)
    return found


def cpu_figures(master_pid: int, before: dict[int, tuple[float, float]], requests: int) -> dict:
    """CPU µs per request (master + workers), its system share, and the busiest worker's share of the workers' CPU.

    A busiest-worker share near 100% means one worker took every connection
    (gunicorn's accept race when wrk opens its connections at once): that
    measures the race, not the app, and the table shows it.
    """
    after = cpu_seconds(master_pid)
    used = {pid: tuple(a - b for a, b in zip(spent, before.get(pid, (0.0, 0.0)))) for pid, spent in after.items()}
    user = sum(u for u, _ in used.values())
    system = sum(s for _, s in used.values())
    workers = [u + s for pid, (u, s) in used.items() if pid != master_pid]
    figures = {"cpu_us_per_request": round((user + system) / requests * 1e6, 1),
               "cpu_system_share": round(system / (user + system), 2) if user + system else 0.0}
    if sum(workers):
        figures["busiest_worker_cpu_share"] = round(max(workers) / sum(workers), 2)
    return figures


def measure(scenario: Scenario, base: str, options: Options, headers: dict[str, str], run_id: str,
            log_path: Path | None, server: Process | None = None) -> dict:
    request_id = f"bench-{run_id}-{scenario.name}"
    headers = {**headers, "X-Request-Id": request_id}
    lua = ""
    if scenario.lua == "order":
        lua = LUA_ORDER % {"run_id": run_id, "authorization": headers["Authorization"], "request_id": request_id,
                           "body": json.dumps(ORDER_BODY, separators=(",", ":"))}
        headers = {}
    url = base + scenario.path
    common = {"connections": options.connections, "threads": options.threads}
    if options.warmup:
        warm = {**headers, "X-Request-Id": request_id + "-warm"} if headers else {}
        run_wrk(url, lua.replace(run_id, run_id + "-warm"), seconds=options.warmup, headers=warm, **common)
    in_app_dir = server.in_app_dir if server else None
    in_app_before = settled_in_app_totals(in_app_dir) if in_app_dir else None
    load_before = os.getloadavg()[0]
    cpu_before = cpu_seconds(server.process.pid) if server else {}
    result = run_wrk(url, lua, seconds=options.duration, headers=headers, **common)
    result["load_avg_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    if server and result["requests"]:
        result.update(cpu_figures(server.process.pid, cpu_before, result["requests"]))
    if log_path is not None:
        result.update(own_time(log_path, request_id))
    if in_app_dir and in_app_before:
        result["in_app_us_per_request"] = per_call_us(in_app_before, settled_in_app_totals(in_app_dir))
    print(f"  {scenario.name:20} {result['rps']:9.1f} req/s  p50 {result['p50_ms']:7.2f} ms  "
          f"p99 {result['p99_ms']:7.2f} ms  non-2xx {result['non_2xx_3xx']}  "
          f"SMN own p50 {result.get('smn_own_p50_ms', '-')} ms  CPU {result.get('cpu_us_per_request', '-')} µs/req "
          f"({result.get('cpu_system_share', 0):.0%} system, busiest worker "
          f"{result.get('busiest_worker_cpu_share', 0):.0%} of the workers' CPU)"
          + (f"  in app {result['in_app_us_per_request']} µs/req" if "in_app_us_per_request" in result else ""),
          flush=True)
    return {"name": scenario.name, "title": scenario.title, **result}


def settled_in_app_totals(folder: Path) -> tuple[int, int]:
    """The workers' in-app totals once each has written what it counted so far (bench.in_app)."""
    time.sleep(3 * WRITE_INTERVAL)
    return read_totals(folder)


def own_time(log_path: Path, request_id: str) -> dict:
    """From SMN's access lines of the measured requests: median time in SMN itself (duration minus Odoo)."""
    own, odoo, by_pid = [], [], {}
    with log_path.open() as lines:
        for raw in lines:
            if request_id not in raw:
                continue
            line = json.loads(raw)
            if line.get("logger") == "smn.access" and line.get("request_id") == request_id:
                own.append(line["duration_ms"] - line.get("odoo_ms", 0.0))
                odoo.append(line.get("odoo_ms", 0.0))
                by_pid[line.get("pid")] = by_pid.get(line.get("pid"), 0) + 1
    if not own:
        return {}
    own.sort()
    odoo.sort()
    return {"smn_own_p50_ms": round(own[len(own) // 2], 2), "odoo_p50_ms": round(odoo[len(odoo) // 2], 2),
            "busiest_worker_share": round(max(by_pid.values()) / len(own), 2)}


def wanted(options: Options) -> list[Scenario]:
    return [s for s in SCENARIOS if not options.only or s.name in options.only]


def run(options: Options) -> dict:
    from smn.settings import Settings
    from smn.stack import local_stack

    run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    VAR.mkdir(parents=True, exist_ok=True)
    scenarios = wanted(options)
    with ExitStack() as stack:
        settings = stack.enter_context(local_stack(Settings.from_env(data_dir=VAR), with_odoo=False))
        odoo = stack.enter_context(stand_in())
        env = smn_environment(settings, odoo.url)
        results = measure_cpu_bound(scenarios, options, env, run_id)
        results += measure_odoo_bound([s for s in scenarios if s.target == "smn" and not s.fresh_cache],
                                      options, env, odoo, run_id)
    return {"run_id": run_id, "label": options.label, "ablated": list(options.ablate), "machine": machine(),
            "gunicorn": gunicorn_settings(env),
            "wrk": {"connections": options.connections, "threads": options.threads, "seconds": options.duration,
                    "warmup_seconds": options.warmup, "rounds": options.rounds},
            "scenarios": with_ratios(results)}


def measure_cpu_bound(scenarios: list[Scenario], options: Options, env: dict[str, str], run_id: str) -> list[dict]:
    """The floor and the fresh-cache scenarios, in `options.rounds` alternating rounds, both apps up at once.

    Each round measures every scenario back to back, so a round's ratios compare
    the apps under the same load from the rest of the machine; the report keeps
    every round and takes the median.
    """
    group = [s for s in scenarios if s.target == "bare" or s.fresh_cache]
    if not group:
        return []
    with ExitStack() as stack:
        bases, servers, headers = {}, {}, {"bare": {}, "smn": {}}
        if any(s.target == "bare" for s in group):
            port = free_port()
            bases["bare"] = f"http://127.0.0.1:{port}"
            servers["bare"] = stack.enter_context(running(
                gunicorn("bare", "bench.bare_app:app", env, port, options.in_app), bases["bare"] + "/healthz"))
        if any(s.target == "smn" for s in group):
            port = free_port()
            bases["smn"] = f"http://127.0.0.1:{port}"
            servers["smn"] = stack.enter_context(running(
                gunicorn("smn-cache-on", options.smn_app, {**env, "SMN_FRESH_CACHE_TTL": "products=3600"}, port,
                         options.in_app),
                bases["smn"] + "/healthz"))
            headers["smn"] = {"Authorization": f"Bearer {bench_token(env, bases['smn'], run_id)}"}
        rounds: dict[str, list[dict]] = {s.name: [] for s in group}
        for number in range(1, options.rounds + 1):
            print(f"round {number}/{options.rounds}", flush=True)
            for s in group:
                server = servers[s.target]
                log_path = server.log_path if s.target == "smn" else None
                rounds[s.name].append(measure_unskewed(s, bases[s.target], options,
                                                       headers[s.target] if s.authorized else {},
                                                       f"{run_id}-r{number}", log_path, server))
    return [median_round(rounds[s.name], rounds.get("bare_floor")) for s in group]


SKEWED_SHARE = 0.9
"""A busiest worker's share of the workers' CPU at or above this: one worker took every connection."""
REPEATS_WHEN_SKEWED = 2


def measure_unskewed(scenario: Scenario, base: str, options: Options, headers: dict[str, str], run_id: str,
                     log_path: Path | None, server: Process | None) -> dict:
    """`measure`, repeated (at most REPEATS_WHEN_SKEWED more times) while one worker took every connection.

    Such a measurement times gunicorn's accept race when wrk opens its 64
    connections at once, not the app (bench/README.md, "Rounds"); it happens
    to the bare floor as well as to SMN, and each is repeated alike. The
    repeated attempts are kept in the result (`skewed_attempts`) and counted in
    the round lines; if every attempt is skewed, the last one is the result.
    """
    skewed: list[dict] = []
    for attempt in range(REPEATS_WHEN_SKEWED + 1):
        result = measure(scenario, base, options, headers, f"{run_id}-a{attempt}" if attempt else run_id,
                         log_path, server)
        if result.get("busiest_worker_cpu_share", 0.0) < SKEWED_SHARE or attempt == REPEATS_WHEN_SKEWED:
            break
        print(f"  {scenario.name:20} one worker took every connection: measured again", flush=True)
        skewed.append({key: result.get(key) for key in ROUND_FIELDS})
    if skewed:
        result["skewed_attempts"] = skewed
    return result


def median_round(measured: list[dict], floor: list[dict] | None) -> dict:
    """The round with the median req/s, plus every round's figures and the median of the per-round ratios."""
    if floor:
        for result, base in zip(measured, floor):
            result["round_ratio"] = round(result["rps"] / base["rps"], 3) if base["rps"] else None
    middle = sorted(measured, key=lambda r: r["rps"])[len(measured) // 2]
    summary = {**middle, "rounds": [{key: r.get(key) for key in ROUND_FIELDS} for r in measured]}
    ratios = sorted(r["round_ratio"] for r in measured if r.get("round_ratio") is not None)
    if ratios:
        summary["ratio_to_floor"] = ratios[len(ratios) // 2]
    return summary


ROUND_FIELDS = ("rps", "p50_ms", "p99_ms", "cpu_us_per_request", "cpu_system_share", "busiest_worker_cpu_share",
                "round_ratio", "load_avg_1m", "skewed_attempts", "in_app_us_per_request")


def measure_odoo_bound(group: list[Scenario], options: Options, env: dict[str, str], odoo: object,
                       run_id: str) -> list[dict]:
    """Scenarios that reach the stand-in (fresh cache off): one measurement each, latency set per scenario."""
    if not group:
        return []
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cache_off = {**env, "SMN_FRESH_CACHE_TTL": "products=0"}
    results = []
    with running(gunicorn("smn-cache-off", options.smn_app, cache_off, port), f"{base}/healthz") as smn:
        auth = {"Authorization": f"Bearer {bench_token(env, base, run_id + '-off')}"}
        for scenario in group:
            odoo.set_latency(scenario.odoo_latency_ms / 1000)
            results.append(measure(scenario, base, options, auth if scenario.authorized else {}, run_id,
                                   smn.log_path, smn))
    return results


def machine() -> dict:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def gunicorn_settings(env: dict[str, str]) -> dict:
    from smn.settings import Settings

    settings = Settings.from_env(env)
    return {"worker_class": "gthread", "workers": settings.workers, "threads": settings.threads,
            "config": "gunicorn_conf.py (both apps)", "output": "var/bench/logs/<app>.log (both apps)"}


def with_ratios(results: list[dict]) -> list[dict]:
    """ratio_to_floor: the median per-round ratio where rounds were run, else req/s over the floor's median."""
    floor = next((r["rps"] for r in results if r["name"] == "bare_floor"), None)
    for result in results:
        if "ratio_to_floor" not in result:
            result["ratio_to_floor"] = round(result["rps"] / floor, 3) if floor else None
    return results


# ------------------------------------------------------------------ reporting

def markdown(report: dict) -> str:
    g, w = report["gunicorn"], report["wrk"]
    lines = [f"## Run {report['run_id']}" + (f" — {report['label']}" if report["label"] else ""), "",
             *ablation_note(report.get("ablated", ())),
             f"{report['machine']['cpus']} CPUs, Python {report['machine']['python']}; gunicorn {g['worker_class']}, "
             f"{g['workers']} workers × {g['threads']} threads for both apps; wrk {w['threads']} threads, "
             f"{w['connections']} connections, {w['warmup_seconds']:g} s warm-up + {w['seconds']:g} s per scenario"
             f"{rounds_note(w)}. Raw: `bench/results/{report['run_id']}.json`.", "",
             ("| scenario | req/s | p50 ms | p99 ms | non-2xx | × floor | × floor per round | CPU µs/req "
              "| busiest worker | SMN own p50 ms | Odoo p50 ms | load 1m |"),
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in report["scenarios"]:
        ratio = f"{r['ratio_to_floor']:.2f}" if r["ratio_to_floor"] is not None else "–"
        per_round = " / ".join(f"{x['round_ratio']:.2f}" for x in r.get("rounds", ()) if x.get("round_ratio")) or "–"
        load = "→".join(f"{value:.1f}" for value in r["load_avg_1m"])
        lines.append(f"| {r['title']} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
                     f"{r['non_2xx_3xx']} | {ratio} | {per_round} | {r.get('cpu_us_per_request', '–')} "
                     f"| {share(r)} "
                     f"| {r.get('smn_own_p50_ms', '–')} | {r.get('odoo_p50_ms', '–')} "
                     f"| {load} |")
    goals = [] if report.get("ablated") else goal_lines(report["scenarios"])
    lines += ["", *round_lines(report["scenarios"]), *goals, ""]
    return "\n".join(lines)


def ablation_note(pieces: list[str] | tuple[str, ...]) -> list[str]:
    """For an ablated run (bench/ablate.py): which pieces SMN ran without, so no one reads it as SMN's figure."""
    if not pieces:
        return []
    return [f"**Ablated run: SMN without {', '.join(PIECES[name][0] for name in pieces)}** "
            f"(`--ablate {','.join(pieces)}`).", ""]


def rounds_note(wrk: dict) -> str:
    rounds = wrk.get("rounds", 1)
    if rounds <= 1:
        return ""
    return (f"; the floor and the fresh-cache scenarios in {rounds} alternating rounds "
            "(median req/s, median of the per-round ratios)")


def share(result: dict) -> str:
    """The busiest worker's part of the workers' CPU, else of the requests (SMN's access lines)."""
    value = result.get("busiest_worker_cpu_share", result.get("busiest_worker_share"))
    return "–" if value is None else f"{value:.0%}"


def round_lines(results: list[dict]) -> list[str]:
    """Every round of the scenarios measured in rounds: req/s, CPU per request, busiest worker, ratio."""
    lines = []
    for r in results:
        if len(r.get("rounds", ())) < 2:
            continue
        cells = [f"{x['rps']:,.0f} req/s, {x.get('cpu_us_per_request', '–')} µs, busiest worker {share(x)}"
                 + (f", in app {x['in_app_us_per_request']} µs" if x.get("in_app_us_per_request") else "")
                 + (f", × {x['round_ratio']:.2f}" if x.get("round_ratio") is not None else "")
                 + skew_note(x.get("skewed_attempts")) for x in r["rounds"]]
        lines.append(f"- {r['name']}: " + "; ".join(cells))
    return ["Rounds:", "", *lines, ""] if lines else []


def skew_note(skewed: list[dict] | None) -> str:
    """How many attempts of a round were measured again, and their req/s (see measure_unskewed)."""
    if not skewed:
        return ""
    figures = ", ".join(f"{attempt['rps']:,.0f}" for attempt in skewed)
    return f" (after {len(skewed)} skewed attempt{'s' if len(skewed) > 1 else ''}: {figures} req/s)"


def goal_lines(results: list[dict]) -> list[str]:
    cached = next((r for r in results if r["name"] == "cached_product"), None)
    if cached is None or cached["ratio_to_floor"] is None:
        return []
    floor_goal = "met" if cached["ratio_to_floor"] >= 0.75 else "NOT met"
    flask_ratio = cached["rps"] / FLASK_JWT_RPS
    flask_goal = "met" if flask_ratio >= 2.5 else "NOT met"
    lines = [f"Goals: cached authenticated read at {cached['ratio_to_floor']:.0%} of the floor "
             f"(goal ≥ 75%: {floor_goal}); {flask_ratio:.1f}× Flask + flask-jwt-extended's {FLASK_JWT_RPS:,} req/s "
             f"(goal ≥ 2.5×: {flask_goal})."]
    floor = next((r for r in results if r["name"] == "bare_floor"), None)
    if floor and floor.get("cpu_us_per_request") and cached.get("cpu_us_per_request"):
        lines.append(f"CPU per request (gunicorn master + workers, less sensitive to other load on the machine): "
                     f"floor {floor['cpu_us_per_request']:g} µs, cached read {cached['cpu_us_per_request']:g} µs, "
                     f"ratio {floor['cpu_us_per_request'] / cached['cpu_us_per_request']:.0%}.")
    return lines


DOC_HEADER = """# Performance

Measured by `make bench` (bench/run.py; method in bench/README.md). Each run
appends a section below; earlier runs are kept. Ratios are to the bare Falcon
floor of the same run, on the same machine, under the same gunicorn settings.
"""


def write(report: dict, write_docs: bool) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{report['run_id']}.json").write_text(json.dumps(report, indent=2) + "\n")
    if not write_docs:
        return
    text = PERFORMANCE_DOC.read_text() if PERFORMANCE_DOC.exists() else DOC_HEADER
    PERFORMANCE_DOC.write_text(text.rstrip("\n") + "\n\n" + markdown(report))


def parse(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=8, help="seconds measured per scenario (per round)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of unmeasured load before each")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--only", default="", help="comma-separated scenario names: " +
                        ", ".join(s.name for s in SCENARIOS))
    parser.add_argument("--label", default="", help="a note for the run's heading in docs/performance.md")
    parser.add_argument("--no-docs", action="store_true", help="write only bench/results/<run>.json")
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternating rounds of the floor and the fresh-cache scenarios (median reported)")
    parser.add_argument("--in-app", action="store_true",
                        help="also time the thread CPU spent inside each app (bench/in_app.py; ~1 µs per request)")
    parser.add_argument("--ablate", default="",
                        help="comma-separated pieces of SMN made no-ops, to see what each costs (bench/ablate.py): "
                        + ", ".join(PIECES))
    args = parser.parse_args(argv)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = only - {s.name for s in SCENARIOS}
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    try:
        ablated = parse_pieces(args.ablate)
    except ValueError as exc:
        parser.error(f"--ablate: {exc}")
    return Options(args.duration, args.warmup, args.connections, args.threads, only, args.label, not args.no_docs,
                   args.rounds, args.in_app, ablated)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C, so every `finally` stops what it started."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    ensure_wrk()
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    try:
        report = run(options)
    except KeyboardInterrupt:
        print("bench: interrupted; everything it started is stopped", file=sys.stderr)
        return 130
    write(report, options.write_docs)
    print(f"bench: {time.monotonic() - started:.0f} s; results in bench/results/{report['run_id']}.json"
          + ("" if not options.write_docs else " and docs/performance.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
