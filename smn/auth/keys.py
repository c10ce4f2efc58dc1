"""Signing keys in PostgreSQL: one active key signs; rotated keys verify until their tokens expire."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg2.extras import Json

from smn.auth import crypto
from smn.auth.crypto import KeyCipher, KeyDecryptionError
from smn.auth.models import SigningKey, VerificationKey
from smn.db import Database

log = logging.getLogger("smn.auth.keys")
# Serialises key creation and rotation across every SMN process; any constant
# works as long as every process uses the same one.
_KEY_LOCK_ID = 0x534D4E4B  # "SMNK"


@dataclass(frozen=True)
class KeyInfo:
    """A signing key as `smn key list` shows it; never the key material."""

    kid: str
    algorithm: str
    active: bool
    created_at: datetime
    rotated_at: datetime | None
    retire_after: datetime | None
    retired_at: datetime | None

    def status(self, now: datetime) -> str:
        if self.active:
            return "active"
        if self.retired_at is not None or (self.retire_after is not None and self.retire_after <= now):
            return "retired"
        return "verifying"


@dataclass(frozen=True)
class KeySet:
    """The keys one process verifies with, and the one it signs with."""

    verifying: dict[str, VerificationKey]
    signing: SigningKey | None

    @property
    def algorithms(self) -> frozenset[str]:
        return frozenset(key.algorithm for key in self.verifying.values())


EMPTY_KEYSET = KeySet({}, None)


class KeyStore:
    """The signing_keys table; private halves are encrypted with `cipher` before they are stored."""

    def __init__(self, database: Database, cipher: KeyCipher, algorithm: str, retire_delay: int) -> None:
        self.database = database
        self.cipher = cipher
        self.algorithm = algorithm
        self.retire_delay = retire_delay

    def _insert(self, cur: Any, algorithm: str) -> str:
        kid = crypto.new_kid()
        generated = crypto.generate(algorithm)
        cur.execute(
            "INSERT INTO signing_keys (kid, algorithm, public_jwk, private_key, active) VALUES (%s, %s, %s, %s, true)",
            (kid, algorithm, Json(generated.public_jwk) if generated.public_jwk else None,
             self.cipher.encrypt(generated.private, kid, algorithm)))
        return kid

    def ensure_active(self) -> str | None:
        """Create the first key when there is none; the kid created, or None if one existed."""
        with self.database.connection() as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_KEY_LOCK_ID,))
            cur.execute("SELECT 1 FROM signing_keys WHERE active")
            if cur.fetchone() is not None:
                return None
            kid = self._insert(cur, self.algorithm)
        log.info("signing key created", extra={"kid": kid, "algorithm": self.algorithm})
        return kid

    def rotate(self, algorithm: str | None = None) -> KeyInfo:
        """A new active key; the previous one verifies until every token it signed has expired."""
        algorithm = algorithm or self.algorithm
        with self.database.connection() as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_KEY_LOCK_ID,))
            cur.execute("""UPDATE signing_keys SET active = false, rotated_at = now(),
                                  retire_after = now() + make_interval(secs => %s)
                           WHERE active RETURNING kid""", (self.retire_delay,))
            previous = [row[0] for row in cur.fetchall()]
            kid = self._insert(cur, algorithm)
        log.info("signing key rotated", extra={"kid": kid, "algorithm": algorithm, "previous_kid": previous})
        return self.get(kid)

    def get(self, kid: str) -> KeyInfo:
        row = self.database.fetch_one(
            "SELECT kid, algorithm, active, created_at, rotated_at, retire_after, retired_at "
            "FROM signing_keys WHERE kid = %s", (kid,))
        if row is None:
            raise LookupError(kid)
        return KeyInfo(*row)

    def list(self) -> list[KeyInfo]:
        rows = self.database.fetch_all(
            "SELECT kid, algorithm, active, created_at, rotated_at, retire_after, retired_at "
            "FROM signing_keys ORDER BY created_at DESC, kid")
        return [KeyInfo(*row) for row in rows]


def retire_expired(cur: Any) -> None:
    """Forget the private half of keys past retire_after; they no longer verify anything."""
    cur.execute("""UPDATE signing_keys SET private_key = NULL, retired_at = now()
                   WHERE NOT active AND retired_at IS NULL AND retire_after <= now()""")


def load_keyset(cur: Any, cipher: KeyCipher) -> KeySet:
    """The keys still verifying, decrypting only what this process needs (active key, HMAC secrets)."""
    cur.execute("""SELECT kid, algorithm, public_jwk, private_key, active,
                          extract(epoch FROM retire_after)::float8
                   FROM signing_keys
                   WHERE retired_at IS NULL AND (active OR retire_after > now())""")
    verifying: dict[str, VerificationKey] = {}
    signing = None
    for kid, algorithm, jwk, private_blob, active, retire_after in cur.fetchall():
        needs_private = active or algorithm == "HS256"
        private = _decrypt(cipher, private_blob, kid, algorithm) if needs_private else None
        if algorithm == "HS256" and private is None:
            continue
        verifying[kid] = VerificationKey(kid, algorithm, crypto.verifier(algorithm, jwk, private), jwk,
                                         None if active else retire_after)
        if active and private is not None:
            signing = SigningKey(kid, algorithm, crypto.signer(algorithm, private))
    return KeySet(verifying, signing)


def _decrypt(cipher: KeyCipher, blob: bytes | None, kid: str, algorithm: str) -> bytes | None:
    if blob is None:
        return None
    try:
        return cipher.decrypt(blob, kid, algorithm)
    except KeyDecryptionError as exc:
        log.error("signing key unusable: %s", exc, extra={"kid": kid})
        return None
