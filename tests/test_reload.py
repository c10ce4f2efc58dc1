"""Redeploy drill: real gunicorn under load, SIGHUP twice, zero failed requests.

Four client threads loop over GET /healthz and an authenticated GET /v1/products,
two on keep-alive connections and two on a fresh connection per request (the two
ways partners' HTTP clients behave), while the master is sent SIGHUP twice: once through `smn reload` (the pid file), once with
os.kill. Every connection error and every 5xx counts as a failure. The figures
are printed and written to var/test-artifacts/reload_drill.json.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest

from tests.auth.helpers import wait_until
from tests.auth.test_gunicorn_revocation import ROOT, Gunicorn

THREADS = 4


class LoadLoop(threading.Thread):
    """Alternates /healthz and /v1/products, counting every outcome; keep_alive=False reconnects each time."""

    def __init__(self, port: int, token: str, name: str, stop: threading.Event, keep_alive: bool) -> None:
        super().__init__(daemon=True, name=name)
        self.port, self.token, self.stop, self.keep_alive = port, token, stop, keep_alive
        self.statuses: Counter = Counter()
        self.failures: list[str] = []
        self.sent = 0

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        while not self.stop.is_set():
            path, headers = ("/healthz", {}) if self.sent % 2 == 0 else (
                "/v1/products?limit=5", {"Authorization": f"Bearer {self.token}"})
            request_id = f"drill-{self.name}-{self.sent}"
            self.sent += 1
            if not self.keep_alive:
                headers = {**headers, "Connection": "close"}
            try:
                conn.request("GET", path, headers={**headers, "X-Request-Id": request_id})
                response = conn.getresponse()
                response.read()
                self.statuses[response.status] += 1
                if response.status >= 500:
                    self.failures.append(f"{request_id} {path}: HTTP {response.status}")
            except (OSError, http.client.HTTPException) as exc:
                self.failures.append(f"{request_id} {path}: {type(exc).__name__}: {exc}")
                conn.close()
        conn.close()


def _worker_pids(server: Gunicorn) -> set[int]:
    """Pids of the workers that served drill requests."""
    return {line["pid"] for line in server.access_lines("drill-").values()}


def _master_events(server: Gunicorn, message: str) -> int:
    return sum(1 for raw in server.log_path.read_text().splitlines()
               if raw.startswith("{") and json.loads(raw).get("message", "").startswith(message))


def _total(loops: list[LoadLoop]) -> int:
    return sum(loop.sent for loop in loops)


def _hup_and_wait_for_new_workers(server: Gunicorn, send_hup, loops: list[LoadLoop]) -> dict:
    before = _worker_pids(server)
    sent_before = _total(loops)
    started = time.monotonic()
    send_hup()
    wait_until(lambda: bool(_worker_pids(server) - before) and _total(loops) > sent_before + 150, timeout=60,
               interval=0.1)
    new_seen = time.monotonic() - started
    # Keep the load on while the old workers finish and exit.
    time.sleep(3)
    return {"new_workers_serving_after_s": round(new_seen, 2), "requests_during": _total(loops) - sent_before}


@pytest.mark.slow
def test_sighup_twice_under_load_fails_no_request(settings, sandbox, make_client, tmp_path, artifacts_dir):
    server = Gunicorn(settings, sandbox, tmp_path / "gunicorn.log")
    pid_file = tmp_path / "smn.pid"
    server.env.update({"SMN_PID_FILE": str(pid_file), "SMN_WORKERS": "2"})
    server.start()
    try:
        token = server.issue(make_client(["products:read"]))
        stop = threading.Event()
        loops = [LoadLoop(server.port, token, f"t{n}", stop, keep_alive=n % 2 == 0) for n in range(THREADS)]
        for loop in loops:
            loop.start()
        wait_until(lambda: _total(loops) > 100, timeout=30)

        def reload_cli() -> None:
            result = subprocess.run([sys.executable, "-m", "smn", "reload"], cwd=ROOT, env=server.env,
                                    capture_output=True, text=True, timeout=60)
            assert result.returncode == 0, result.stderr

        master = int(pid_file.read_text())
        assert master == server.process.pid
        first = _hup_and_wait_for_new_workers(server, reload_cli, loops)
        second = _hup_and_wait_for_new_workers(server, lambda: os.kill(master, signal.SIGHUP), loops)
        stop.set()
        for loop in loops:
            loop.join(15)
        booted, exited = _master_events(server, "Booting worker"), _master_events(server, "Worker exiting")
    finally:
        server.stop()

    statuses = sum((loop.statuses for loop in loops), Counter())
    failures = [failure for loop in loops for failure in loop.failures]
    report = {"threads": THREADS, "requests": _total(loops), "statuses": dict(statuses), "failures": len(failures),
              "failure_examples": failures[:10], "first_hup": first, "second_hup": second,
              "workers_booted": booted, "workers_exited_before_stop": exited,
              "worker_pids_seen": sorted(_worker_pids(server))}
    (artifacts_dir / "reload_drill.json").write_text(json.dumps(report, indent=2))
    print(f"\nreload drill: {report['requests']} requests from {THREADS} threads, 2 SIGHUPs, "
          f"{len(failures)} failures, statuses {dict(statuses)}, {booted} workers booted, {exited} exited")
    assert not failures, failures[:10]
    assert statuses[200] == report["requests"]
    assert booted == 6 and exited == 4  # 2 workers at start, 2 new per SIGHUP; the old ones stopped
