def _access_lines(json_logs):
    return [line for line in json_logs.lines() if line["logger"] == "smn.access"]


def test_one_access_line_per_request_with_its_request_id(client, json_logs):
    client.simulate_get("/healthz", headers={"X-Request-Id": "access-1"})
    client.simulate_get("/healthz", headers={"X-Request-Id": "access-2"})
    lines = _access_lines(json_logs)
    assert [line["request_id"] for line in lines] == ["access-1", "access-2"]
    line = lines[0]
    assert line["method"] == "GET"
    assert line["route"] == "/healthz"
    assert line["path"] == "/healthz"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["odoo_ms"] == 0 and line["odoo_calls"] == 0
    assert line["bytes"] > 0
    assert {"time", "level", "logger", "message", "client"} <= set(line)


def test_access_line_counts_odoo_time(client, json_logs):
    client.simulate_get("/readyz", headers={"X-Request-Id": "ready-odoo"})
    (line,) = _access_lines(json_logs)
    assert line["request_id"] == "ready-odoo"
    assert line["odoo_calls"] >= 1
    assert line["odoo_ms"] > 0


def test_unknown_routes_are_logged_with_their_status(client, json_logs):
    client.simulate_get("/nowhere", headers={"X-Request-Id": "lost"})
    (line,) = _access_lines(json_logs)
    assert line["status"] == 404
    assert line["route"] is None
    assert line["path"] == "/nowhere"


def test_authorization_header_never_reaches_the_log(client, json_logs):
    secret = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhY21lIn0.c2lnbmF0dXJl"
    client.simulate_get("/healthz", headers={"Authorization": f"Bearer {secret}"})
    client.simulate_get(f"/nowhere?access_token={secret}&password=hunter2")
    assert secret not in json_logs.text
    assert "hunter2" not in json_logs.text


def test_a_token_in_the_path_is_redacted_from_the_access_line(client, json_logs):
    secret = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhY21lIn0.c2lnbmF0dXJl"
    client.simulate_get(f"/nowhere/{secret}", headers={"X-Request-Id": "path-secret"})
    (line,) = _access_lines(json_logs)
    assert secret not in json_logs.text
    assert line["path"] == "/nowhere/[REDACTED]"
    assert list(line)[:5] == ["time", "level", "logger", "message", "method"]
