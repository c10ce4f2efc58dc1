"""The JSON admin API: auth separation from partners, CSRF, each action, and its audit rows."""
from __future__ import annotations

import base64
import re

from tests.admin.conftest import PASSWORD
from tests.auth.helpers import jti_of, sql
from tests.fixtures.auth import bearer


def audit_actions(database_url: str, actor: str) -> list[str]:
    return [row[0] for row in sql(database_url, "SELECT action FROM admin_audit WHERE actor = %s ORDER BY id", (actor,))]


def test_admin_api_needs_a_session(client):
    result = client.simulate_get("/admin/api/clients")
    assert result.status_code == 401
    assert result.json["type"] == "/problems/admin-login-required"


def test_pages_redirect_to_login(client):
    result = client.simulate_get("/admin/clients")
    assert result.status_code == 303
    assert result.headers["location"].startswith("/admin/login?next=/admin/clients")


def test_partner_tokens_never_work_on_admin_routes(client, auth_headers):
    result = client.simulate_get("/admin/api/clients", headers=auth_headers("products:read"))
    assert result.status_code == 401


def test_admin_session_never_works_on_partner_routes(client, admin):
    result = client.simulate_get("/v1/products", headers=admin.headers())
    assert result.status_code == 401


def test_wrong_password_is_refused_and_audited(client, admin_user, database_url):
    result = client.simulate_post("/admin/api/session", json={"username": admin_user, "password": "nope"},
                                  remote_addr="10.0.0.7")
    assert result.status_code == 401
    assert "smn_admin" not in result.cookies
    assert "login.failed" in audit_actions(database_url, admin_user)


def test_login_is_throttled(client, services, database_url):
    from smn.admin.users import AdminUserStore

    AdminUserStore(services.database).create("throttled-admin", PASSWORD)
    limit = services.settings.admin_login_failure_limit
    for _ in range(limit):
        assert client.simulate_post("/admin/api/session", json={"username": "throttled-admin", "password": "wrong"},
                                    remote_addr="10.0.0.8").status_code == 401
    refused = client.simulate_post("/admin/api/session", json={"username": "throttled-admin", "password": PASSWORD},
                                   remote_addr="10.0.0.9")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1


def test_session_cookie_is_httponly_strict(client, admin_user):
    result = client.simulate_post("/admin/api/session", json={"username": admin_user, "password": PASSWORD})
    cookie = result.cookies["smn_admin"]
    assert cookie.http_only and cookie.same_site == "Strict" and cookie.path == "/admin"
    assert not cookie.secure  # plain http on loopback; https or a trusted proxy makes it Secure


def test_writes_need_the_csrf_header(client, admin):
    result = client.simulate_post("/admin/api/clients", headers=admin.headers(csrf=False),
                                  json={"name": "no-csrf", "scopes": "a:b"})
    assert result.status_code == 403
    assert result.json["type"] == "/problems/csrf-failed"


def test_form_posts_without_csrf_are_refused(client, admin):
    result = client.simulate_post("/admin/clients", headers={**admin.headers(csrf=False),
                                                             "Content-Type": "application/x-www-form-urlencoded"},
                                  body="name=sneaky&scopes=a%3Ab")
    assert result.status_code == 403
    assert not sql_client_exists(client, "sneaky")


def sql_client_exists(client, name: str) -> bool:
    services = client.app.smn_services
    return services.database.fetch_one("SELECT 1 FROM api_clients WHERE name = %s", (name,)) is not None


