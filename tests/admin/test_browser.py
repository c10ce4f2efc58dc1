"""The admin UI in a real headless Chromium over real HTTP: log in, manage a client, build an endpoint."""
from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.admin.conftest import PASSWORD
from tests.auth.helpers import sql

SHOTS = "admin"


@pytest.fixture()
def shots(artifacts_dir: Path) -> Path:
    folder = artifacts_dir / SHOTS
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def http(method: str, url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def get_token(live_url: str, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    status, body = http("POST", f"{live_url}/v1/auth/token", b"grant_type=client_credentials",
                        {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, body
    return body["access_token"]


def seed_ops_rows(database_url: str) -> None:
    """A failed job and an alert, so the Jobs and Alerts pages have something to show."""
    sql(database_url, """INSERT INTO outbox_jobs (id, client_id, kind, body, status, attempts, last_error, request_id)
                         VALUES (gen_random_uuid(), 'smn_demo', 'order.create',
                                 '{"partner_id": 14, "lines": [{"product_id": 7, "quantity": 3}]}', 'failed', 5,
                                 'Odoo unreachable after 5 attempts (connection refused)', 'req-7f3a91')""")
    sql(database_url, """INSERT INTO alerts (fold_key, kind, severity, title, request_ids, first_seen, last_seen, count)
                         VALUES ('odoo_down', 'odoo_down', 'critical', 'Odoo is unreachable: circuit opened',
                                 '{req-7f3a91}', now() - interval '3 minutes', now(), 4)""")


@pytest.mark.browser
def test_admin_ui_end_to_end(chromium, live_url: str, admin_user: str, shots: Path, database_url: str,
                             smn_auth) -> None:
    seed_ops_rows(database_url)
    context = chromium.new_context(viewport={"width": 1360, "height": 900})
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        page.goto(f"{live_url}/admin/clients")
        assert "/admin/login" in page.url
        page.screenshot(path=str(shots / "login.png"))
        page.get_by_label("Username").fill(admin_user)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_url}/admin/clients")

        # Create a client and read its secret, shown once.
        page.get_by_label("Name").fill("acme-logistics")
        page.get_by_label("Scopes").fill("products:read contacts:read")
        page.get_by_label("Contact").fill("ops@acme.example")
        page.get_by_role("button", name="Create client").click()
        secret = page.locator("#client-secret").inner_text().strip()
        client_id = page.locator("#client-id").inner_text().strip()
        page.screenshot(path=str(shots / "client-secret.png"))
        page.get_by_role("link", name="Done, go to the client").click()

        # A token over HTTP works, until it is revoked in the UI.
        token = get_token(live_url, client_id, secret)
        bearer = {"Authorization": f"Bearer {token}"}
        assert http("GET", f"{live_url}/v1/products?limit=1", headers=bearer)[0] == 200
        page.reload()
        page.locator("table.tokens").get_by_role("button", name="Revoke").click()
        page.get_by_text("Token revoked.").wait_for()
        page.screenshot(path=str(shots / "client.png"))
        assert smn_auth.state.sync()
        status, problem = http("GET", f"{live_url}/v1/products?limit=1", headers=bearer)
        assert status == 401 and problem["type"] == "/problems/invalid-token"

        # Build an endpoint on res.partner.
        page.goto(f"{live_url}/admin/endpoints/new")
        page.get_by_label("Model").select_option("res.partner")
        page.wait_for_selector("#fields")
        for odoo, name in (("name", "contact_name"), ("email", "email"), ("country_id", "country"),
                           ("is_company", "")):
            page.locator(f"#f-{odoo}").check()
            if name:
                page.get_by_label(f"partner name of {odoo}").fill(name)
        page.get_by_label("Slug").fill("contacts-ui")
        page.get_by_label("Description").fill("Companies we trade with.")
        page.get_by_label("Fixed domain").fill('[["is_company", "=", true]]')
        page.get_by_label("Max page").fill("25")
        page.get_by_label("Required scope").fill("contacts:read")
        page.get_by_role("button", name="Preview").click()
        page.locator("#preview").wait_for()
        assert '"contact_name"' in page.locator("#preview").inner_text()
        page.locator("#fields").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "builder.png"), full_page=True)
        page.get_by_role("button", name="Save & publish").click()
        page.get_by_text("Endpoint saved and live on every worker.").wait_for()
        page.screenshot(path=str(shots / "endpoint.png"))

        fresh = {"Authorization": f"Bearer {get_token(live_url, client_id, secret)}"}
        status, body = http("GET", f"{live_url}/v1/x/contacts-ui?limit=3", headers=fresh)
        assert status == 200, body
        assert set(body["items"][0]) == {"id", "contact_name", "email", "country", "is_company"}

        for name, path in (("overview", "/admin"), ("clients", "/admin/clients"), ("tokens", "/admin/tokens"),
                           ("keys", "/admin/keys"), ("jobs", "/admin/jobs"), ("alerts", "/admin/alerts"),
                           ("endpoints", "/admin/endpoints"), ("audit", "/admin/audit")):
            page.goto(f"{live_url}{path}")
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        job_link = page.goto(f"{live_url}/admin/jobs?status=failed") and page.locator("table a").first
        job_link.click()
        page.get_by_role("button", name="Retry").wait_for()
        page.screenshot(path=str(shots / "job.png"))

        assert errors == [], "console errors (CSP violations included) in the admin UI"
        page.goto(f"{live_url}/docs")
        page.get_by_text("List contacts-ui").first.wait_for(state="attached", timeout=20_000)
        errors.clear()  # ReDoc's own footer logo is blocked by /docs's CSP (see tests/resources/test_docs.py)
    finally:
        context.close()

    phone = chromium.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    try:
        mobile = phone.new_page()
        mobile.goto(f"{live_url}/admin/login")
        mobile.get_by_label("Username").fill(admin_user)
        mobile.get_by_label("Password").fill(PASSWORD)
        mobile.get_by_role("button", name="Log in").click()
        mobile.wait_for_url(f"{live_url}/admin")
        mobile.screenshot(path=str(shots / "overview-phone.png"), full_page=True)
    finally:
        phone.close()
    assert errors == [], "console errors (CSP violations included) in the admin UI"


def test_login_form_without_its_token_is_refused(client, admin_user):
    result = client.simulate_post("/admin/login", headers={"Content-Type": "application/x-www-form-urlencoded"},
                                  body=f"username={admin_user}&password={PASSWORD.replace(' ', '+')}")
    assert result.status_code == 403
    assert "smn_admin" not in result.cookies
