"""bench.in_app: thread CPU inside a WSGI app, counted per thread, written per worker, summed by the bench."""
from __future__ import annotations

import threading
import time

from bench import in_app
from bench.in_app import InAppTimer, per_call_us, read_totals, timed
from bench.run import gunicorn, round_lines


def _busy_app(environ, start_response):
    started = time.thread_time_ns()
    while time.thread_time_ns() - started < 2_000_000:
        pass
    start_response("200 OK", [])
    return [b"ok"]


def test_calls_and_thread_cpu_are_counted_across_threads():
    timer = InAppTimer(_busy_app)
    threads = [threading.Thread(target=lambda: [timer({}, lambda *a: None) for _ in range(5)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    calls, cpu_ns = timer.totals()
    assert calls == 20
    assert 20 * 2_000_000 <= cpu_ns < 20 * 2_000_000 * 5


def test_each_worker_writes_its_totals_and_the_bench_sums_them(tmp_path, monkeypatch):
    monkeypatch.setenv(in_app.DIR_ENV, str(tmp_path / "smn"))
    monkeypatch.setattr(in_app, "WRITE_INTERVAL", 0.01)
    timer = timed("tests.test_bench_in_app:_busy_app")
    before = read_totals(tmp_path / "smn")
    for _ in range(3):
        assert timer({}, lambda *a: None) == [b"ok"]
    deadline = time.monotonic() + 5
    while read_totals(tmp_path / "smn")[0] < 3 and time.monotonic() < deadline:  # the worker's writer thread
        time.sleep(0.01)
    (tmp_path / "smn" / "99999.json").write_text('{"calls": 2, "cpu_ns": 1000000}')
    after = read_totals(tmp_path / "smn")
    assert before == (0, 0) and after[0] == 5
    assert per_call_us(before, after) >= 1_200
    assert per_call_us(after, after) is None


def test_the_bench_wraps_an_app_only_when_asked(monkeypatch):
    plain = gunicorn("smn-cache-on", "smn.wsgi:app", {}, 8123)
    wrapped = gunicorn("smn-cache-on", "smn.wsgi:app", {}, 8123, in_app=True)
    assert plain.command[-1] == "smn.wsgi:app" and plain.in_app_dir is None
    assert wrapped.command[-1] == "bench.in_app:timed('smn.wsgi:app')"
    assert wrapped.env[in_app.DIR_ENV] == str(wrapped.in_app_dir)


def test_round_lines_show_the_in_app_figure():
    rounds = [{"rps": 8_000.0, "cpu_us_per_request": 210.0, "busiest_worker_cpu_share": 0.5, "round_ratio": 0.75,
               "in_app_us_per_request": 58.2}] * 2
    lines = round_lines([{"name": "cached_product", "rounds": rounds}])
    assert "in app 58.2 µs" in lines[2]
