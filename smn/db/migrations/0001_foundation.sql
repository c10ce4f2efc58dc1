-- Foundation: what every SMN process shares.
-- schema_migrations itself is created by the migration runner before this file runs.

-- One row per running SMN process, refreshed at start; lets ops see which
-- versions and hosts share this database.
CREATE TABLE IF NOT EXISTS instances (
    instance_id text PRIMARY KEY,
    hostname    text NOT NULL,
    pid         integer NOT NULL,
    version     text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    seen_at     timestamptz NOT NULL DEFAULT now()
);