def test_client_lifecycle(client, admin, database_url, smn_auth):
    created = admin.post("/admin/api/clients", json={"name": f"acme-{admin.username}", "scopes": "products:read",
                                                     "rate_per_second": 5, "burst": 10})
    assert created.status_code == 201, created.text
    client_id, secret = created.json["client"]["client_id"], created.json["client_secret"]
    assert admin.get(f"/admin/api/clients/{client_id}").json.get("client_secret") is None

    changed = admin.patch(f"/admin/api/clients/{client_id}",
                          json={"scopes": "products:read partners:read", "callback_url": "https://p.example/cb"})
    assert changed.status_code == 200, changed.text
    assert changed.json["scopes"] == ["partners:read", "products:read"]
    assert changed.json["callback_url"] == "https://p.example/cb" and changed.json["rate_per_second"] == 5

    basic = {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode(),
             "Content-Type": "application/x-www-form-urlencoded"}
    token = client.simulate_post("/v1/auth/token", body="grant_type=client_credentials", headers=basic).json[
        "access_token"]
    listed = admin.get("/admin/api/tokens", params={"client_id": client_id}).json["items"]
    assert [item["jti"] for item in listed] == [jti_of(token)] and listed[0]["status"] == "active"

    revoked = admin.post(f"/admin/api/tokens/{jti_of(token)}/revoke")
    assert revoked.json["outcome"] == "revoked"
    assert smn_auth.state.sync()
    assert client.simulate_get("/v1/products", headers=bearer(token)).status_code == 401

    rotated = admin.post(f"/admin/api/clients/{client_id}/rotate-secret")
    assert rotated.json["client_secret"] != secret
    for action in ("revoke-all", "disable", "enable"):
        assert admin.post(f"/admin/api/clients/{client_id}/{action}").status_code == 200
    unknown = admin.post(f"/admin/api/clients/{client_id}/explode")
    assert unknown.status_code == 404 and "rotate-secret" in unknown.json["detail"]
    assert admin.post("/admin/api/clients/nobody/disable").status_code == 404

    assert audit_actions(database_url, admin.username) == [
        "login", "client.create", "client.update", "token.revoke", "client.rotate-secret", "client.revoke-all",
        "client.disable", "client.enable"]
    rows = sql(database_url, "SELECT details::text, request_id FROM admin_audit WHERE actor = %s", (admin.username,))
    assert all(secret not in details and rotated.json["client_secret"] not in details for details, _ in rows)
    assert all(request_id for _, request_id in rows)


UTC_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def test_timestamps_are_utc_with_z(client, admin):
    """One convention for the admin API and partners (smn.timefmt): ISO 8601, UTC, `Z`."""
    created = admin.post("/admin/api/clients", json={"name": f"times-{admin.username}", "scopes": "products:read"})
    client_id, secret = created.json["client"]["client_id"], created.json["client_secret"]
    basic = {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode(),
             "Content-Type": "application/x-www-form-urlencoded"}
    issued = client.simulate_post("/v1/auth/token", body="grant_type=client_credentials", headers=basic)
    assert issued.status_code == 200

    seen = admin.get(f"/admin/api/clients/{client_id}").json
    (token,) = admin.get("/admin/api/tokens", params={"client_id": client_id}).json["items"]
    key = admin.get("/admin/api/keys").json["items"][0]
    entry = admin.get("/admin/api/audit", params={"actor": admin.username}).json["items"][0]
    values = [seen["created_at"], seen["updated_at"], seen["secret_rotated_at"], token["issued_at"],
              token["expires_at"], key["created_at"], entry["at"]]
    assert all(UTC_Z.fullmatch(value) for value in values), values
    page = client.simulate_get(f"/admin/clients/{client_id}", headers=admin.headers()).text
    assert f"<dt>created</dt><dd>{seen['created_at'][:19].replace('T', ' ')} UTC</dd>" in page


def test_invalid_client_input_is_422(admin):
    result = admin.post("/admin/api/clients", json={"name": "", "scopes": "bad scope!", "burst": -1})
    assert result.status_code == 422
    assert {error["field"] for error in result.json["errors"]} >= {"name", "burst"}
    assert result.json["detail"] == "The request has 2 invalid fields."  # the partner API's wording


def test_client_input_must_be_a_json_object(admin):
    result = admin.post("/admin/api/clients", json=["acme"])
    assert result.status_code == 422 and result.json["type"] == "/problems/validation-error"
    assert result.json["errors"] == [{"field": "body", "message": "Must be a JSON object."}]


