def test_healthz_answers_without_dependencies(client):
    response = client.simulate_get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_is_ready_when_postgres_and_odoo_answer(client):
    response = client.simulate_get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"postgresql": "ok", "odoo": "ok"}


def test_readyz_goes_503_when_odoo_is_down_and_200_when_back(client, sandbox):
    sandbox.go_down()
    down = client.simulate_get("/readyz")
    assert down.status_code == 503
    assert down.headers["content-type"] == "application/problem+json"
    assert down.headers["Retry-After"]
    assert down.json["checks"] == {"postgresql": "ok", "odoo": "unreachable"}
    assert "odoo" in down.json["detail"]
    sandbox.come_up()
    assert client.simulate_get("/readyz").status_code == 200


def test_readyz_names_postgres_when_it_fails(settings, sandbox):
    from falcon import testing

    from smn.app import build_services, create_app

    broken = settings.replace(database_url="postgresql://nobody@127.0.0.1:1/none")
    app = create_app(broken, build_services(broken))
    try:
        response = testing.TestClient(app).simulate_get("/readyz")
    finally:
        app.smn_services.close()  # its metrics refresher would go on setting this process's gauges
    assert response.status_code == 503
    assert response.json["checks"]["postgresql"] == "unreachable"
    assert response.json["checks"]["odoo"] == "ok"


def test_readyz_treats_a_proxy_error_page_as_down(client, sandbox):
    sandbox.set_proxy_error(502)
    assert client.simulate_get("/readyz").status_code == 503
