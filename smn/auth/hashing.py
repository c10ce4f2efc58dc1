"""Client secrets: generated strong, stored as scrypt hashes, compared in constant time."""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
# ~16 MiB and a few tens of milliseconds per check: cheap for one token request
# every few minutes, expensive for anyone guessing offline.
DEFAULT_PARAMS = {"n": 2 ** 14, "r": 8, "p": 1}
SALT_BYTES = 16
HASH_BYTES = 32
SECRET_BYTES = 32


def new_secret() -> str:
    """A client secret with 256 random bits, URL-safe so it survives Basic auth and forms."""
    return secrets.token_urlsafe(SECRET_BYTES)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _derive(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, dklen=HASH_BYTES,
                          maxmem=256 * n * r + 1024 * 1024)


def hash_secret(secret: str, params: dict[str, int] | None = None) -> str:
    """`scrypt$n=..,r=..,p=..$salt$hash`: the parameters travel with the hash so they can be raised later."""
    params = params or DEFAULT_PARAMS
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _derive(secret, salt, params["n"], params["r"], params["p"])
    encoded_params = ",".join(f"{name}={params[name]}" for name in ("n", "r", "p"))
    return f"{SCHEME}${encoded_params}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, stored: str) -> bool:
    """True when `secret` matches `stored`; a malformed stored hash never matches."""
    try:
        scheme, encoded_params, salt, digest = stored.split("$")
        params = dict(item.split("=") for item in encoded_params.split(","))
        n, r, p = int(params["n"]), int(params["r"]), int(params["p"])
        expected = base64.b64decode(digest)
        actual = _derive(secret, base64.b64decode(salt), n, r, p)
    except (ValueError, KeyError):
        return False
    return scheme == SCHEME and hmac.compare_digest(actual, expected)


@functools.cache
def dummy_hash() -> str:
    """Checked against when the client_id is unknown, so that a wrong id costs as much
    time as a wrong secret and response times do not reveal which ids exist."""
    return hash_secret(new_secret())
