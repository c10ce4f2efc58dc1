"""The zero-configuration local stack: embedded PostgreSQL and the Odoo stand-in.

`smn serve` and `smn migrate` call `local_stack(settings)`: what is configured
is used as is; what is missing is started here (and stopped on exit), and the
settings come back with every URL filled in.
"""
from __future__ import annotations

import logging
import os
import secrets
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

from smn.db.migrations import migrate
from smn.settings import MIN_SECRET_KEY_BYTES, Settings, SettingsError

log = logging.getLogger("smn.stack")

EMBEDDED_DATABASE = "smn"
SANDBOX_PORT = 8069
SECRET_KEY_FILE = "secret_key"


@contextmanager
def local_stack(settings: Settings, *, with_odoo: bool = True) -> Iterator[Settings]:
    """Yield settings whose database (migrated) and Odoo are reachable."""
    with ExitStack() as stack:
        embedded = not settings.database_url
        if embedded:
            settings = settings.replace(database_url=stack.enter_context(_embedded_postgres(settings)))
            if not settings.secret_key:
                settings = settings.replace(secret_key=embedded_secret_key(settings.data_dir))
        applied = migrate(settings.database_url)
        log.info("database ready", extra={"migrations_applied": applied})
        if embedded and with_odoo:
            from smn.admin.cli import ensure_first_admin

            ensure_first_admin(settings.database_url, settings.base_url)
        if with_odoo and not settings.odoo_url:
            settings = stack.enter_context(_sandbox_odoo(settings))
        yield settings


def embedded_secret_key(data_dir: Path) -> str:
    """SMN_SECRET_KEY of the embedded default: made once into DATA_DIR/secret_key (0600), then reused.

    Logged by path only, never by value.
    """
    path = Path(data_dir).resolve() / SECRET_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    if _create_secret_file(path):
        log.warning("SMN_SECRET_KEY unset: generated one for the embedded database; back it up with the data",
                    extra={"path": str(path)})
    else:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
            log.warning("SMN_SECRET_KEY file was readable by others; now 0600", extra={"path": str(path)})
        log.info("SMN_SECRET_KEY unset: using the one generated earlier", extra={"path": str(path)})
    secret = path.read_text().strip()
    if len(secret.encode()) < MIN_SECRET_KEY_BYTES:
        raise SettingsError(f"SMN_SECRET_KEY: {path} holds fewer than {MIN_SECRET_KEY_BYTES} bytes")
    return secret


def _create_secret_file(path: Path) -> bool:
    """Write a new secret atomically (processes starting together agree on one); False if one exists."""
    if path.exists():
        return False
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48) + "\n")
    try:
        os.link(draft, path)
        return True
    except FileExistsError:
        return False
    finally:
        draft.unlink()


@contextmanager
def _embedded_postgres(settings: Settings) -> Iterator[str]:
    from smn.db.embedded import EmbeddedPostgres

    embedded = EmbeddedPostgres(settings.data_dir).start()
    try:
        url = embedded.ensure_database(EMBEDDED_DATABASE)
        log.info("embedded PostgreSQL started", extra={"pgdata": str(embedded.pgdata)})
        yield url
    finally:
        embedded.stop()
        log.info("embedded PostgreSQL released")


@contextmanager
def _sandbox_odoo(settings: Settings) -> Iterator[Settings]:
    from smn.odoo import sandbox

    server = _start_sandbox(sandbox.SandboxOdoo)
    log.warning("SMN_ODOO_URL is unset: serving the Odoo stand-in (development only)",
                extra={"odoo_url": server.url})
    try:
        yield settings.replace(
            odoo_url=server.url,
            odoo_database=sandbox.DATABASE,
            odoo_login=sandbox.ADMIN_LOGIN,
            odoo_password=sandbox.ADMIN_PASSWORD,
            odoo_api_key=sandbox.ADMIN_API_KEY,
        )
    finally:
        server.stop()


def _start_sandbox(factory):
    try:
        return factory(port=SANDBOX_PORT).start()
    except OSError:
        return factory(port=0).start()


def settings_environment(settings: Settings) -> dict[str, str]:
    """The SMN_* variables that reproduce these settings in a child process."""
    import dataclasses

    env = {}
    for spec in dataclasses.fields(Settings):
        value = getattr(settings, spec.name)
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        env[spec.metadata["env"]] = str(value)
    return env
