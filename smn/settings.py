"""Settings: one frozen dataclass read from SMN_* environment variables.

Every value is parsed and checked once, at start-up. A bad value raises
SettingsError whose message names the variable, and the command line prints
that one line instead of a traceback.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlparse

ODOO_PROTOCOLS = ("auto", "jsonrpc", "json2")
JWT_ALGORITHMS = ("EdDSA", "ES256", "RS256", "HS256")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MIN_SECRET_KEY_BYTES = 32


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def _parse_int(name: str, raw: str, minimum: int, maximum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: must be a whole number") from None
    if not minimum <= value <= maximum:
        raise SettingsError(f"{name}={raw!r}: must be between {minimum} and {maximum}")
    return value


def _parse_float(name: str, raw: str, minimum: float, maximum: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: must be a number") from None
    if not minimum <= value <= maximum:
        raise SettingsError(f"{name}={raw!r}: must be between {minimum} and {maximum}")
    return value


def _parse_choice(name: str, raw: str, choices: tuple[str, ...]) -> str:
    for choice in choices:
        if raw.lower() == choice.lower():
            return choice
    raise SettingsError(f"{name}={raw!r}: must be one of {', '.join(choices)}")


def _parse_url(name: str, raw: str, schemes: tuple[str, ...]) -> str:
    parsed = urlparse(raw)
    if parsed.scheme not in schemes or not (parsed.netloc or parsed.query):
        raise SettingsError(f"{name}: must be a URL starting with {' or '.join(s + '://' for s in schemes)}")
    return raw.rstrip("/") if parsed.scheme.startswith("http") else raw


def _parse_bind(name: str, raw: str) -> str:
    host, sep, port = raw.rpartition(":")
    if not sep or not host:
        raise SettingsError(f"{name}={raw!r}: must be HOST:PORT, e.g. 127.0.0.1:8000")
    _parse_int(name, port, 0, 65535)
    return raw


def _parse_bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}={raw!r}: must be true or false")


def _env(name: str, parse: Callable[[str, str], Any], help_text: str = "") -> Any:
    """Field metadata: which variable feeds the field and how to parse it."""
    return {"env": name, "parse": parse, "help": help_text}


@dataclass(frozen=True)
class Settings:
    """Everything SMN reads from its environment, validated at start."""

    database_url: str | None = field(default=None, metadata=_env(
        "SMN_DATABASE_URL", lambda n, v: _parse_url(n, v, ("postgresql", "postgres")),
        "PostgreSQL URL; unset = embedded PostgreSQL in SMN_DATA_DIR"))
    data_dir: Path = field(default=Path("var"), metadata=_env(
        "SMN_DATA_DIR", lambda n, v: Path(v), "folder for the embedded PostgreSQL and generated secrets"))
    db_pool_max: int = field(default=10, metadata=_env(
        "SMN_DB_POOL_MAX", lambda n, v: _parse_int(n, v, 1, 200), "connections per worker process"))
    odoo_url: str | None = field(default=None, metadata=_env(
        "SMN_ODOO_URL", lambda n, v: _parse_url(n, v, ("http", "https")),
        "Odoo base URL; unset = start the Odoo stand-in (development only)"))
    odoo_database: str = field(default="smn_demo", metadata=_env("SMN_ODOO_DATABASE", lambda n, v: v))
    odoo_login: str = field(default="admin", metadata=_env("SMN_ODOO_LOGIN", lambda n, v: v))
    odoo_password: str | None = field(default=None, metadata=_env("SMN_ODOO_PASSWORD", lambda n, v: v))
    odoo_api_key: str | None = field(default=None, metadata=_env("SMN_ODOO_API_KEY", lambda n, v: v))
    odoo_protocol: str = field(default="auto", metadata=_env(
        "SMN_ODOO_PROTOCOL", lambda n, v: _parse_choice(n, v, ODOO_PROTOCOLS)))
    odoo_connect_timeout: float = field(default=3.0, metadata=_env(
        "SMN_ODOO_CONNECT_TIMEOUT", lambda n, v: _parse_float(n, v, 0.05, 60)))
    odoo_read_timeout: float = field(default=15.0, metadata=_env(
        "SMN_ODOO_READ_TIMEOUT", lambda n, v: _parse_float(n, v, 0.05, 600)))
    odoo_pool_size: int = field(default=16, metadata=_env(
        "SMN_ODOO_POOL_SIZE", lambda n, v: _parse_int(n, v, 1, 256), "keep-alive connections per worker"))
    bind: str = field(default="127.0.0.1:8000", metadata=_env("SMN_BIND", _parse_bind))
    workers: int = field(default=2, metadata=_env("SMN_WORKERS", lambda n, v: _parse_int(n, v, 1, 64)))
    threads: int = field(default=8, metadata=_env("SMN_THREADS", lambda n, v: _parse_int(n, v, 1, 256)))
    log_level: str = field(default="INFO", metadata=_env(
        "SMN_LOG_LEVEL", lambda n, v: _parse_choice(n, v, LOG_LEVELS)))
    max_body_bytes: int = field(default=1_048_576, metadata=_env(
        "SMN_MAX_BODY_BYTES", lambda n, v: _parse_int(n, v, 1024, 1_073_741_824)))
    readiness_timeout: float = field(default=2.0, metadata=_env(
        "SMN_READINESS_TIMEOUT", lambda n, v: _parse_float(n, v, 0.05, 30)))
    public_url: str | None = field(default=None, metadata=_env(
        "SMN_PUBLIC_URL", lambda n, v: _parse_url(n, v, ("http", "https")),
        "external base URL used in links; default derived from SMN_BIND"))
    secret_key: str | None = field(default=None, metadata=_env(
        "SMN_SECRET_KEY", lambda n, v: v, "encrypts signing keys at rest; embedded default keeps one in SMN_DATA_DIR"))
    jwt_issuer: str = field(default="smn", metadata=_env("SMN_JWT_ISSUER", lambda n, v: v))
    jwt_audience: str = field(default="smn-partners", metadata=_env("SMN_JWT_AUDIENCE", lambda n, v: v))
    jwt_algorithm: str = field(default="EdDSA", metadata=_env(
        "SMN_JWT_ALGORITHM", lambda n, v: _parse_choice(n, v, JWT_ALGORITHMS)))
    token_ttl: int = field(default=900, metadata=_env(
        "SMN_TOKEN_TTL", lambda n, v: _parse_int(n, v, 30, 86400), "seconds an access token lives"))
    token_max_ttl: int = field(default=3600, metadata=_env(
        "SMN_TOKEN_MAX_TTL", lambda n, v: _parse_int(n, v, 30, 86400)))
    docs_cdn: bool = field(default=False, metadata=_env(
        "SMN_DOCS_CDN", _parse_bool, "load ReDoc from a CDN instead of the bundled copy"))
    batch_max_orders: int = field(default=100, metadata=_env(
        "SMN_BATCH_MAX_ORDERS", lambda n, v: _parse_int(n, v, 1, 1000), "orders accepted by POST /v1/orders/batch"))
    export_chunk: int = field(default=500, metadata=_env(
        "SMN_EXPORT_CHUNK", lambda n, v: _parse_int(n, v, 10, 5000), "records per Odoo call in NDJSON exports"))
    idempotency_ttl: int = field(default=86_400, metadata=_env(
        "SMN_IDEMPOTENCY_TTL", lambda n, v: _parse_int(n, v, 60, 30 * 86_400), "seconds an Idempotency-Key is kept"))
    idempotency_wait: int = field(default=10, metadata=_env(
        "SMN_IDEMPOTENCY_WAIT", lambda n, v: _parse_int(n, v, 1, 120),
        "seconds a duplicate waits for the first request before 409"))
    idempotency_lease: int = field(default=120, metadata=_env(
        "SMN_IDEMPOTENCY_LEASE", lambda n, v: _parse_int(n, v, 5, 3600),
        "seconds after which a crashed request's claim on a key may be taken over"))
    jwt_leeway: int = field(default=30, metadata=_env(
        "SMN_JWT_LEEWAY", lambda n, v: _parse_int(n, v, 0, 300), "seconds of clock skew tolerated on exp/nbf/iat"))
    auth_resync_interval: float = field(default=30.0, metadata=_env(
        "SMN_AUTH_RESYNC_INTERVAL", lambda n, v: _parse_float(n, v, 1, 3600),
        "seconds between full reloads of clients, revocations and keys (NOTIFY does the rest)"))
    auth_cache_size: int = field(default=4096, metadata=_env(
        "SMN_AUTH_CACHE_SIZE", lambda n, v: _parse_int(n, v, 0, 1_000_000),
        "verified tokens kept per worker to skip signature checks; 0 = off"))
    token_failure_limit: int = field(default=10, metadata=_env(
        "SMN_TOKEN_FAILURE_LIMIT", lambda n, v: _parse_int(n, v, 1, 100_000),
        "failed client authentications per client_id and per address before 429"))
    token_failure_window: int = field(default=300, metadata=_env(
        "SMN_TOKEN_FAILURE_WINDOW", lambda n, v: _parse_int(n, v, 10, 86400),
        "seconds of the sliding window SMN_TOKEN_FAILURE_LIMIT counts in"))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Read every SMN_* variable; keyword overrides win (used by tests)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for spec in dataclasses.fields(cls):
            name = spec.metadata["env"]
            raw = environ.get(name)
            if raw is None or raw == "":
                continue
            values[spec.name] = spec.metadata["parse"](name, raw.strip())
        values.update(overrides)
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Cross-field rules that a single variable cannot express."""
        if self.token_ttl > self.token_max_ttl:
            raise SettingsError(
                f"SMN_TOKEN_TTL={self.token_ttl}: must not exceed SMN_TOKEN_MAX_TTL={self.token_max_ttl}")
        if self.odoo_url and not (self.odoo_password or self.odoo_api_key):
            raise SettingsError("SMN_ODOO_PASSWORD or SMN_ODOO_API_KEY: one is required when SMN_ODOO_URL is set")
        if self.odoo_protocol == "json2" and self.odoo_url and not self.odoo_api_key:
            raise SettingsError("SMN_ODOO_API_KEY: required when SMN_ODOO_PROTOCOL=json2")
        if self.secret_key is not None and len(self.secret_key.encode()) < MIN_SECRET_KEY_BYTES:
            raise SettingsError(f"SMN_SECRET_KEY: must be at least {MIN_SECRET_KEY_BYTES} bytes of random text "
                                f"(it encrypts the token signing keys{', HS256 included' if self.jwt_algorithm == 'HS256' else ''})")

    def check_secret_key(self) -> None:
        """A configured (production) database needs SMN_SECRET_KEY; the embedded default makes its own."""
        if self.database_url and not self.secret_key:
            raise SettingsError(
                "SMN_SECRET_KEY: required when SMN_DATABASE_URL is set (it encrypts the token signing keys); "
                "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'")

    @property
    def base_url(self) -> str:
        """Where partners reach this instance, for links in responses."""
        if self.public_url:
            return self.public_url
        host, _, port = self.bind.rpartition(":")
        if host in ("0.0.0.0", "::", "[::]"):
            host = "127.0.0.1"
        return f"http://{host}:{port}"

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)


def describe() -> list[tuple[str, str, str]]:
    """(variable, default, help) for every setting, for the README and `smn settings`."""
    rows = []
    for spec in dataclasses.fields(Settings):
        default = spec.default if spec.default is not dataclasses.MISSING else ""
        rows.append((spec.metadata["env"], "" if default is None else str(default), spec.metadata.get("help", "")))
    return rows
