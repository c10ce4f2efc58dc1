-- Idempotency keys for partner writes (POST/PATCH/confirm/cancel/batch).
-- One row per (client, key): claimed before the write runs, completed with the
-- response partners get back when they retry with the same key.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    client_id     text        NOT NULL,
    key           text        NOT NULL,
    request_hash  text        NOT NULL,
    owner         uuid        NOT NULL,
    status        integer,
    content_type  text,
    headers       jsonb,
    body          bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    locked_until  timestamptz NOT NULL,
    completed_at  timestamptz,
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (client_id, key)
);

CREATE INDEX IF NOT EXISTS idempotency_keys_expires_at ON idempotency_keys (expires_at);
