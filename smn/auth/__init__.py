"""Partner authentication: API clients, signing keys, token issue and verification, revocation.

The request path verifies a bearer JWT against `AuthState`, an in-memory view of
clients, revocations and keys that a PostgreSQL LISTEN/NOTIFY thread keeps
fresh, so a verification never queries the database and a revocation written
anywhere reaches every worker within milliseconds. See docs/auth.md.
"""
