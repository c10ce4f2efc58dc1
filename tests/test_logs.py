"""smn.logs: prepared (hot-path) records, and the handlers gunicorn writes lines with."""
from __future__ import annotations

import io
import json
import logging
import time

import pytest

from smn.context import bind_request, unbind_request
from smn.logs import (
    REDACTED,
    BufferedJsonLineHandler,
    JsonLineHandler,
    RequestContextFilter,
    SmnJsonFormatter,
    log_prepared,
    logging_dict_config,
    make_handler,
    prepared,
)

JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhY21lIn0.c2lnbmF0dXJl"


@pytest.fixture()
def logger():
    stream = io.StringIO()
    log = logging.getLogger("smn.test_logs")
    log.propagate = False
    log.setLevel(logging.INFO)
    handler = make_handler(stream)
    log.addHandler(handler)
    try:
        yield log, stream
    finally:
        log.removeHandler(handler)


@pytest.fixture()
def direct_logger(monkeypatch):
    """A logger whose only handler is SMN's JSON handler, that fails if a LogRecord is made for it."""
    stream = io.StringIO()
    log = logging.Logger("smn.access.test", logging.INFO)
    log.addHandler(make_handler(stream))

    def no_record(*args, **kwargs):
        raise AssertionError("the direct path made a LogRecord")

    monkeypatch.setattr(log, "makeRecord", no_record)
    return log, stream


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_prepared_line_is_the_line_extra_fields_would_make(logger):
    log, stream = logger
    fields = {"method": "GET", "path": "/v1/products/5", "status": 200, "duration_ms": 0.12, "client": None}
    log.info("request", extra=dict(fields))
    log.info("request", extra=prepared(dict(fields), ("method", "path")))
    generic, fast = stream.getvalue().splitlines()
    assert json.loads(fast) == {**json.loads(generic), "time": json.loads(fast)["time"]}
    assert list(json.loads(fast)) == list(json.loads(generic))


def test_prepared_free_text_is_scrubbed_and_secret_names_blanked(logger):
    log, stream = logger
    log.info("request", extra=prepared({"path": f"/v1/{JWT}", "status": 401, "client_secret": "s3cr3t-value"},
                                       ("path",)))
    (line,) = _lines(stream)
    assert JWT not in stream.getvalue() and "s3cr3t-value" not in stream.getvalue()
    assert line["path"] == f"/v1/{REDACTED}"
    assert line["client_secret"] == REDACTED
    assert line["status"] == 401


def test_a_prepared_record_with_an_exception_keeps_its_fields_and_traceback(logger):
    log, stream = logger
    try:
        raise ValueError(f"token={JWT}")
    except ValueError:
        log.exception("failed", extra=prepared({"status": 500}, ()))
    (line,) = _lines(stream)
    assert line["status"] == 500 and "ValueError" in line["exc_info"]
    assert JWT not in stream.getvalue()
    assert "smn_fields" not in line and "smn_free_text" not in line


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("smn.test_logs", logging.INFO, __file__, 1, message, (), None)


def _buffered(stream: io.StringIO, interval: float) -> BufferedJsonLineHandler:
    handler = BufferedJsonLineHandler(stream, interval=interval)
    handler.setFormatter(SmnJsonFormatter())
    handler.addFilter(RequestContextFilter())
    return handler


def test_buffered_lines_are_written_by_the_interval_and_none_lost_on_close():
    stream = io.StringIO()
    handler = _buffered(stream, 0.02)
    for number in range(500):
        handler.handle(_record(f"line {number}"))
    deadline = time.monotonic() + 5
    while stream.getvalue().count("\n") < 500 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [line["message"] for line in _lines(stream)] == [f"line {number}" for number in range(500)]
    handler.handle(_record("last"))
    handler.close()
    assert _lines(stream)[-1]["message"] == "last"


def test_buffered_lines_wait_for_the_writer():
    stream = io.StringIO()
    handler = _buffered(stream, 1.0)
    handler.handle(_record("held"))
    assert stream.getvalue() == ""
    handler.flush()
    assert [line["message"] for line in _lines(stream)] == ["held"]
    handler.close()


def test_dict_config_buffers_only_with_an_interval():
    assert logging_dict_config("INFO")["handlers"]["stdout"]["class"] == "smn.logs.JsonLineHandler"
    buffered = logging_dict_config("INFO", 0.05)["handlers"]["stdout"]
    assert buffered["class"] == "smn.logs.BufferedJsonLineHandler" and buffered["interval"] == 0.05
    assert issubclass(BufferedJsonLineHandler, JsonLineHandler)


