-- Per-client token buckets shared by every worker of every SMN instance.
-- Workers never touch this table on the request path: a background thread per
-- worker leases blocks of tokens with smn_rate_lease() and hands them out from
-- memory (smn/ratelimit). Time is PostgreSQL's clock, so instances need no
-- synchronised clocks.
CREATE TABLE IF NOT EXISTS rate_limit_buckets (
    client_id    text             PRIMARY KEY,
    tokens       double precision NOT NULL,
    refilled_at  timestamptz      NOT NULL
);

-- Refill the bucket for the time elapsed (capped at p_burst), give back
-- p_return unused tokens, then take up to p_want whole tokens.
-- Returns what was granted and what is left in the shared bucket.
CREATE OR REPLACE FUNCTION smn_rate_lease(p_client text, p_rate double precision, p_burst double precision,
                                          p_want integer, p_return integer)
RETURNS TABLE (granted integer, remaining double precision)
LANGUAGE plpgsql AS $$
DECLARE
    now_ts    timestamptz := clock_timestamp();
    available double precision;
    taken     integer;
BEGIN
    INSERT INTO rate_limit_buckets AS b (client_id, tokens, refilled_at)
    VALUES (p_client, p_burst, now_ts)
    ON CONFLICT (client_id) DO UPDATE
        SET tokens = LEAST(p_burst, b.tokens + p_return
                                    + p_rate * GREATEST(0, extract(epoch FROM now_ts - b.refilled_at))),
            -- now_ts was read before waiting for the row lock: never move the clock back.
            refilled_at = GREATEST(b.refilled_at, now_ts)
    RETURNING b.tokens INTO available;
    taken := GREATEST(0, LEAST(p_want, floor(available)::integer));
    UPDATE rate_limit_buckets SET tokens = available - taken WHERE client_id = p_client;
    RETURN QUERY SELECT taken, available - taken;
END
$$;
