"""`smn client`, `smn token` and `smn key`: operators' commands over smn.auth.service.

Results go to stdout (add --json for scripts); log lines go to stderr. A client
secret is printed once, by `client create` and `client rotate-secret`, and
never again: SMN keeps only its scrypt hash.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from typing import Any, Callable

import psycopg2

from smn.auth.clients import ClientInfo, NewClient, UnknownClient
from smn.auth.scopes import InvalidScope
from smn.auth.service import AuthService
from smn.logs import configure_logging
from smn.outbox.callbacks import add_set_callback_command
from smn.settings import JWT_ALGORITHMS, Settings
from smn.timefmt import epoch_iso, utc_iso

SECRET_NOTICE = "The secret is shown this once; SMN stores only a hash of it."


def add_auth_commands(command: Callable[..., argparse.ArgumentParser]) -> None:
    """Register the client, token and key commands with the `smn` parser's `command` helper."""
    _client_commands(command("client", run, "manage partner API clients"))
    _token_commands(command("token", run, "list and revoke issued access tokens"))
    _key_commands(command("key", run, "rotate and list token signing keys"))


def _actions(parser: argparse.ArgumentParser) -> Callable[..., argparse.ArgumentParser]:
    actions = parser.add_subparsers(metavar="ACTION", dest="action", required=True)

    def action(name: str, handler: Callable, help_text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(auth_action=handler)
        sub.add_argument("--json", action="store_true", help="print JSON instead of text")
        return sub

    return action


def _client_commands(parser: argparse.ArgumentParser) -> None:
    action = _actions(parser)
    create = action("create", client_create, "create a client; prints its client_id and secret once")
    create.add_argument("--name", required=True)
    create.add_argument("--scopes", default="", help="comma- or space-separated, e.g. products:read,orders:write")
    create.add_argument("--contact", default=None, help="who to call about this partner")
    create.add_argument("--callback-url", default=None)
    create.add_argument("--rate-per-second", type=float, default=None)
    create.add_argument("--burst", type=int, default=None)
    action("list", client_list, "list clients (never their secrets)")
    for name, handler, help_text in (
            ("disable", client_disable, "disable a client: all its tokens are refused at once"),
            ("enable", client_enable, "enable a disabled client"),
            ("revoke-all", client_revoke_all, "refuse every token issued to the client until now")):
        action(name, handler, help_text).add_argument("client", help="client_id or name")
    rotate = action("rotate-secret", client_rotate_secret, "give the client a new secret (printed once)")
    rotate.add_argument("client", help="client_id or name")
    rotate.add_argument("--revoke-tokens", action="store_true", help="also refuse every token issued until now")
    scopes = action("set-scopes", client_set_scopes, "replace the client's scopes (live tokens included)")
    scopes.add_argument("client", help="client_id or name")
    scopes.add_argument("scopes", help="comma- or space-separated")
    add_set_callback_command(action)


def _token_commands(parser: argparse.ArgumentParser) -> None:
    action = _actions(parser)
    revoke = action("revoke", token_revoke, "revoke one token by its jti; every worker refuses it at once")
    revoke.add_argument("jti", help='the token\'s jti; one that starts with "-" goes after "--"')
    revoke.add_argument("--reason", default="revoked by an operator")
    listing = action("list", token_list, "list recently issued tokens (jti, client, scope; never the token)")
    listing.add_argument("--client", default=None, help="client_id or name")
    listing.add_argument("--active", action="store_true", help="only tokens neither expired nor revoked")
    listing.add_argument("--limit", type=int, default=50)


def _key_commands(parser: argparse.ArgumentParser) -> None:
    action = _actions(parser)
    rotate = action("rotate", key_rotate, "make a new active signing key; the old one verifies until retire_after")
    rotate.add_argument("--algorithm", choices=JWT_ALGORITHMS, default=None,
                        help="default: SMN_JWT_ALGORITHM")
    action("list", key_list, "list signing keys and their status (never key material)")


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Resolve the database (embedded default included), then run the chosen action."""
    from smn.db import Database
    from smn.stack import local_stack

    configure_logging(settings.log_level, sys.stderr)
    settings.check_secret_key()
    with local_stack(settings, with_odoo=False) as resolved:
        database = Database(resolved.database_url, max_connections=2)
        try:
            return args.auth_action(AuthService(database, resolved), args) or 0
        except UnknownClient as exc:
            return _fail(f"no API client has the client_id or name {exc.args[0]!r}")
        except InvalidScope as exc:
            return _fail(str(exc))
        except psycopg2.IntegrityError as exc:
            return _fail(f"refused by the database: {exc.diag.message_primary}")
        finally:
            database.close()


def _fail(message: str) -> int:
    print(f"smn: {message}", file=sys.stderr)
    return 1


def _when(value: datetime | float | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, (int, float)):
        return epoch_iso(value)
    return utc_iso(value, "seconds")


def _client_dict(info: ClientInfo) -> dict[str, Any]:
    return {"client_id": info.client_id, "name": info.name, "scopes": sorted(info.scopes), "active": info.active,
            "tokens_not_before": _when(info.record.tokens_not_before), "contact": info.contact,
            "callback_url": info.callback_url, "rate_per_second": info.record.rate_per_second,
            "burst": info.record.burst, "created_at": _when(info.created_at),
            "secret_rotated_at": _when(info.secret_rotated_at)}


def _print(args: argparse.Namespace, document: Any, lines: list[str]) -> None:
    print(json.dumps(document, indent=2) if args.json else "\n".join(lines))


def _print_new_secret(args: argparse.Namespace, created: NewClient) -> None:
    document = {**_client_dict(created.info), "client_secret": created.secret}
    _print(args, document, [f"client_id      {created.info.client_id}",
                            f"client_secret  {created.secret}",
                            f"name           {created.info.name}",
                            f"scopes         {' '.join(sorted(created.info.scopes)) or '-'}",
                            "", SECRET_NOTICE])


def _print_client(args: argparse.Namespace, info: ClientInfo, verb: str) -> None:
    document = _client_dict(info)
    _print(args, document, [f"{verb}: {info.client_id} ({info.name}), active={info.active}, "
                            f"tokens_not_before={document['tokens_not_before']}"])


def client_create(service: AuthService, args: argparse.Namespace) -> int:
    created = service.create_client(args.name, args.scopes, contact=args.contact, callback_url=args.callback_url,
                                    rate_per_second=args.rate_per_second, burst=args.burst)
    _print_new_secret(args, created)
    return 0


def client_list(service: AuthService, args: argparse.Namespace) -> int:
    clients = service.list_clients()
    lines = [f"{'CLIENT_ID':26} {'NAME':20} {'ACTIVE':6} {'TOKENS_NOT_BEFORE':20} SCOPES"]
    lines += [f"{c.client_id:26} {c.name[:20]:20} {'yes' if c.active else 'no':6} "
              f"{_when(c.record.tokens_not_before):20} {' '.join(sorted(c.scopes))}" for c in clients]
    _print(args, [_client_dict(c) for c in clients], lines)
    return 0


def client_disable(service: AuthService, args: argparse.Namespace) -> int:
    _print_client(args, service.disable_client(args.client), "disabled")
    return 0


def client_enable(service: AuthService, args: argparse.Namespace) -> int:
    _print_client(args, service.enable_client(args.client), "enabled")
    return 0


def client_revoke_all(service: AuthService, args: argparse.Namespace) -> int:
    _print_client(args, service.revoke_all(args.client), "all tokens revoked")
    return 0


def client_rotate_secret(service: AuthService, args: argparse.Namespace) -> int:
    _print_new_secret(args, service.rotate_secret(args.client, args.revoke_tokens))
    return 0


def client_set_scopes(service: AuthService, args: argparse.Namespace) -> int:
    _print_client(args, service.set_scopes(args.client, args.scopes), "scopes set")
    return 0


def token_revoke(service: AuthService, args: argparse.Namespace) -> int:
    outcome = service.revoke_token(args.jti, args.reason)
    if outcome == "unknown":
        return _fail(f"no token was issued with jti {args.jti!r}")
    _print(args, {"jti": args.jti, "outcome": outcome}, [f"{outcome}: {args.jti}"])
    return 0


def token_list(service: AuthService, args: argparse.Namespace) -> int:
    now = datetime.now(timezone.utc)
    tokens = service.list_tokens(args.client, args.active, args.limit)
    rows = [{"jti": t.jti, "client_id": t.client_id, "scope": t.scope, "status": t.status(now), "kid": t.kid,
             "issued_at": _when(t.issued_at), "expires_at": _when(t.expires_at), "request_id": t.request_id}
            for t in tokens]
    lines = [f"{'JTI':34} {'CLIENT_ID':26} {'STATUS':8} {'EXPIRES_AT':20} SCOPE"]
    lines += [f"{r['jti']:34} {r['client_id']:26} {r['status']:8} {r['expires_at']:20} {r['scope']}" for r in rows]
    _print(args, rows, lines)
    return 0


def key_rotate(service: AuthService, args: argparse.Namespace) -> int:
    info = service.rotate_key(args.algorithm)
    _print(args, {"kid": info.kid, "algorithm": info.algorithm, "status": "active"},
           [f"active signing key: {info.kid} ({info.algorithm}); previous keys verify until their retire_after"])
    return 0


def key_list(service: AuthService, args: argparse.Namespace) -> int:
    now = datetime.now(timezone.utc)
    keys = service.list_keys()
    rows = [{"kid": k.kid, "algorithm": k.algorithm, "status": k.status(now), "created_at": _when(k.created_at),
             "rotated_at": _when(k.rotated_at), "retire_after": _when(k.retire_after)} for k in keys]
    lines = [f"{'KID':18} {'ALG':6} {'STATUS':10} {'CREATED_AT':20} RETIRE_AFTER"]
    lines += [f"{r['kid']:18} {r['algorithm']:6} {r['status']:10} {r['created_at']:20} {r['retire_after']}"
              for r in rows] or ["(no key yet: the server creates one on its first start, or run `smn key rotate`)"]
    _print(args, rows, lines)
    return 0
