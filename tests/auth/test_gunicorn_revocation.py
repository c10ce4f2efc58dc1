"""Real gunicorn, three workers: a revocation made by the CLI is refused by every worker, measured.

Which worker answered is read from the JSON access log (its `pid` field), never
from the response. The measured times are printed and written to
var/test-artifacts/revocation_propagation.json.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.auth.helpers import jti_of, sql

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 3
BOUND_SECONDS = 5.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(url: str, headers: dict | None = None, data: bytes | None = None) -> tuple[int, bytes]:
    """One request on a fresh connection (urllib sends Connection: close)."""
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Gunicorn:
    def __init__(self, settings, sandbox, log_path: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = {
            "PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "PYTHONUNBUFFERED": "1",
            "SMN_DATABASE_URL": settings.database_url, "SMN_SECRET_KEY": settings.secret_key,
            "SMN_ODOO_URL": sandbox.url, "SMN_ODOO_PASSWORD": "admin",
            "SMN_WORKERS": str(WORKERS), "SMN_THREADS": "4", "SMN_BIND": f"127.0.0.1:{self.port}",
            # access_lines() reads the log right after a request: each line written as it is logged.
            "SMN_LOG_FLUSH_INTERVAL": "0",
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> "Gunicorn":
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn_conf.py", "smn.wsgi:app"], cwd=ROOT, env=self.env,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_path.read_text()[-3000:]
            try:
                if _request(f"{self.base}/healthz")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("gunicorn never answered")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()

    def access_lines(self, prefix: str) -> dict[str, dict]:
        """request_id -> access line, for our requests whose id starts with `prefix`."""
        found = {}
        for raw in self.log_path.read_text().splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if line.get("logger") == "smn.access" and str(line.get("request_id", "")).startswith(prefix):
                found[line["request_id"]] = line
        return found

    def whoami(self, token: str, request_id: str) -> int:
        return _request(f"{self.base}/v1/auth/whoami",
                        {"Authorization": f"Bearer {token}", "X-Request-Id": request_id})[0]

    def issue(self, api_client) -> str:
        status, body = _request(f"{self.base}/v1/auth/token", {**api_client.basic(),
                                "Content-Type": "application/x-www-form-urlencoded"},
                                b"grant_type=client_credentials")
        assert status == 200, body
        return json.loads(body)["access_token"]


@pytest.fixture()
def gunicorn(settings, sandbox, tmp_path):
    server = Gunicorn(settings, sandbox, tmp_path / "gunicorn.log").start()
    yield server
    server.stop()


def _every_worker_accepts(server: Gunicorn, token: str, prefix: str) -> set[int]:
    """Fire requests on fresh connections until each of the workers has served the token."""
    for n in range(600):
        assert server.whoami(token, f"{prefix}-{n}") == 200
        if n % 20 == 19:
            pids = {line["pid"] for line in server.access_lines(prefix).values() if line["status"] == 200}
            if len(pids) == WORKERS:
                return pids
    raise AssertionError(f"only {len(pids)} workers answered")


class Poller(threading.Thread):
    """Calls whoami on fresh connections, one after another, from before the revocation until every
    worker has refused the token; the access log says which worker answered each call."""

    def __init__(self, server: Gunicorn, token: str, prefix: str) -> None:
        super().__init__(daemon=True)
        self.server, self.token, self.prefix = server, token, prefix
        self.sent: dict[str, float] = {}
        self.started = threading.Event()

    def run(self) -> None:
        deadline = time.time() + BOUND_SECONDS + 10
        n = 0
        while time.time() < deadline:
            request_id = f"{self.prefix}-{n}"
            self.sent[request_id] = time.time()
            self.server.whoami(self.token, request_id)
            self.started.set()
            n += 1
            if n % 25 == 0 and len(self._refusing()) == WORKERS:
                return

    def _refusing(self) -> set[int]:
        return {line["pid"] for line in self.server.access_lines(self.prefix).values() if line["status"] == 401}

    def result(self, revoked_at: float) -> dict:
        """Per worker, seconds from the revocation to its last acceptance and to its first refusal."""
        self.join(BOUND_SECONDS + 15)
        per_worker: dict[int, dict] = {}
        for request_id, line in self.server.access_lines(self.prefix).items():
            entry = per_worker.setdefault(line["pid"], {"last_acceptance": None, "first_refusal": None})
            offset = round(self.sent[request_id] - revoked_at, 4)
            if line["status"] == 200:
                entry["last_acceptance"] = max(offset, entry["last_acceptance"] or offset)
            elif line["status"] == 401:
                entry["first_refusal"] = min(offset, entry["first_refusal"] or offset)
        assert len(per_worker) == WORKERS, per_worker
        for entry in per_worker.values():
            assert entry["first_refusal"] is not None, per_worker
            assert entry["last_acceptance"] is None or entry["last_acceptance"] < entry["first_refusal"]
        accepted = [entry["last_acceptance"] for entry in per_worker.values() if entry["last_acceptance"]]
        return {"requests": len(self.sent), "workers": per_worker,
                "last_acceptance_s": max(accepted, default=None),
                "all_refusing_after_s": max(entry["first_refusal"] for entry in per_worker.values())}


def _revoked_at(database_url: str, jti: str) -> float:
    (row,) = sql(database_url, "SELECT extract(epoch FROM revoked_at)::float8 FROM revoked_tokens WHERE jti = %s",
                 (jti,))
    return row[0]


@pytest.mark.slow
def test_cli_revocation_reaches_every_gunicorn_worker(gunicorn, settings, database_url, make_client, smn_auth,
                                                      artifacts_dir):
    acme = make_client(["products:read"])
    token = gunicorn.issue(acme)
    pids = _every_worker_accepts(gunicorn, token, "warm")
    assert len(pids) == WORKERS

    poller = Poller(gunicorn, token, "after-cli")
    poller.start()
    poller.started.wait(5)
    cli_started = time.time()
    result = subprocess.run([sys.executable, "-m", "smn", "token", "revoke", jti_of(token)], cwd=ROOT,
                            env=gunicorn.env, capture_output=True, text=True, timeout=60)
    cli_returned = time.time()
    assert result.returncode == 0, result.stderr
    cli = poller.result(_revoked_at(database_url, jti_of(token)))

    # Kill every listener connection, then revoke: reconnect + resync must still converge.
    second = gunicorn.issue(acme)
    _every_worker_accepts(gunicorn, second, "warm2")
    killed = sql(database_url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE application_name = 'smn-revocations' AND datname = current_database()")
    assert len(killed) >= WORKERS
    poller = Poller(gunicorn, second, "after-kill")
    poller.start()
    poller.started.wait(5)
    smn_auth.service.revoke_token(jti_of(second), "after killing the listeners", "pytest")
    after_kill = poller.result(_revoked_at(database_url, jti_of(second)))

    report = {"workers": WORKERS, "cli_run_s": round(cli_returned - cli_started, 3),
              "cli_revocation": cli, "after_killing_listeners": after_kill}
    (artifacts_dir / "revocation_propagation.json").write_text(json.dumps(report, indent=2, default=str))
    for label, figures in (("CLI revocation", cli), ("revocation after killing the listeners", after_kill)):
        print(f"\n{label}: last acceptance by any worker {figures['last_acceptance_s']} s, every worker refusing "
              f"by {figures['all_refusing_after_s']} s after revoked_at ({figures['requests']} requests)")
    print(f"the CLI process ran {cli_returned - cli_started:.2f} s; details in revocation_propagation.json")
    assert cli["all_refusing_after_s"] < BOUND_SECONDS
    assert after_kill["all_refusing_after_s"] < BOUND_SECONDS
