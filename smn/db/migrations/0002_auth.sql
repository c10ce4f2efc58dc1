-- Partner authentication: API clients, signing keys, issued and revoked tokens,
-- failed client authentications. Triggers NOTIFY channel smn_auth on every change
-- that the per-process in-memory view (smn/auth/state.py) must see, so any writer
-- (CLI, admin UI, another host, plain psql) revokes instantly.

CREATE TABLE IF NOT EXISTS api_clients (
    client_id         text PRIMARY KEY CHECK (client_id ~ '^[A-Za-z0-9_-]{1,64}$'),
    name              text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    -- scrypt$n=16384,r=8,p=1$<salt b64>$<hash b64>: parameters travel with the hash.
    secret_hash       text NOT NULL,
    scopes            text[] NOT NULL DEFAULT '{}',
    active            boolean NOT NULL DEFAULT true,
    -- Tokens issued (iat) before this instant are refused: "revoke all of a client's tokens".
    tokens_not_before timestamptz NULL,
    rate_per_second   numeric NULL CHECK (rate_per_second > 0),
    burst             integer NULL CHECK (burst > 0),
    callback_url      text NULL,
    contact           text NULL,
    secret_rotated_at timestamptz NOT NULL DEFAULT now(),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS signing_keys (
    kid          text PRIMARY KEY CHECK (kid ~ '^[A-Za-z0-9_-]{1,64}$'),
    algorithm    text NOT NULL CHECK (algorithm IN ('EdDSA', 'ES256', 'RS256', 'HS256')),
    -- RFC 7517 public key for /.well-known/jwks.json; NULL for HS256 (a shared secret is never published).
    public_jwk   jsonb NULL,
    -- AES-256-GCM under a key derived from SMN_SECRET_KEY: version byte, 12-byte nonce, ciphertext+tag.
    -- Cleared when the key retires.
    private_key  bytea NULL,
    active       boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    rotated_at   timestamptz NULL,
    -- A rotated key keeps verifying until every token it signed has expired.
    retire_after timestamptz NULL,
    retired_at   timestamptz NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS signing_keys_one_active ON signing_keys (active) WHERE active;

-- Every token SMN issued; never the token itself.
CREATE TABLE IF NOT EXISTS issued_tokens (
    jti        text PRIMARY KEY,
    client_id  text NOT NULL REFERENCES api_clients (client_id),
    kid        text NOT NULL,
    scope      text NOT NULL,
    issued_at  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    request_id text NULL
);
CREATE INDEX IF NOT EXISTS issued_tokens_client ON issued_tokens (client_id, issued_at DESC);

CREATE TABLE IF NOT EXISTS revoked_tokens (
    jti        text PRIMARY KEY,
    client_id  text NOT NULL REFERENCES api_clients (client_id),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz NOT NULL DEFAULT now(),
    reason     text NULL,
    revoked_by text NOT NULL
);
CREATE INDEX IF NOT EXISTS revoked_tokens_expiry ON revoked_tokens (expires_at);

-- Failed client authentications at /v1/auth/token and /v1/auth/revoke: a sliding
-- window shared by every worker and host.
CREATE TABLE IF NOT EXISTS auth_failures (
    id          bigserial PRIMARY KEY,
    client_id   text NULL,
    remote_addr text NULL,
    failed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS auth_failures_client ON auth_failures (client_id, failed_at);
CREATE INDEX IF NOT EXISTS auth_failures_addr ON auth_failures (remote_addr, failed_at);

CREATE OR REPLACE FUNCTION smn_auth_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    payload jsonb;
BEGIN
    IF TG_TABLE_NAME = 'api_clients' THEN
        IF TG_OP = 'DELETE' THEN
            payload := jsonb_build_object('t', 'client', 'id', OLD.client_id);
        ELSE
            payload := jsonb_build_object('t', 'client', 'id', NEW.client_id);
        END IF;
    ELSIF TG_TABLE_NAME = 'revoked_tokens' THEN
        IF TG_OP = 'DELETE' THEN
            payload := jsonb_build_object('t', 'unrevoke', 'jti', OLD.jti);
        ELSE
            payload := jsonb_build_object('t', 'revoke', 'jti', NEW.jti,
                                          'exp', extract(epoch FROM NEW.expires_at));
        END IF;
    ELSE
        payload := jsonb_build_object('t', 'keys');
    END IF;
    PERFORM pg_notify('smn_auth', payload::text);
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS api_clients_notify ON api_clients;
CREATE TRIGGER api_clients_notify AFTER INSERT OR UPDATE OR DELETE ON api_clients
    FOR EACH ROW EXECUTE FUNCTION smn_auth_notify();
DROP TRIGGER IF EXISTS revoked_tokens_notify ON revoked_tokens;
CREATE TRIGGER revoked_tokens_notify AFTER INSERT OR UPDATE OR DELETE ON revoked_tokens
    FOR EACH ROW EXECUTE FUNCTION smn_auth_notify();
DROP TRIGGER IF EXISTS signing_keys_notify ON signing_keys;
CREATE TRIGGER signing_keys_notify AFTER INSERT OR UPDATE OR DELETE ON signing_keys
    FOR EACH ROW EXECUTE FUNCTION smn_auth_notify();
