import uuid

import pytest


def test_generates_a_uuid4_when_none_is_sent(client):
    response = client.simulate_get("/healthz")
    request_id = response.headers["X-Request-Id"]
    assert uuid.UUID(request_id).version == 4


@pytest.mark.parametrize("inbound", ["abc", "partner-42:order.7_retry", "A" * 128])
def test_accepts_a_sane_inbound_id(client, inbound):
    response = client.simulate_get("/healthz", headers={"X-Request-Id": inbound})
    assert response.headers["X-Request-Id"] == inbound


@pytest.mark.parametrize("inbound", ["", "A" * 129, "has space", "semi;colon", "new\nline", "é", "<script>"])
def test_replaces_an_insane_inbound_id(client, inbound):
    response = client.simulate_get("/healthz", headers={"X-Request-Id": inbound})
    echoed = response.headers["X-Request-Id"]
    assert echoed != inbound
    assert uuid.UUID(echoed).version == 4


def test_each_request_gets_its_own_id(client):
    first = client.simulate_get("/healthz").headers["X-Request-Id"]
    second = client.simulate_get("/healthz").headers["X-Request-Id"]
    assert first != second


def test_error_responses_carry_the_id_too(client):
    response = client.simulate_get("/no/such/route", headers={"X-Request-Id": "trace-404"})
    assert response.headers["X-Request-Id"] == "trace-404"
    assert response.json["request_id"] == "trace-404"


def test_the_id_is_unbound_after_the_request(client):
    from smn.context import current_request_id

    client.simulate_get("/healthz", headers={"X-Request-Id": "bound-then-gone"})
    assert current_request_id() is None
