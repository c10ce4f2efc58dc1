-- Last-known-good copies of partner reads, served while Odoo is unreachable.
-- cache_key is the SHA-256 of the normalised request (method, path, sorted query,
-- representation, client_id, sorted scopes): a copy is only ever found again by
-- the same client holding the same scopes. Written behind the request by each
-- worker's background writer; stored_at is when the answer was produced, so a
-- late write never replaces a newer copy.
CREATE TABLE IF NOT EXISTS read_snapshots (
    cache_key     text        PRIMARY KEY,
    client_id     text        NOT NULL,
    path          text        NOT NULL,
    status        integer     NOT NULL,
    content_type  text        NOT NULL,
    etag          text,
    headers       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    body          bytea       NOT NULL,
    stored_at     timestamptz NOT NULL
);

CREATE INDEX IF NOT EXISTS read_snapshots_stored_at ON read_snapshots (stored_at);
CREATE INDEX IF NOT EXISTS read_snapshots_client_id ON read_snapshots (client_id);
