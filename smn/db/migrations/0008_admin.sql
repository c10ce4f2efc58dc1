-- Admin UI: operators, their sessions, failed logins, the audit log, and the
-- endpoint builder's definitions with their history. Changes to definitions
-- NOTIFY channel smn_builder so every worker serves them within a second.

CREATE TABLE IF NOT EXISTS admin_users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9_.@-]{1,64}$'),
    -- scrypt$n=..,r=..,p=..$salt$hash, as smn/auth/hashing.py writes it.
    password_hash text NOT NULL,
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz NULL
);

-- The cookie holds a random token; only its SHA-256 is stored.
CREATE TABLE IF NOT EXISTS admin_sessions (
    token_hash   text PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES admin_users (id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    remote_addr  text NULL
);
CREATE INDEX IF NOT EXISTS admin_sessions_expiry ON admin_sessions (expires_at);

CREATE TABLE IF NOT EXISTS admin_login_failures (
    id          bigserial PRIMARY KEY,
    username    text NULL,
    remote_addr text NULL,
    failed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS admin_login_failures_user ON admin_login_failures (username, failed_at);
CREATE INDEX IF NOT EXISTS admin_login_failures_addr ON admin_login_failures (remote_addr, failed_at);

CREATE TABLE IF NOT EXISTS admin_audit (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    action     text NOT NULL,
    target     text NULL,
    details    jsonb NOT NULL DEFAULT '{}',
    request_id text NULL
);
CREATE INDEX IF NOT EXISTS admin_audit_at ON admin_audit (at DESC);

-- The live definition of each built endpoint (served under /v1/x/{slug}).
CREATE TABLE IF NOT EXISTS builder_endpoints (
    slug       text PRIMARY KEY CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    version    integer NOT NULL,
    definition jsonb NOT NULL,
    enabled    boolean NOT NULL DEFAULT true,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL
);

-- Every saved version, for history and rollback.
CREATE TABLE IF NOT EXISTS builder_endpoint_versions (
    slug       text NOT NULL,
    version    integer NOT NULL,
    definition jsonb NOT NULL,
    enabled    boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL,
    note       text NULL,
    PRIMARY KEY (slug, version)
);

CREATE OR REPLACE FUNCTION smn_builder_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('smn_builder', COALESCE(NEW.slug, OLD.slug));
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS builder_endpoints_notify ON builder_endpoints;
CREATE TRIGGER builder_endpoints_notify AFTER INSERT OR UPDATE OR DELETE ON builder_endpoints
    FOR EACH ROW EXECUTE FUNCTION smn_builder_notify();
