-- Write outbox (issue #5): partner writes that could not reach Odoo, or that the
-- partner asked to run asynchronously (Prefer: respond-async), delivered later by
-- `smn worker`. One row per job; a client's jobs run in `seq` order.
CREATE TABLE IF NOT EXISTS outbox_jobs (
    id                uuid        PRIMARY KEY,
    seq               bigserial   NOT NULL UNIQUE,
    client_id         text        NOT NULL,
    kind              text        NOT NULL,
    params            jsonb       NOT NULL DEFAULT '{}',
    body              jsonb       NOT NULL,
    status            text        NOT NULL DEFAULT 'queued'
                                  CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    attempts          integer     NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    locked_by         text        NULL,
    locked_until      timestamptz NULL,
    result_status     integer     NULL,
    result            jsonb       NULL,
    last_error        text        NULL,
    request_id        text        NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz NULL,
    -- Callback to api_clients.callback_url once the job is done or failed.
    callback_status   text        NULL CHECK (callback_status IN ('pending', 'delivered', 'failed')),
    callback_attempts integer     NOT NULL DEFAULT 0,
    callback_next_at  timestamptz NULL,
    callback_error    text        NULL
);

-- The head of each client's queue, and what is due.
CREATE INDEX IF NOT EXISTS outbox_jobs_open ON outbox_jobs (client_id, seq) WHERE status IN ('queued', 'running');
CREATE INDEX IF NOT EXISTS outbox_jobs_due ON outbox_jobs (next_attempt_at) WHERE status IN ('queued', 'running');
CREATE INDEX IF NOT EXISTS outbox_jobs_callbacks ON outbox_jobs (callback_next_at) WHERE callback_status = 'pending';

-- Wake idle workers as soon as a job is queued (they also poll, should a NOTIFY be missed).
CREATE OR REPLACE FUNCTION smn_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('smn_outbox', NEW.client_id);
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS outbox_jobs_notify ON outbox_jobs;
CREATE TRIGGER outbox_jobs_notify AFTER INSERT ON outbox_jobs
    FOR EACH ROW EXECUTE FUNCTION smn_outbox_notify();
