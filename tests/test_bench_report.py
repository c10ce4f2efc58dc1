"""bench.run's report: rounds, medians and ratios, from made-up measurements (no wrk, no servers)."""
from __future__ import annotations

from bench.run import markdown, median_round, with_ratios


def _measured(name: str, rps: float, cpu: float, busiest: float = 0.5) -> dict:
    return {"name": name, "title": name, "rps": rps, "p50_ms": 5.0, "p99_ms": 20.0, "non_2xx_3xx": 0,
            "cpu_us_per_request": cpu, "cpu_system_share": 0.3, "busiest_worker_cpu_share": busiest,
            "load_avg_1m": [1.0, 2.0]}


def test_the_ratio_is_the_median_of_the_per_round_ratios():
    floor = [_measured("bare_floor", rps, 140) for rps in (10_000, 12_000, 11_000)]
    cached = [_measured("cached_product", rps, 200) for rps in (8_000, 3_000, 7_700)]
    summaries = [median_round(cached, floor), median_round(floor, floor)]
    cached_summary, floor_summary = summaries
    assert [r["round_ratio"] for r in cached_summary["rounds"]] == [0.8, 0.25, 0.7]
    assert cached_summary["ratio_to_floor"] == 0.7
    assert cached_summary["rps"] == 7_700
    assert floor_summary["ratio_to_floor"] == 1.0 and floor_summary["rps"] == 11_000
    assert len(cached_summary["rounds"]) == 3 and cached_summary["rounds"][1]["rps"] == 3_000


def test_scenarios_measured_once_are_compared_with_the_floors_median():
    floor = median_round([_measured("bare_floor", rps, 140) for rps in (10_000, 12_000, 11_000)], None)
    results = with_ratios([floor, _measured("product_list_0ms", 2_200, 900)])
    assert results[1]["ratio_to_floor"] == 0.2


def test_the_markdown_shows_every_round_and_says_whether_the_goal_is_met():
    floor_rounds = [_measured("bare_floor", rps, 140) for rps in (10_000, 12_000, 11_000)]
    cached_rounds = [_measured("cached_product", 8_000, 200), _measured("cached_product", 3_000, 460, 1.0),
                     _measured("cached_product", 9_000, 190)]
    scenarios = with_ratios([median_round(floor_rounds, floor_rounds), median_round(cached_rounds, floor_rounds)])
    report = {"run_id": "20261204T000000Z", "label": "", "machine": {"cpus": 2, "python": "3.11.7"},
              "gunicorn": {"worker_class": "gthread", "workers": 2, "threads": 8},
              "wrk": {"connections": 64, "threads": 2, "seconds": 8, "warmup_seconds": 2, "rounds": 3},
              "scenarios": scenarios}
    text = markdown(report)
    assert "3 alternating rounds" in text
    assert "0.80 / 0.25 / 0.82" in text
    assert "busiest worker 100%" in text
    assert "cached authenticated read at 80% of the floor (goal ≥ 75%: met)" in text


def test_cpu_figures_name_the_busiest_worker():
    import os
    import subprocess
    import sys
    import time

    from bench.run import cpu_figures, cpu_seconds

    spin = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\ntime.sleep(5)"
    busy, idle = (subprocess.Popen([sys.executable, "-c", code]) for code in (spin, "import time; time.sleep(5)"))
    try:
        before = cpu_seconds(os.getpid())
        assert {busy.pid, idle.pid} <= set(before)
        time.sleep(0.8)
        figures = cpu_figures(os.getpid(), before, requests=1_000)
    finally:
        busy.kill()
        idle.kill()
    assert figures["busiest_worker_cpu_share"] >= 0.75
    assert figures["cpu_us_per_request"] >= 200
    assert 0 <= figures["cpu_system_share"] <= 1


def test_a_measurement_where_one_worker_took_every_connection_is_repeated_and_kept(monkeypatch):
    from bench import run

    shares = iter([1.0, 0.97, 0.52, 1.0, 1.0, 1.0])
    attempts = []

    def fake_measure(scenario, base, options, headers, run_id, log_path, server=None):
        attempts.append(run_id)
        share = next(shares)
        return _measured(scenario.name, 3_000 if share >= 0.9 else 8_000, 200, share)

    monkeypatch.setattr(run, "measure", fake_measure)
    scenario = next(s for s in run.SCENARIOS if s.name == "cached_product")
    options = run.Options(duration=1, warmup=0, connections=64, threads=2)
    repeated = run.measure_unskewed(scenario, "http://127.0.0.1:1", options, {}, "r1", None, None)
    assert repeated["rps"] == 8_000 and attempts == ["r1", "r1-a1", "r1-a2"]
    assert [a["rps"] for a in repeated["skewed_attempts"]] == [3_000, 3_000]
    stubborn = run.measure_unskewed(scenario, "http://127.0.0.1:1", options, {}, "r2", None, None)
    assert stubborn["busiest_worker_cpu_share"] == 1.0, "after the last repeat the skewed measurement is the result"
    assert len(stubborn["skewed_attempts"]) == 2
    summary = median_round([repeated, stubborn], None)
    assert "after 2 skewed attempts: 3,000, 3,000 req/s" in "\n".join(run.round_lines([summary]))
