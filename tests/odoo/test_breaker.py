"""The circuit breaker on its own: a hand-driven clock, real threads, no Odoo."""
from __future__ import annotations

import threading

import pytest

from smn.odoo.breaker import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    CircuitBreaker,
    OdooCircuitOpen,
    Transition,
)
from smn.odoo.errors import OdooTimeout, OdooUnavailable, OdooUserError


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _down() -> None:
    raise OdooUnavailable("connection refused")


def _fail(breaker: CircuitBreaker, times: int, error: type[Exception] = OdooUnavailable) -> None:
    def fails() -> None:
        raise error("boom")

    for _ in range(times):
        with pytest.raises(error):
            breaker.call(fails)


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(failure_threshold=3, cooldown=10.0, clock=clock)


def test_opens_after_threshold_consecutive_failures(breaker: CircuitBreaker) -> None:
    _fail(breaker, 2)
    assert breaker.state == CLOSED and breaker.failures == 2
    _fail(breaker, 1, OdooTimeout)
    assert breaker.state == OPEN and breaker.failures == 3


def test_a_success_or_an_odoo_business_error_resets_the_count(breaker: CircuitBreaker) -> None:
    _fail(breaker, 2)
    assert breaker.call(lambda: 42) == 42
    assert breaker.failures == 0
    _fail(breaker, 2)
    _fail(breaker, 1, OdooUserError)  # a 422 from Odoo is Odoo working
    assert breaker.state == CLOSED and breaker.failures == 0


def test_open_refuses_without_calling(breaker: CircuitBreaker, clock: Clock) -> None:
    _fail(breaker, 3)
    called = []
    with pytest.raises(OdooCircuitOpen) as refused:
        breaker.call(lambda: called.append(1))
    assert not called
    assert isinstance(refused.value, OdooUnavailable) and refused.value.circuit_open
    assert "circuit open" in str(refused.value) and refused.value.retry_in == pytest.approx(10.0)
    assert breaker.describe() == {"state": OPEN, "failures": 3, "retry_in": 10.0}


def test_half_open_lets_one_probe_through_and_success_closes(breaker: CircuitBreaker, clock: Clock) -> None:
    _fail(breaker, 3)
    clock.now += 10.0
    inside, release = threading.Event(), threading.Event()
    results: list = []

    def probe() -> str:
        inside.set()
        release.wait(5)
        return "ok"

    thread = threading.Thread(target=lambda: results.append(breaker.call(probe)))
    thread.start()
    assert inside.wait(5)
    assert breaker.state == HALF_OPEN
    with pytest.raises(OdooCircuitOpen):
        breaker.call(lambda: "second caller must not reach Odoo")
    release.set()
    thread.join(5)
    assert results == ["ok"] and breaker.state == CLOSED and breaker.failures == 0


def test_failed_probe_reopens_for_another_cool_down(breaker: CircuitBreaker, clock: Clock) -> None:
    _fail(breaker, 3)
    clock.now += 10.0
    _fail(breaker, 1)
    assert breaker.state == OPEN
    clock.now += 9.0
    with pytest.raises(OdooCircuitOpen):
        breaker.call(lambda: None)
    clock.now += 1.0
    assert breaker.call(lambda: "up") == "up" and breaker.state == CLOSED


def test_an_abandoned_probe_frees_the_slot(breaker: CircuitBreaker, clock: Clock) -> None:
    _fail(breaker, 3)
    clock.now += 10.0
    with pytest.raises(KeyError):
        breaker.call(lambda: {}["missing"])
    assert breaker.state == HALF_OPEN
    assert breaker.call(lambda: 1) == 1 and breaker.state == CLOSED


def test_transitions_reach_two_and_three_argument_callbacks_once_each(breaker: CircuitBreaker,
                                                                      clock: Clock) -> None:
    pairs: list[tuple[str, str]] = []
    details: list[Transition] = []
    breaker.on_change(lambda old, new: pairs.append((old, new)))
    breaker.on_change(lambda old, new, transition: details.append(transition))
    breaker.on_change(lambda old, new: 1 / 0)  # a broken callback is logged, not raised
    _fail(breaker, 3)
    clock.now += 10.0
    _fail(breaker, 1)
    clock.now += 10.0
    breaker.call(lambda: None)
    assert pairs == [(CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, CLOSED)]
    assert [(t.old, t.new) for t in details] == pairs
    assert details[0].failures == 3 and details[0].reason == "failure threshold reached"
    assert details[2].failures == 4 and details[-1].reason == "probe succeeded"
    assert all(details[i].at <= details[i + 1].at for i in range(len(details) - 1))
    assert breaker.transitions == 5


def test_concurrent_failures_report_the_opening_exactly_once(clock: Clock) -> None:
    breaker = CircuitBreaker(failure_threshold=5, cooldown=10.0, clock=clock)
    seen: list[tuple[str, str]] = []
    breaker.on_change(lambda old, new: seen.append((old, new)))
    start = threading.Barrier(16)

    def worker() -> None:
        start.wait(5)
        for _ in range(20):
            try:
                breaker.call(_down)
            except OdooUnavailable:
                pass

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == [(CLOSED, OPEN)] and breaker.state == OPEN


def test_settings_feed_the_client_breaker(settings) -> None:
    from smn.odoo.client import OdooClient

    tuned = settings.replace(odoo_breaker_failures=7, odoo_breaker_cooldown=2.5)
    with OdooClient.from_settings(tuned) as client:
        assert (client.breaker.failure_threshold, client.breaker.cooldown) == (7, 2.5)


def test_rejects_nonsense_configuration() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(failure_threshold=0)
