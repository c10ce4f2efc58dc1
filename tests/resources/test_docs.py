"""/docs, /openapi.json and the vendored ReDoc: served right, and rendered offline by Chromium."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from falcon import testing

import smn
from smn.resources.docs import REDOC_CDN_URL, REDOC_VERSION, DocsPageResource
from smn.settings import Settings

STATIC = Path(smn.__file__).parent / "static"
# ReDoc 2.5.4 always draws the Redocly logo from cdn.redoc.ly in its sidebar
# footer, with no option to turn it off. The page's CSP blocks it before any
# request is made; that one violation is the policy doing its job.
REDOCLY_FOOTER_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def test_docs_page_is_html_with_a_strict_csp(client: testing.TestClient) -> None:
    result = client.simulate_get("/docs")
    assert result.status_code == 200
    assert result.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>SMN API — reference</title>" in result.text
    assert '<redoc spec-url="/openapi.json"' in result.text
    assert f'<script src="/static/redoc.standalone.js?v={REDOC_VERSION}"></script>' in result.text
    assert "https://" not in result.text
    csp = dict(directive.split(" ", 1) for directive in result.headers["content-security-policy"].split("; "))
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "'self'"
    assert csp["worker-src"] == "blob:"
    assert "unsafe-eval" not in result.headers["content-security-policy"]
    assert result.headers["x-content-type-options"] == "nosniff"


def test_redoc_script_is_served_from_the_package(client: testing.TestClient) -> None:
    result = client.simulate_get("/static/redoc.standalone.js")
    assert result.status_code == 200
    assert result.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "max-age=31536000" in result.headers["cache-control"]
    assert result.content == (STATIC / "redoc.standalone.js").read_bytes()
    again = client.simulate_get("/static/redoc.standalone.js", headers={"If-None-Match": result.headers["etag"]})
    assert again.status_code == 304


def test_vendored_redoc_matches_the_recorded_version() -> None:
    notices = (STATIC / "redoc.standalone.js.LICENSE.txt").read_text()
    assert f'Version: "{REDOC_VERSION}"' in notices
    assert f"ReDoc **{REDOC_VERSION}**" in (STATIC / "README.md").read_text()
    assert "MIT" in (STATIC / "redoc.LICENSE").read_text()


def test_cdn_option_pins_the_same_redoc_with_integrity() -> None:
    settings = Settings.from_env({"SMN_DOCS_CDN": "true", "SMN_PUBLIC_URL": "https://api.example.com/smn"})
    resource = DocsPageResource(settings, (STATIC / "redoc.standalone.js").read_bytes())
    assert f"redoc@{REDOC_VERSION}/" in REDOC_CDN_URL
    assert re.search(rf'<script src="{re.escape(REDOC_CDN_URL)}" integrity="sha384-[A-Za-z0-9+/=]+" '
                     r'crossorigin="anonymous"></script>', resource.page)
    assert 'spec-url="/smn/openapi.json"' in resource.page
    assert "script-src https://cdn.jsdelivr.net;" in resource.csp


def _is_local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("blob", "data", "about") or parsed.hostname == "127.0.0.1"


def _search_works(page) -> None:
    """ReDoc's search runs in a blob: worker, the part of the CSP most likely to break."""
    page.get_by_placeholder("Search...").fill("readiness")
    results = page.locator("[data-role='search:results']")
    results.get_by_role("menuitem", name="Readiness probe (PostgreSQL and Odoo)").wait_for(timeout=10_000)
    page.get_by_placeholder("Search...").fill("")


@pytest.mark.browser
def test_docs_render_offline_in_chromium(chromium, live_url: str, artifacts_dir: Path) -> None:
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    left_the_machine: list[str] = []
    console_errors: list[str] = []

    def guard(route) -> None:
        if _is_local(route.request.url):
            route.continue_()
        else:
            left_the_machine.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    page.on("pageerror", lambda error: console_errors.append(f"uncaught: {error}"))
    try:
        page.goto(f"{live_url}/docs")
        page.get_by_role("heading", name="SMN API").wait_for(timeout=20_000)
        page.get_by_role("heading", name="Liveness probe").wait_for(timeout=20_000)
        page.get_by_text("Readiness probe (PostgreSQL and Odoo)").first.wait_for(state="attached")
        _search_works(page)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(artifacts_dir / "docs.png"))
        page.get_by_role("heading", name="Liveness probe").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts_dir / "docs-liveness.png"))
    finally:
        context.close()

    assert left_the_machine == []
    unexpected = [text for text in console_errors if REDOCLY_FOOTER_LOGO not in text]
    assert unexpected == [], "console errors (CSP violations included) on /docs"
