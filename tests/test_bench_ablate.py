"""bench.ablate: SMN with pieces made no-ops, for `bench.run --ablate` (what each piece costs under gunicorn)."""
from __future__ import annotations

import pytest
from falcon import testing

from bench import ablate
from bench.in_app import timed
from bench.run import Options, gunicorn, markdown, parse
from smn.app import create_app
from tests.fixtures.auth import bearer

WHOAMI = "/v1/auth/whoami"


def _factory(argument: str):
    def app(environ, start_response):
        start_response("200 OK", [])
        return [argument.encode()]

    return app


@pytest.fixture()
def restored(monkeypatch):
    """Every method `ablate` may replace, put back after the test (the session's app is built before)."""
    for _, pairs in ablate.PIECES.values():
        for owner, method in pairs:
            monkeypatch.setattr(owner, method, getattr(owner, method))


def test_pieces_are_named_sorted_and_checked():
    assert ablate.parse_pieces(" log, limit ,log") == ("limit", "log")
    assert ablate.parse_pieces("") == ()
    with pytest.raises(ValueError, match="unknown piece.*: cache"):
        ablate.parse_pieces("log,cache")


def test_an_ablated_app_answers_without_the_pieces(client, restored, settings, services, make_client, token_for,
                                                   json_logs):
    headers = bearer(token_for(make_client(["products:read"], rate_per_second=100, burst=100)))
    whole = client.simulate_get(WHOAMI, headers=headers)
    assert whole.status_code == 200 and "ratelimit-limit" in whole.headers
    assert any(line.get("logger") == "smn.access" for line in json_logs.lines())

    ablate.ablate(("limit", "log"))
    lines_before = len(json_logs.lines())
    answer = testing.TestClient(create_app(settings, services)).simulate_get(WHOAMI, headers=headers)

    assert answer.status_code == 200 and answer.headers["x-request-id"]
    assert "ratelimit-limit" not in answer.headers
    assert not [line for line in json_logs.lines()[lines_before:] if line.get("logger") == "smn.access"]


def test_the_bench_serves_the_ablated_app_when_asked(restored):
    options = parse(["--ablate", "log,limit", "--no-docs"])
    assert options.ablate == ("limit", "log")
    assert options.smn_app == "bench.ablate:ablated('limit,log')"
    assert Options(8, 2, 64, 2).smn_app == "smn.wsgi:app"
    wrapped = gunicorn("smn-cache-on", options.smn_app, {}, 8123, in_app=True)
    assert wrapped.command[-1] == "bench.in_app:timed(\"bench.ablate:ablated('limit,log')\")"
    with pytest.raises(SystemExit):
        parse(["--ablate", "cache"])


def test_the_in_app_timer_loads_a_factory_call(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_IN_APP_DIR", str(tmp_path))
    timer = timed("tests.test_bench_ablate:_factory('made')")
    assert timer({}, lambda *a: None) == [b"made"]


def test_an_ablated_run_says_so_and_claims_no_goal():
    scenario = {"name": "cached_product", "title": "cached read", "rps": 9_000.0, "p50_ms": 5.0, "p99_ms": 9.0,
                "non_2xx_3xx": 0, "ratio_to_floor": 0.8, "load_avg_1m": [1.0, 1.0]}
    report = {"run_id": "20261205T000000Z", "label": "", "ablated": ["log"], "machine": {"cpus": 2, "python": "3"},
              "gunicorn": {"worker_class": "gthread", "workers": 2, "threads": 8},
              "wrk": {"connections": 64, "threads": 2, "seconds": 8, "warmup_seconds": 2, "rounds": 1},
              "scenarios": [scenario]}
    text = markdown(report)
    assert "**Ablated run: SMN without the access line** (`--ablate log`)" in text
    assert "Goals:" not in text
    assert "Goals:" in markdown({**report, "ablated": []})
