-- Alerts (issue #5): what went wrong, folded by fold_key within a cool-down, with
-- the request ids of affected requests and the delivery status of each channel.
-- `count` counts every occurrence; `sent_count` is the count at the last send, so
-- count > sent_count means repeats are folded and waiting for the cool-down to end.
CREATE TABLE IF NOT EXISTS alerts (
    id              bigserial   PRIMARY KEY,
    fold_key        text        NOT NULL,
    kind            text        NOT NULL,
    severity        text        NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    title           text        NOT NULL,
    details         jsonb       NOT NULL DEFAULT '{}',
    request_ids     text[]      NOT NULL DEFAULT '{}',
    first_seen      timestamptz NOT NULL,
    last_seen       timestamptz NOT NULL,
    count           integer     NOT NULL DEFAULT 1,
    sent_count      integer     NOT NULL DEFAULT 0,
    last_sent_at    timestamptz NULL,
    -- {"webhook": {"status": "sent"|"failed", "attempts": 1, "at": "...", "error": "..."}, "email": {...}}
    sent            jsonb       NOT NULL DEFAULT '{}',
    acknowledged_at timestamptz NULL,
    acknowledged_by text        NULL
);

CREATE INDEX IF NOT EXISTS alerts_fold ON alerts (fold_key, last_seen DESC);
CREATE INDEX IF NOT EXISTS alerts_recent ON alerts (last_seen DESC);
CREATE INDEX IF NOT EXISTS alerts_folded_unsent ON alerts (last_sent_at) WHERE count > sent_count;
