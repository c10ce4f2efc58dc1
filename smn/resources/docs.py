"""The API reference: /openapi.json, the ReDoc page at /docs, and ReDoc itself.

ReDoc is vendored in smn/static (see its README) so the reference renders on
machines without internet access; SMN_DOCS_CDN=true loads it from jsDelivr
instead, pinned to the same version and checked with Subresource Integrity.
"""
from __future__ import annotations

import base64
import hashlib
import html
from importlib import resources
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import falcon

from smn.openapi import built_spec
from smn.representation import not_modified
from smn.settings import Settings

if TYPE_CHECKING:
    from smn.app import Services

REDOC_VERSION = "2.5.4"
REDOC_FILE = "redoc.standalone.js"
REDOC_PATH = "/static/" + REDOC_FILE
REDOC_CDN_ORIGIN = "https://cdn.jsdelivr.net"
REDOC_CDN_URL = f"{REDOC_CDN_ORIGIN}/npm/redoc@{REDOC_VERSION}/bundles/{REDOC_FILE}"
PAGE_TITLE = "SMN API — reference"
JAVASCRIPT = "text/javascript; charset=utf-8"
LONG_CACHE = "public, max-age=31536000, immutable"

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="data:,">
<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<noscript>This reference needs JavaScript. The OpenAPI document is at <a href="{spec_url}">{spec_url}</a>.</noscript>
<redoc spec-url="{spec_url}" expand-responses="200,201" required-props-first="true"></redoc>
<script src="{script_url}"{script_attributes}></script>
</body>
</html>
"""


def content_security_policy(script_source: str) -> str:
    """Nothing but ReDoc, the spec and what ReDoc needs to draw them."""
    return "; ".join([
        "default-src 'none'",
        f"script-src {script_source}",
        "style-src 'unsafe-inline'",  # styled-components injects <style> elements at runtime
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",  # ReDoc fetches /openapi.json
        "worker-src blob:",  # ReDoc's search index runs in a worker made from a blob: URL
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ])


def _redoc_bundle() -> bytes:
    return resources.files("smn").joinpath("static").joinpath(REDOC_FILE).read_bytes()


def _sri(content: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode()


def _base_path(settings: Settings) -> str:
    """The path prefix SMN is published under (from SMN_PUBLIC_URL), '' when at the root."""
    return urlparse(settings.public_url).path.rstrip("/") if settings.public_url else ""


class OpenApiResource:
    """GET /openapi.json: the OpenAPI document of every route on the app."""

    auth = {"public": True}

    def __init__(self, app: falcon.App, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """OpenAPI document.
        ---
        summary: OpenAPI document
        description: >
          This reference as an OpenAPI 3.1 document, for code generators and API
          tools. Send the ETag back in If-None-Match to skip unchanged downloads.
        tags: [Documentation]
        security: []
        responses:
          200:
            description: The OpenAPI document.
            headers:
              ETag: {description: Changes whenever the document changes., schema: {type: string}}
            content:
              application/json:
                schema: {type: object}
          304:
            description: The document still matches the If-None-Match ETag.
        """
        built = built_spec(self.app, self.settings)
        resp.etag = built.etag
        resp.cache_control = ["no-cache"]
        if not_modified(req, built.etag):
            resp.status = falcon.HTTP_304
            return
        resp.content_type = falcon.MEDIA_JSON
        resp.data = built.body


class DocsPageResource:
    """GET /docs: the ReDoc page, under a Content-Security-Policy that allows only ReDoc."""

    auth = {"public": True}

    def __init__(self, settings: Settings, bundle: bytes) -> None:
        base = _base_path(settings)
        if settings.docs_cdn:
            script_url, source = REDOC_CDN_URL, REDOC_CDN_ORIGIN
            attributes = f' integrity="{_sri(bundle)}" crossorigin="anonymous"'
        else:
            script_url, source, attributes = f"{base}{REDOC_PATH}?v={REDOC_VERSION}", "'self'", ""
        self.page = PAGE.format(title=html.escape(PAGE_TITLE), spec_url=html.escape(f"{base}/openapi.json"),
                                script_url=html.escape(script_url), script_attributes=attributes)
        self.csp = content_security_policy(source)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """API reference page.
        ---
        summary: API reference (this page)
        description: This reference, rendered by ReDoc from /openapi.json.
        tags: [Documentation]
        security: []
        responses:
          200:
            description: An HTML page.
            content:
              text/html:
                schema: {type: string}
        """
        resp.content_type = falcon.MEDIA_HTML
        resp.text = self.page
        resp.set_header("Content-Security-Policy", self.csp)
        resp.set_header("X-Content-Type-Options", "nosniff")
        resp.set_header("Referrer-Policy", "no-referrer")
        resp.cache_control = ["no-cache"]


class RedocScriptResource:
    """GET /static/redoc.standalone.js: the vendored ReDoc bundle, cached for a year.

    /docs asks for it with ?v=<version>, so a new ReDoc gets a new URL.
    """

    auth = {"public": True}

    def __init__(self, bundle: bytes) -> None:
        self.bundle = bundle
        self.etag = hashlib.sha256(bundle).hexdigest()[:32]

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """ReDoc script.
        ---
        summary: ReDoc script used by the reference page
        tags: [Documentation]
        security: []
        responses:
          200:
            description: The ReDoc standalone bundle.
            content:
              text/javascript:
                schema: {type: string}
          304:
            description: The script still matches the If-None-Match ETag.
        """
        resp.etag = self.etag
        resp.cache_control = [LONG_CACHE]
        resp.set_header("X-Content-Type-Options", "nosniff")
        if not_modified(req, self.etag):
            resp.status = falcon.HTTP_304
            return
        resp.content_type = JAVASCRIPT
        resp.data = self.bundle


def add_docs_routes(app: falcon.App, services: Services) -> None:
    """Registers /openapi.json, /docs and the bundled ReDoc script."""
    settings = services.settings
    bundle = _redoc_bundle()
    app.add_route("/openapi.json", OpenApiResource(app, settings))
    app.add_route("/docs", DocsPageResource(settings, bundle))
    app.add_route(REDOC_PATH, RedocScriptResource(bundle))