def test_unknown_actions_on_pages_are_404(client, admin):
    created = admin.post("/admin/api/clients", json={"name": f"pages-{admin.username}", "scopes": "products:read"})
    client_id = created.json["client"]["client_id"]
    for path in (f"/admin/clients/{client_id}/explode", "/admin/jobs/0b6f7c1e-8d44-4a8e-9f1c-5b2a3e7d9c01/explode",
                 "/admin/endpoints/companies/delete"):
        assert client.simulate_post(path, headers=admin.headers()).status_code == 404, path


def test_keys_rotate(admin, database_url):
    before = admin.get("/admin/api/keys").json["items"]
    rotated = admin.post("/admin/api/keys/rotate")
    assert rotated.status_code == 201 and rotated.json["status"] == "active"
    after = admin.get("/admin/api/keys").json["items"]
    assert len(after) == len(before) + 1
    assert [key["status"] for key in after].count("active") == 1
    assert "key.rotate" in audit_actions(database_url, admin.username)


def test_overview_jobs_alerts(admin, services, database_url):
    overview = admin.get("/admin/api/overview")
    assert overview.status_code == 200
    assert overview.json["odoo"]["reachable"] is True and overview.json["odoo"]["circuit"]["state"] == "closed"
    alert_id = sql(database_url, """INSERT INTO alerts (fold_key, kind, severity, title, first_seen, last_seen)
                                    VALUES ('t', 'test', 'warning', 'Test alert', now(), now()) RETURNING id""")[0][0]
    listed = next(a for a in admin.get("/admin/api/alerts").json["items"] if a["id"] == alert_id)
    assert listed["first_seen"].endswith("Z") and listed["last_seen"].endswith("Z")
    assert admin.post(f"/admin/api/alerts/{alert_id}/acknowledge").status_code == 204
    assert admin.post("/admin/api/alerts/999999/acknowledge").status_code == 404
    job_id = sql(database_url, """INSERT INTO outbox_jobs (id, client_id, kind, body, status, last_error, request_id)
                                  VALUES (gen_random_uuid(), 'smn_x', 'order.create', '{"a": 1}', 'failed',
                                          'Odoo said no', 'req-1') RETURNING id::text""")[0][0]
    job = admin.get(f"/admin/api/jobs/{job_id}").json
    assert job["body"] == {"a": 1} and job["last_error"] == "Odoo said no" and job["request_id"] == "req-1"
    assert job["created_at"].endswith("Z") and job["finished_at"] is None  # as partners see jobs (UTC, Z)
    unknown = admin.post(f"/admin/api/jobs/{job_id}/explode")
    assert unknown.status_code == 404 and "retry, cancel" in unknown.json["detail"]
    assert admin.post(f"/admin/api/jobs/{job_id}/retry").json["status"] == "queued"
    assert admin.post(f"/admin/api/jobs/{job_id}/cancel").json["status"] == "cancelled"
    assert admin.get("/admin/api/jobs", params={"status": "cancelled"}).json["counts"]["cancelled"] >= 1
    assert admin.get("/admin/api/jobs/not-a-uuid").status_code == 404
    assert {"alert.acknowledge", "job.retry", "job.cancel"} <= set(audit_actions(database_url, admin.username))


def test_logout_ends_the_session(client, admin):
    assert client.simulate_delete("/admin/api/session", headers=admin.headers()).status_code == 204
    assert admin.get("/admin/api/clients").status_code == 401


def test_admin_api_is_in_openapi_under_its_tag(client):
    document = client.simulate_get("/openapi.json").json
    assert "/admin/api/clients" in document["paths"]
    assert document["paths"]["/admin/api/clients"]["post"]["tags"] == ["Admin"]
    assert document["paths"]["/admin/clients"]["get"]["tags"] == ["Admin UI"]


def test_admin_static_files_revalidate_with_their_etag_or_star(client):
    first = client.simulate_get("/admin/static/admin.css")
    assert first.status_code == 200 and first.headers["etag"]
    for tag in (first.headers["etag"], "*"):
        assert client.simulate_get("/admin/static/admin.css", headers={"If-None-Match": tag}).status_code == 304
    assert client.simulate_get("/admin/static/admin.css", headers={"If-None-Match": '"other"'}).status_code == 200
