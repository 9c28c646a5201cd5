-- Leases: work that must run in one portal process at a time (probing, pruning) is done by
-- the holder of its lease until it expires, judged by this server's clock.
CREATE TABLE leases (
    name       text PRIMARY KEY,
    holder     text NOT NULL,
    expires_at timestamptz NOT NULL
);
-- The monitored targets' states as their prober last recorded them, for every process to show.
CREATE TABLE target_statuses (
    target     text PRIMARY KEY,
    state      text NOT NULL,
    since      timestamptz,
    checked_at timestamptz NOT NULL,
    message    text NOT NULL DEFAULT '',
    p50_ms     bigint NOT NULL DEFAULT 0,
    p95_ms     bigint NOT NULL DEFAULT 0
);
