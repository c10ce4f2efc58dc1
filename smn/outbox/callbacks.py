"""Job callbacks: POST a finished job to its client's callback URL, signed, from the worker.

The body is the job document (as GET /v1/jobs/{id} shows it). The signature
header is ``SMN-Signature: t=<unix seconds>,v1=<hex>`` where ``v1`` is
HMAC-SHA256 over ``f"{t}." + body`` (the raw bytes received) with the client's
callback secret. The secret is derived, never stored: HKDF-SHA256 of
SMN_SECRET_KEY with the client_id as context, so every worker on every host
computes the same one. `smn client set-callback` shows it to the operator.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import time
from typing import Any
from urllib.parse import urlparse

import urllib3
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SIGNATURE_HEADER = "SMN-Signature"
HKDF_SALT = b"smn-callback-secret-v1"
DEFAULT_TOLERANCE = 300


class CallbackError(Exception):
    """The receiver did not take the callback (transport failure or a non-2xx answer)."""


def callback_secret(secret_key: str, client_id: str) -> str:
    """The client's signing secret (64 hex characters), derived from SMN_SECRET_KEY."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT, info=client_id.encode())
    return hkdf.derive(secret_key.encode()).hex()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, now: float | None = None) -> str:
    timestamp = int(time.time() if now is None else now)
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, tolerance: int = DEFAULT_TOLERANCE,
           now: float | None = None) -> bool:
    """What a partner runs: the signature matches and its timestamp is recent (replays are refused)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), parts.get("v1", ""))


def valid_callback_url(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


class CallbackSender:
    """POSTs signed job documents; one shared urllib3 pool, no redirects, bounded time."""

    def __init__(self, secret_key: str | None, timeout: float) -> None:
        self.secret_key = secret_key
        self.timeout = timeout
        self.http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=timeout, read=timeout))

    def send(self, url: str, client_id: str, document: dict[str, Any], request_id: str | None) -> None:
        if not self.secret_key:
            raise CallbackError("SMN_SECRET_KEY is not set: callbacks cannot be signed")
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "smn-callbacks",
                   SIGNATURE_HEADER: signature_header(callback_secret(self.secret_key, client_id), body),
                   "SMN-Job-Id": document["id"]}
        if request_id:
            headers["X-Request-Id"] = request_id
        try:
            response = self.http.request("POST", url, body=body, headers=headers, redirect=False)
        except urllib3.exceptions.HTTPError as exc:
            raise CallbackError(f"callback POST failed ({type(exc).__name__})") from None
        if not 200 <= response.status < 300:
            raise CallbackError(f"callback receiver answered HTTP {response.status}")

    def close(self) -> None:
        self.http.clear()


# ---------------------------------------------------------------- `smn client set-callback`

def add_set_callback_command(action: Any) -> None:
    """Register `smn client set-callback CLIENT URL` with the client command's `action` helper."""
    command = action("set-callback", client_set_callback,
                     "set (or with '' clear) the URL finished jobs are POSTed to; prints the signing secret")
    command.add_argument("client", help="client_id or name")
    command.add_argument("url", help="http(s) URL, or '' to stop callbacks")


def client_set_callback(service: Any, args: argparse.Namespace) -> int:
    """Store the URL and show the secret the partner verifies SMN-Signature with."""
    url = args.url.strip() or None
    if url is not None and not valid_callback_url(url):
        print("smn: the callback URL must start with http:// or https://", file=sys.stderr)
        return 1
    client_id = service.clients.set_limits(args.client, {"callback_url": url}).client_id
    secret = callback_secret(service.settings.secret_key, client_id) if url else None
    document = {"client_id": client_id, "callback_url": url, "signing_secret": secret}
    if args.json:
        print(json.dumps(document))
    elif url:
        print(f"{client_id}: callbacks go to {url}\nsigning secret (give it to the partner): {secret}")
    else:
        print(f"{client_id}: callbacks stopped")
    return 0
