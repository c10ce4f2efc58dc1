"""Signing key material: generation per algorithm, and encryption at rest under SMN_SECRET_KEY."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ASYMMETRIC = ("EdDSA", "ES256", "RS256")
HMAC_SECRET_BYTES = 64
RSA_BITS = 3072
_FORMAT_VERSION = b"\x01"
_NONCE_BYTES = 12
_HKDF_SALT = b"smn/signing-keys"
_HKDF_INFO = b"aes-256-gcm/v1"


class KeyDecryptionError(Exception):
    """SMN_SECRET_KEY does not open a stored key (wrong secret, or a tampered row)."""


class KeyCipher:
    """AES-256-GCM under a key derived from SMN_SECRET_KEY with HKDF-SHA256.

    The kid and algorithm are authenticated data, so a ciphertext copied onto
    another row does not decrypt.
    """

    def __init__(self, secret_key: str) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=_HKDF_INFO)
        self._aead = AESGCM(derived.derive(secret_key.encode()))

    @staticmethod
    def _aad(kid: str, algorithm: str) -> bytes:
        return f"{kid}|{algorithm}".encode()

    def encrypt(self, plaintext: bytes, kid: str, algorithm: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return _FORMAT_VERSION + nonce + self._aead.encrypt(nonce, plaintext, self._aad(kid, algorithm))

    def decrypt(self, blob: bytes, kid: str, algorithm: str) -> bytes:
        blob = bytes(blob)
        if blob[:1] != _FORMAT_VERSION:
            raise KeyDecryptionError(f"key {kid}: unknown encryption format")
        nonce, ciphertext = blob[1:1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES:]
        try:
            return self._aead.decrypt(nonce, ciphertext, self._aad(kid, algorithm))
        except InvalidTag:
            raise KeyDecryptionError(f"key {kid}: SMN_SECRET_KEY does not decrypt it") from None


@dataclass(frozen=True)
class GeneratedKey:
    """New key material: the private part (PKCS#8 DER or HMAC secret) and the public JWK, if any."""

    private: bytes
    public_jwk: dict | None


def cli_safe_token(nbytes: int) -> str:
    """secrets.token_urlsafe(nbytes), drawn again when it starts with "-".

    Operators paste jtis and kids into `smn token revoke JTI` and the like, and
    argparse reads a leading "-" as an option (1 value in 64 did that).
    """
    while True:
        value = secrets.token_urlsafe(nbytes)
        if not value.startswith("-"):
            return value


def new_kid() -> str:
    return cli_safe_token(12)


def generate(algorithm: str) -> GeneratedKey:
    if algorithm == "HS256":
        return GeneratedKey(secrets.token_bytes(HMAC_SECRET_BYTES), None)
    private = _new_private_key(algorithm)
    der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return GeneratedKey(der, public_jwk(algorithm, private.public_key()))


def _new_private_key(algorithm: str) -> Any:
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    raise ValueError(f"unsupported signing algorithm {algorithm!r}")


def public_jwk(algorithm: str, public_key: Any) -> dict:
    """The RFC 7517 members of a public key (kid, alg and use are added by the JWKS endpoint)."""
    jwk = jwt.get_algorithm_by_name(algorithm).to_jwk(public_key, as_dict=True)
    jwk.pop("key_ops", None)  # RFC 7517 §4.3: the JWKS says "use": "sig" instead
    return jwk


def signer(algorithm: str, private: bytes) -> Any:
    """What PyJWT signs with: a private key object, or the HMAC secret bytes."""
    if algorithm == "HS256":
        return private
    return serialization.load_der_private_key(private, password=None)


def verifier(algorithm: str, public: dict | None, private: bytes | None) -> Any:
    """What PyJWT verifies with: the public key from the JWK, or the HMAC secret bytes."""
    if algorithm == "HS256":
        if private is None:
            raise KeyDecryptionError("HS256 key without its secret")
        return private
    return jwt.get_algorithm_by_name(algorithm).from_jwk(public)
