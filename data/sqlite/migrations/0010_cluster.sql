-- Leases: work that must run in one process at a time (probing, pruning) is done by the
-- holder of its lease until it expires.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
-- The monitored targets' states as their prober last recorded them, for every process to show.
CREATE TABLE target_statuses (
    target     TEXT PRIMARY KEY,
    state      TEXT NOT NULL,
    since      TEXT,
    checked_at TEXT NOT NULL,
    message    TEXT NOT NULL DEFAULT '',
    p50_ms     INTEGER NOT NULL DEFAULT 0,
    p95_ms     INTEGER NOT NULL DEFAULT 0
);
