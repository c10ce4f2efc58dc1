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


FRESH_CACHE_RESOURCES = ("partners", "products", "stock", "orders", "invoices")


def _parse_ttls(name: str, raw: str) -> dict[str, float]:
    """`products=5,invoices=30` -> {"invoices": 30.0, "products": 5.0}; 0 turns a resource off."""
    ttls: dict[str, float] = {}
    for part in filter(None, (item.strip() for item in raw.split(","))):
        resource, sep, seconds = part.partition("=")
        if not sep or resource.strip() not in FRESH_CACHE_RESOURCES:
            raise SettingsError(f"{name}={raw!r}: expected RESOURCE=SECONDS pairs, resources: "
                                f"{', '.join(FRESH_CACHE_RESOURCES)}")
        ttls[resource.strip()] = _parse_float(name, seconds.strip(), 0, 3600)
    return dict(sorted(ttls.items()))


def _canonical_ttls(name: str, raw: str) -> str:
    return ",".join(f"{resource}={seconds:g}" for resource, seconds in _parse_ttls(name, raw).items())


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
    odoo_database: str = field(default="smn_demo", metadata=_env(
        "SMN_ODOO_DATABASE", lambda n, v: v, "Odoo database name"))
    odoo_login: str = field(default="admin", metadata=_env("SMN_ODOO_LOGIN", lambda n, v: v, "Odoo user SMN acts as"))
    odoo_password: str | None = field(default=None, metadata=_env(
        "SMN_ODOO_PASSWORD", lambda n, v: v, "that user's password (an API key is preferred)"))
    odoo_api_key: str | None = field(default=None, metadata=_env(
        "SMN_ODOO_API_KEY", lambda n, v: v, "that user's API key (Odoo: Preferences > Account Security)"))
    odoo_protocol: str = field(default="auto", metadata=_env(
        "SMN_ODOO_PROTOCOL", lambda n, v: _parse_choice(n, v, ODOO_PROTOCOLS),
        "jsonrpc, json2 (Odoo 19+, needs an API key) or auto (by server version)"))
    odoo_connect_timeout: float = field(default=3.0, metadata=_env(
        "SMN_ODOO_CONNECT_TIMEOUT", lambda n, v: _parse_float(n, v, 0.05, 60), "seconds to open a connection to Odoo"))
    odoo_read_timeout: float = field(default=15.0, metadata=_env(
        "SMN_ODOO_READ_TIMEOUT", lambda n, v: _parse_float(n, v, 0.05, 600), "seconds to wait for Odoo's answer"))
    odoo_pool_size: int = field(default=16, metadata=_env(
        "SMN_ODOO_POOL_SIZE", lambda n, v: _parse_int(n, v, 1, 256),
        "keep-alive connections to Odoo per worker (raised to SMN_ODOO_MAX_CONCURRENCY if lower)"))
    bind: str = field(default="127.0.0.1:8000", metadata=_env("SMN_BIND", _parse_bind, "HOST:PORT gunicorn listens on"))
    workers: int = field(default=2, metadata=_env(
        "SMN_WORKERS", lambda n, v: _parse_int(n, v, 1, 64), "gunicorn worker processes"))
    threads: int = field(default=8, metadata=_env(
        "SMN_THREADS", lambda n, v: _parse_int(n, v, 1, 256), "threads per worker (gthread)"))
    keepalive_requests: int = field(default=200, metadata=_env(
        "SMN_KEEPALIVE_REQUESTS", lambda n, v: _parse_int(n, v, 0, 1_000_000),
        "requests on one keep-alive connection before SMN closes it (0.5-1.5x this, per connection), "
        "so connections spread over the workers again; 0 = no limit"))
    log_level: str = field(default="INFO", metadata=_env(
        "SMN_LOG_LEVEL", lambda n, v: _parse_choice(n, v, LOG_LEVELS), "DEBUG, INFO, WARNING, ERROR or CRITICAL"))
    log_flush_interval: float = field(default=0.05, metadata=_env(
        "SMN_LOG_FLUSH_INTERVAL", lambda n, v: _parse_float(n, v, 0, 1),
        "under gunicorn, seconds log lines wait in memory to be written together (0: one write per line)"))
    max_body_bytes: int = field(default=1_048_576, metadata=_env(
        "SMN_MAX_BODY_BYTES", lambda n, v: _parse_int(n, v, 1024, 1_073_741_824),
        "largest request body accepted (413 beyond)"))
    readiness_timeout: float = field(default=2.0, metadata=_env(
        "SMN_READINESS_TIMEOUT", lambda n, v: _parse_float(n, v, 0.05, 30),
        "seconds /readyz waits for PostgreSQL and Odoo"))
    public_url: str | None = field(default=None, metadata=_env(
        "SMN_PUBLIC_URL", lambda n, v: _parse_url(n, v, ("http", "https")),
        "external base URL of links in responses and callbacks (unset: root-relative links)"))
    secret_key: str | None = field(default=None, metadata=_env(
        "SMN_SECRET_KEY", lambda n, v: v, "encrypts signing keys at rest; embedded default keeps one in SMN_DATA_DIR"))
    jwt_issuer: str = field(default="smn", metadata=_env(
        "SMN_JWT_ISSUER", lambda n, v: v, "iss claim of issued tokens"))
    jwt_audience: str = field(default="smn-partners", metadata=_env(
        "SMN_JWT_AUDIENCE", lambda n, v: v, "aud claim of issued tokens"))
    jwt_algorithm: str = field(default="EdDSA", metadata=_env(
        "SMN_JWT_ALGORITHM", lambda n, v: _parse_choice(n, v, JWT_ALGORITHMS),
        "EdDSA, ES256, RS256 or HS256; applies to keys made after a change (smn key rotate)"))
    token_ttl: int = field(default=900, metadata=_env(
        "SMN_TOKEN_TTL", lambda n, v: _parse_int(n, v, 30, 86400), "seconds an access token lives"))
    token_max_ttl: int = field(default=3600, metadata=_env(
        "SMN_TOKEN_MAX_TTL", lambda n, v: _parse_int(n, v, 30, 86400), "hard maximum lifetime of a token, seconds"))
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
    admin_session_ttl: int = field(default=8 * 3600, metadata=_env(
        "SMN_ADMIN_SESSION_TTL", lambda n, v: _parse_int(n, v, 60, 30 * 86400),
        "seconds an admin UI session lasts after login"))
    admin_login_failure_limit: int = field(default=5, metadata=_env(
        "SMN_ADMIN_LOGIN_FAILURE_LIMIT", lambda n, v: _parse_int(n, v, 1, 10_000),
        "failed admin logins per username and per address before 429"))
    admin_login_failure_window: int = field(default=900, metadata=_env(
        "SMN_ADMIN_LOGIN_FAILURE_WINDOW", lambda n, v: _parse_int(n, v, 10, 86400),
        "seconds of the sliding window SMN_ADMIN_LOGIN_FAILURE_LIMIT counts in"))
    admin_trusted_proxies: str = field(default="", metadata=_env(
        "SMN_ADMIN_TRUSTED_PROXIES", lambda n, v: v,
        "comma-separated proxy addresses whose X-Forwarded-Proto marks admin cookies Secure"))
    builder_resync_interval: float = field(default=30.0, metadata=_env(
        "SMN_BUILDER_RESYNC_INTERVAL", lambda n, v: _parse_float(n, v, 1, 3600),
        "seconds between full reloads of built endpoints (NOTIFY does the rest)"))
    outbox_threads: int = field(default=4, metadata=_env(
        "SMN_OUTBOX_THREADS", lambda n, v: _parse_int(n, v, 1, 64), "jobs one `smn worker` process delivers at once"))
    outbox_poll_interval: float = field(default=2.0, metadata=_env(
        "SMN_OUTBOX_POLL_INTERVAL", lambda n, v: _parse_float(n, v, 0.05, 300),
        "seconds an idle worker waits between outbox polls (NOTIFY wakes it sooner)"))
    outbox_lease: int = field(default=120, metadata=_env(
        "SMN_OUTBOX_LEASE", lambda n, v: _parse_int(n, v, 1, 86400),
        "seconds after which a job left running by a crashed worker is taken back"))
    outbox_backoff_base: float = field(default=1.0, metadata=_env(
        "SMN_OUTBOX_BACKOFF_BASE", lambda n, v: _parse_float(n, v, 0.01, 3600),
        "seconds before the first retry of a job; doubles per attempt, with jitter"))
    outbox_backoff_max: float = field(default=300.0, metadata=_env(
        "SMN_OUTBOX_BACKOFF_MAX", lambda n, v: _parse_float(n, v, 0.01, 86400), "longest wait between two attempts"))
    outbox_max_attempts: int = field(default=200, metadata=_env(
        "SMN_OUTBOX_MAX_ATTEMPTS", lambda n, v: _parse_int(n, v, 1, 100_000),
        "attempts after which a job that keeps meeting an outage is failed"))
    callback_timeout: float = field(default=5.0, metadata=_env(
        "SMN_CALLBACK_TIMEOUT", lambda n, v: _parse_float(n, v, 0.1, 60), "seconds one job callback POST may take"))
    callback_max_attempts: int = field(default=8, metadata=_env(
        "SMN_CALLBACK_MAX_ATTEMPTS", lambda n, v: _parse_int(n, v, 1, 100),
        "tries to deliver a job callback (exponential backoff) before giving up"))
    odoo_breaker_failures: int = field(default=5, metadata=_env(
        "SMN_ODOO_BREAKER_FAILURES", lambda n, v: _parse_int(n, v, 1, 10_000),
        "consecutive Odoo unavailable/timeout failures that open the circuit (per worker)"))
    odoo_breaker_cooldown: float = field(default=10.0, metadata=_env(
        "SMN_ODOO_BREAKER_COOLDOWN", lambda n, v: _parse_float(n, v, 0.05, 3600),
        "seconds the open circuit refuses Odoo calls before one probe is let through"))
    odoo_max_concurrency: int = field(default=8, metadata=_env(
        "SMN_ODOO_MAX_CONCURRENCY", lambda n, v: _parse_int(n, v, 1, 1024),
        "Odoo calls in flight per worker process (bulkhead); per instance: this x SMN_WORKERS"))
    odoo_bulkhead_wait: float = field(default=0.5, metadata=_env(
        "SMN_ODOO_BULKHEAD_WAIT", lambda n, v: _parse_float(n, v, 0, 60),
        "seconds a call waits for a free bulkhead slot before 503 + Retry-After"))
    rate_limit_per_second: float = field(default=0.0, metadata=_env(
        "SMN_RATE_LIMIT_PER_SECOND", lambda n, v: _parse_float(n, v, 0, 1_000_000),
        "requests per second for clients without their own rate_per_second; 0 = not limited"))
    rate_limit_burst: int = field(default=0, metadata=_env(
        "SMN_RATE_LIMIT_BURST", lambda n, v: _parse_int(n, v, 0, 10_000_000),
        "bucket size for clients without their own burst; 0 = twice the rate (at least 1)"))
    rate_limit_lease_wait: float = field(default=0.05, metadata=_env(
        "SMN_RATE_LIMIT_LEASE_WAIT", lambda n, v: _parse_float(n, v, 0, 5),
        "seconds a client's first request in a worker waits for its first token lease from PostgreSQL"))
    metrics_public: bool = field(default=False, metadata=_env(
        "SMN_METRICS_PUBLIC", _parse_bool, "serve /metrics without a token; default: bearer token with metrics:read"))
    metrics_refresh_interval: float = field(default=5.0, metadata=_env(
        "SMN_METRICS_REFRESH_INTERVAL", lambda n, v: _parse_float(n, v, 0.1, 3600),
        "seconds between folds of a worker's request counts and updates of its gauges (auth view, circuit, "
        "bulkhead)"))
    stale_reads: bool = field(default=True, metadata=_env(
        "SMN_STALE_READS", _parse_bool,
        "keep last-known-good copies of partner reads and serve them while Odoo is down"))
    stale_max_age: int = field(default=7 * 86_400, metadata=_env(
        "SMN_STALE_MAX_AGE", lambda n, v: _parse_int(n, v, 60, 365 * 86_400),
        "seconds a last-known-good copy may be served (and is kept) after it was stored"))
    snapshot_queue_size: int = field(default=1000, metadata=_env(
        "SMN_SNAPSHOT_QUEUE_SIZE", lambda n, v: _parse_int(n, v, 1, 1_000_000),
        "copies waiting for the background write per worker; the oldest is dropped beyond it"))
    snapshot_flush_interval: float = field(default=1.0, metadata=_env(
        "SMN_SNAPSHOT_FLUSH_INTERVAL", lambda n, v: _parse_float(n, v, 0.01, 60),
        "seconds the background writer gathers copies before one batched upsert"))
    fresh_cache_ttl: str = field(default="products=5", metadata=_env(
        "SMN_FRESH_CACHE_TTL", _canonical_ttls,
        "in-memory fresh cache per resource, e.g. products=5,invoices=30 (seconds; 0 or absent = off)"))
    fresh_cache_size: int = field(default=2048, metadata=_env(
        "SMN_FRESH_CACHE_SIZE", lambda n, v: _parse_int(n, v, 1, 1_000_000),
        "answers kept per worker by the fresh cache (least recently used dropped first)"))
    pid_file: Path | None = field(default=None, metadata=_env(
        "SMN_PID_FILE", lambda n, v: Path(v),
        "gunicorn master pid file (`smn reload` reads it); `smn serve` defaults it to SMN_DATA_DIR/smn.pid"))
    alert_webhook_url: str | None = field(default=None, metadata=_env(
        "SMN_ALERT_WEBHOOK_URL", lambda n, v: _parse_url(n, v, ("http", "https")),
        "incoming webhook (Slack, Mattermost, Teams) alerts are posted to; unset = no webhook"))
    alert_smtp_host: str | None = field(default=None, metadata=_env(
        "SMN_ALERT_SMTP_HOST", lambda n, v: v, "SMTP server alerts are mailed through; unset = no e-mail"))
    alert_smtp_port: int = field(default=587, metadata=_env(
        "SMN_ALERT_SMTP_PORT", lambda n, v: _parse_int(n, v, 1, 65535), "SMTP port"))
    alert_smtp_user: str | None = field(default=None, metadata=_env(
        "SMN_ALERT_SMTP_USER", lambda n, v: v, "SMTP login (optional)"))
    alert_smtp_password: str | None = field(default=None, metadata=_env(
        "SMN_ALERT_SMTP_PASSWORD", lambda n, v: v, "SMTP password (optional)"))
    alert_smtp_from: str | None = field(default=None, metadata=_env(
        "SMN_ALERT_SMTP_FROM", lambda n, v: v, "sender address of alert e-mails"))
    alert_smtp_to: str | None = field(default=None, metadata=_env(
        "SMN_ALERT_SMTP_TO", lambda n, v: v, "comma-separated recipients of alert e-mails"))
    alert_smtp_starttls: bool = field(default=True, metadata=_env(
        "SMN_ALERT_SMTP_STARTTLS", _parse_bool, "upgrade the SMTP connection with STARTTLS before logging in"))
    alert_cooldown: int = field(default=300, metadata=_env(
        "SMN_ALERT_COOLDOWN", lambda n, v: _parse_int(n, v, 1, 86400),
        "seconds during which repeats of an alert are folded into one (sent again after, with the count)"))
    alert_send_timeout: float = field(default=5.0, metadata=_env(
        "SMN_ALERT_SEND_TIMEOUT", lambda n, v: _parse_float(n, v, 0.1, 60),
        "seconds one webhook/SMTP attempt may take"))
    alert_send_attempts: int = field(default=3, metadata=_env(
        "SMN_ALERT_SEND_ATTEMPTS", lambda n, v: _parse_int(n, v, 1, 10),
        "tries per channel before giving up on a send"))
    alert_error_rate: float = field(default=0.2, metadata=_env(
        "SMN_ALERT_ERROR_RATE", lambda n, v: _parse_float(n, v, 0.001, 1),
        "share of 5xx responses in the window (per worker) that raises an alert"))
    alert_error_window: int = field(default=60, metadata=_env(
        "SMN_ALERT_ERROR_WINDOW", lambda n, v: _parse_int(n, v, 1, 3600), "seconds of the sliding 5xx-rate window"))
    alert_error_min_requests: int = field(default=20, metadata=_env(
        "SMN_ALERT_ERROR_MIN_REQUESTS", lambda n, v: _parse_int(n, v, 1, 1_000_000),
        "requests the window must hold before the 5xx rate is judged"))
    alert_backlog_jobs: int = field(default=500, metadata=_env(
        "SMN_ALERT_BACKLOG_JOBS", lambda n, v: _parse_int(n, v, 1, 10_000_000),
        "pending outbox jobs that raise an alert"))
    alert_backlog_age: int = field(default=600, metadata=_env(
        "SMN_ALERT_BACKLOG_AGE", lambda n, v: _parse_int(n, v, 1, 30 * 86400),
        "seconds the oldest pending outbox job may wait before an alert"))
    alert_monitor_interval: float = field(default=15.0, metadata=_env(
        "SMN_ALERT_MONITOR_INTERVAL", lambda n, v: _parse_float(n, v, 0.05, 3600),
        "seconds between PostgreSQL pings and outbox backlog checks"))

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
        if self.alert_smtp_host and not (self.alert_smtp_from and self.alert_recipients):
            raise SettingsError("SMN_ALERT_SMTP_FROM and SMN_ALERT_SMTP_TO: required when SMN_ALERT_SMTP_HOST is set")
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
    def fresh_cache_ttls(self) -> dict[str, float]:
        """SMN_FRESH_CACHE_TTL as {resource: seconds}, resources turned off left out."""
        ttls = _parse_ttls("SMN_FRESH_CACHE_TTL", self.fresh_cache_ttl)
        return {resource: seconds for resource, seconds in ttls.items() if seconds > 0}

    def link(self, path: str) -> str:
        """A link in a response or a callback: absolute under SMN_PUBLIC_URL when set, else root-relative.

        Never built from SMN_BIND: the address gunicorn listens on is rarely the one partners reach.
        """
        return (self.public_url or "") + path

    @property
    def base_url(self) -> str:
        """Where partners reach this instance, for links in responses."""
        if self.public_url:
            return self.public_url
        host, _, port = self.bind.rpartition(":")
        if host in ("0.0.0.0", "::", "[::]"):
            host = "127.0.0.1"
        return f"http://{host}:{port}"

    @property
    def alert_recipients(self) -> list[str]:
        """SMN_ALERT_SMTP_TO split into addresses."""
        return [address.strip() for address in (self.alert_smtp_to or "").split(",") if address.strip()]

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)


def describe() -> list[tuple[str, str, str]]:
    """(variable, default, help) for every setting, for the README and `smn settings`."""
    rows = []
    for spec in dataclasses.fields(Settings):
        default = spec.default if spec.default is not dataclasses.MISSING else ""
        rows.append((spec.metadata["env"], "" if default is None else str(default), spec.metadata.get("help", "")))
    return rows
