"""Everything auth needs at runtime in one process, built once by smn.app.build_services."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from smn.auth.oauth import ClientAuthenticator
from smn.auth.service import AuthService, key_store
from smn.auth.state import AuthState
from smn.auth.throttle import FailureThrottle
from smn.auth.tokens import TokenIssuer, TokenVerifier
from smn.db import Database
from smn.idempotency import IdempotencyStore
from smn.settings import Settings


@dataclass
class Auth:
    """The in-memory view (started lazily, per process) and the objects that use it."""

    settings: Settings
    service: AuthService
    state: AuthState
    verifier: TokenVerifier
    issuer: TokenIssuer
    authenticator: ClientAuthenticator

    def close(self) -> None:
        """Stop this process's listener thread (it is a daemon: exiting without this is fine too)."""
        self.state.close()


def _housekeeping(throttle: FailureThrottle, cur: Any) -> None:
    """The auth listener's periodic housekeeping also drops old failures and expired Idempotency-Keys."""
    throttle.purge(cur)
    IdempotencyStore.purge(cur)


def build_auth(settings: Settings, database: Database) -> Auth:
    """Wire the auth objects; opens no connection and starts no thread until first use."""
    settings.check_secret_key()
    service = AuthService(database, settings, key_store(database, settings))
    throttle = FailureThrottle(database, settings.token_failure_limit, settings.token_failure_window)
    state = AuthState(database, service.keys, resync_interval=settings.auth_resync_interval,
                      leeway=settings.jwt_leeway, maintenance=lambda cur: _housekeeping(throttle, cur))
    return Auth(
        settings=settings,
        service=service,
        state=state,
        verifier=TokenVerifier(state, settings),
        issuer=TokenIssuer(state, service.revocations, settings),
        authenticator=ClientAuthenticator(service.clients, throttle),
    )