@pytest.mark.slow
def test_gunicorn_writes_every_buffered_line_by_the_interval_and_at_a_clean_stop(settings, sandbox, tmp_path):
    from tests.auth.test_gunicorn_revocation import Gunicorn, _request

    server = Gunicorn(settings, sandbox, tmp_path / "gunicorn.log")
    server.env["SMN_LOG_FLUSH_INTERVAL"] = "1"  # the last lines are still pending at stop()
    server.start()
    try:
        for number in range(40):
            assert _request(f"{server.base}/healthz", {"X-Request-Id": f"buffered-{number}"})[0] == 200
        deadline = time.monotonic() + 5
        while len(server.access_lines("buffered-")) < 40 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(server.access_lines("buffered-")) == 40
        for number in range(40, 60):
            _request(f"{server.base}/healthz", {"X-Request-Id": f"buffered-{number}"})
    finally:
        server.stop()
    assert sorted(server.access_lines("buffered-")) == sorted(f"buffered-{number}" for number in range(60))


def test_a_direct_line_is_the_record_path_line(direct_logger):
    log, stream = direct_logger
    fields = {"method": "GET", "path": "/v1/products/5", "status": 200, "duration_ms": 0.12, "client": None}
    tokens = bind_request("req-direct-1")
    try:
        log_prepared(log, "request", dict(fields), ("method", "path"))
    finally:
        unbind_request(tokens)
    recording = logging.Logger("smn.access.test", logging.INFO)
    recording.handlers = log.handlers
    tokens = bind_request("req-direct-1")
    try:
        recording.info("request", extra=prepared(dict(fields), ("method", "path")))
    finally:
        unbind_request(tokens)
    direct, recorded = _lines(stream)
    assert direct == {**recorded, "time": direct["time"]}
    assert list(direct) == list(recorded)
    assert direct["request_id"] == "req-direct-1" and direct["logger"] == "smn.access.test"


def test_a_direct_line_is_scrubbed_like_a_record(direct_logger):
    log, stream = direct_logger
    log_prepared(log, "request", {"path": f"/v1/{JWT}?password=hunter2", "client_secret": "s3cr3t-value",
                                  "status": 401}, ("path",))
    (line,) = _lines(stream)
    assert JWT not in stream.getvalue() and "hunter2" not in stream.getvalue()
    assert "s3cr3t-value" not in stream.getvalue() and line["client_secret"] == REDACTED
    assert "request_id" not in line


def test_a_second_destination_takes_the_record_path(direct_logger, monkeypatch):
    log, stream = direct_logger
    monkeypatch.undo()
    seen = []
    capture = logging.Handler()
    capture.emit = seen.append
    log.addHandler(capture)
    log_prepared(log, "request", {"path": "/healthz", "status": 200}, ("path",))
    assert len(seen) == 1 and seen[0].getMessage() == "request"
    assert _lines(stream)[0]["path"] == "/healthz"


def test_direct_lines_go_through_the_buffered_handler():
    stream = io.StringIO()
    handler = BufferedJsonLineHandler(stream, interval=60)
    handler.setFormatter(SmnJsonFormatter())
    handler.addFilter(RequestContextFilter())
    log = logging.Logger("smn.access.test", logging.INFO)
    log.addHandler(handler)
    try:
        for status in (200, 404):
            log_prepared(log, "request", {"status": status}, ())
        assert stream.getvalue() == ""
        handler.flush()
        assert [line["status"] for line in _lines(stream)] == [200, 404]
    finally:
        handler.close()


def test_a_buffered_direct_line_is_formatted_by_the_writer_as_it_was_logged(monkeypatch):
    stream = io.StringIO()
    handler = _buffered(stream, 60)
    log = logging.Logger("smn.access.test", logging.INFO)
    log.addHandler(handler)
    try:
        tokens = bind_request("req-deferred-1")
        try:
            log_prepared(log, "request", {"path": f"/v1/{JWT}", "status": 200}, ("path",))
        finally:
            unbind_request(tokens)
        handler.handle(_record("between"))
        assert [type(item) for item in handler._pending] == [tuple, str], "the access line waits unformatted"
        monkeypatch.setattr(time, "time", lambda: 0.0)
        handler.flush()
    finally:
        handler.close()
    first, second = _lines(stream)
    assert first["request_id"] == "req-deferred-1" and JWT not in stream.getvalue()
    assert not first["time"].startswith("1970") and second["message"] == "between"


def test_a_line_that_will_not_encode_is_reported_and_the_rest_are_written(monkeypatch):
    stream = io.StringIO()
    handler = _buffered(stream, 60)
    reported = []
    monkeypatch.setattr(handler, "handleError", lambda record: reported.append(record.msg))
    log = logging.Logger("smn.access.test", logging.INFO)
    log.addHandler(handler)
    try:
        log_prepared(log, "request", {"status": 200, "odd": {1: "a non-string key"}}, ())
        log_prepared(log, "request", {"status": 201}, ())
        handler.flush()
    finally:
        handler.close()
    assert [line["status"] for line in _lines(stream)] == [201]
    assert reported == ["log line not encoded"]
