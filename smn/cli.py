"""The `smn` command line (also `python -m smn`)."""
from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Callable, Sequence

from smn.admin.cli import add_admin_commands
from smn.auth.cli import add_auth_commands
from smn.logs import configure_logging
from smn.settings import Settings, SettingsError, describe

log = logging.getLogger("smn.cli")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"smn: configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        return args.handler(settings, args) or 0
    except SettingsError as exc:
        print(f"smn: configuration error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smn", description="SMN, the integration API in front of Odoo")
    commands = parser.add_subparsers(metavar="COMMAND")

    def command(name: str, handler: Callable, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    command("serve", cmd_serve, "serve the API with gunicorn (embedded PostgreSQL and Odoo stand-in when unset)")
    command("migrate", cmd_migrate, "apply database migrations")
    command("worker", cmd_worker, "deliver queued writes (the outbox) to Odoo, and their callbacks")
    command("reload", cmd_reload, "redeploy without dropping requests: SIGHUP to the gunicorn master (SMN_PID_FILE)")
    sandbox = command("sandbox-odoo", cmd_sandbox, "run the Odoo stand-in (development and tests only)")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8069)
    sandbox.add_argument("--latency-ms", type=float, default=0.0)
    sandbox.add_argument("--extra-products", type=int, default=0)
    openapi = command("openapi", cmd_openapi, "write the OpenAPI document (YAML)")
    openapi.add_argument("--output", type=Path, default=None, help="file to write; default stdout")
    listing = command("settings", cmd_settings, "list every SMN_* variable with its default")
    listing.add_argument("--markdown", action="store_true", help="as the table of docs/settings.md")
    add_auth_commands(command)
    add_admin_commands(command)
    return parser


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from smn.stack import local_stack, settings_environment

    settings.check_secret_key()
    with local_stack(settings) as resolved:
        env = {**os.environ, **settings_environment(resolved)}
        env.setdefault("SMN_PID_FILE", str(default_pid_file(resolved)))
        base = resolved.base_url
        log.info(f"SMN serving on {base}: docs {base}/docs, health {base}/healthz, readiness {base}/readyz; "
                 "Ctrl-C stops everything", extra={"docs": f"{base}/docs", "health": f"{base}/healthz"})
        worker = _start_worker(env)
        try:
            return _run_gunicorn(env)
        finally:
            _stop_worker(worker)


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from smn.alerts import worker_alerts
    from smn.outbox.worker import serve_worker
    from smn.stack import local_stack

    settings.check_secret_key()
    if not settings.odoo_url:
        raise SettingsError("SMN_ODOO_URL: required by `smn worker` (`smn serve` starts one next to the stand-in)")
    with local_stack(settings, with_odoo=False) as resolved, worker_alerts(resolved):
        return serve_worker(resolved)


def _start_worker(env: dict[str, str]) -> subprocess.Popen:
    """One `smn worker` next to gunicorn; Ctrl-C reaches it too (same process group)."""
    return subprocess.Popen([sys.executable, "-m", "smn", "worker"], env=env, cwd=PROJECT_ROOT)


def _stop_worker(worker: subprocess.Popen, grace: float = 15.0) -> None:
    if worker.poll() is None:
        worker.terminate()
    try:
        worker.wait(grace)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def _run_gunicorn(env: dict[str, str]) -> int:
    command = [sys.executable, "-m", "gunicorn", "-c", str(PROJECT_ROOT / "gunicorn_conf.py"), "smn.wsgi:app"]
    child = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT)

    def forward(signum: int, frame: object) -> None:
        if child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGHUP, forward)
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:
            forward(signal.SIGINT, None)


def default_pid_file(settings: Settings) -> Path:
    return settings.pid_file or settings.data_dir / "smn.pid"


def cmd_reload(settings: Settings, args: argparse.Namespace) -> int:
    """gunicorn answers SIGHUP by starting new workers, then stopping the old ones gracefully."""
    path = default_pid_file(settings)
    try:
        pid = int(path.read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError) as exc:
        print(f"smn: cannot reload: no running gunicorn master in {path} ({type(exc).__name__})", file=sys.stderr)
        return 1
    log.info("reload requested: SIGHUP sent to the gunicorn master", extra={"master_pid": pid, "pid_file": str(path)})
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from smn.stack import local_stack

    with local_stack(settings, with_odoo=False):
        pass
    return 0


def cmd_sandbox(settings: Settings, args: argparse.Namespace) -> int:
    from smn.odoo import sandbox

    argv = ["--host", args.host, "--port", str(args.port), "--latency-ms", str(args.latency_ms),
            "--extra-products", str(args.extra_products)]
    sandbox.main(argv)
    return 0


def cmd_openapi(settings: Settings, args: argparse.Namespace) -> int:
    from smn.app import create_app
    from smn.openapi import spec_yaml

    # Building the document opens no connection: both are only addresses here.
    offline = settings.replace(database_url=settings.database_url or "postgresql://localhost/smn",
                               odoo_url=settings.odoo_url or "http://127.0.0.1:8069",
                               odoo_password=settings.odoo_password or "unused",
                               secret_key=settings.secret_key or "offline-placeholder-never-used-to-encrypt")
    text = spec_yaml(create_app(offline), offline)
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_settings(settings: Settings, args: argparse.Namespace) -> int:
    if args.markdown:
        print("# Settings\n\nEvery variable SMN reads, generated by `python -m smn settings --markdown` "
              "(`make docs`).\n\n| variable | default | meaning |\n|---|---|---|")
        for name, default, help_text in describe():
            print(f"| `{name}` | {f'`{default}`' if default else '–'} | {help_text} |")
        return 0
    for name, default, help_text in describe():
        print(f"{name:28} {default or '-':22} {help_text}")
    return 0
