"""`smn serve` end to end: the README's first command, as a user runs it."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, headers: dict | None = None) -> tuple[int, Any, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def _wait_until_serving(url: str, process: subprocess.Popen, log_path: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"smn serve exited early:\n{log_path.read_text()}"
        try:
            if _get(url)[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


def _started_processes(data_dir: Path, root_pid: int) -> list[psutil.Process]:
    """Everything `smn serve` started: its descendants, and postgres on its data folder."""
    found = psutil.Process(root_pid).children(recursive=True)
    for process in psutil.process_iter(["cmdline"]):
        if str(data_dir) in " ".join(process.info["cmdline"] or []):
            found.append(process)
    return found


@pytest.mark.slow
def test_serve_with_embedded_defaults_then_ctrl_c_leaves_nothing(tmp_path):
    port = _free_port()
    data_dir = tmp_path / "data"
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"),
           "SMN_BIND": f"127.0.0.1:{port}", "SMN_DATA_DIR": str(data_dir), "SMN_WORKERS": "2"}
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen([sys.executable, "-m", "smn", "serve"], cwd=ROOT, env=env,
                                   stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_serving(f"{base}/healthz", process, log_path)
            status, headers, _ = _get(f"{base}/readyz", {"X-Request-Id": "serve-e2e-1"})
            assert status == 200
            assert headers["X-Request-Id"] == "serve-e2e-1"
            assert _get(f"{base}/openapi.json")[0] == 200
            assert _get(f"{base}/docs")[0] == 200
            started = _started_processes(data_dir, process.pid)
            assert len(started) >= 4  # gunicorn master, 2 workers, postgres
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
    assert process.returncode is not None

    lines = [line for line in log_path.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    messages = " ".join(record["message"] for record in records)
    assert f"http://127.0.0.1:{port}/docs" in messages
    assert any(r.get("logger") == "smn.access" and r.get("request_id") == "serve-e2e-1" for r in records)
    assert any(r.get("logger", "").startswith("gunicorn") for r in records)
    (first_admin,) = [r for r in records if "initial_admin_credential" in r]
    assert first_admin["admin_username"] == "admin" and len(first_admin["initial_admin_credential"]) >= 16
    deadline = time.monotonic() + 10
    while any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in started):
        assert time.monotonic() < deadline, f"left running: {[p for p in started if p.is_running()]}"
        time.sleep(0.1)

    # A second start reuses the data folder: same database, and the admin password is not printed again.
    second_log = tmp_path / "serve-again.log"
    with second_log.open("w") as log_file:
        again = subprocess.Popen([sys.executable, "-m", "smn", "serve"], cwd=ROOT, env=env,
                                 stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_until_serving(f"http://127.0.0.1:{port}/healthz", again, second_log)
        finally:
            again.send_signal(signal.SIGINT)
            again.wait(timeout=60)
    assert "initial_admin_credential" not in second_log.read_text()
