-- Probe results of monitored targets: raw for 48 hours, rolled up per UTC hour for 90 days
-- and per Europe/Berlin day for more than a year. Roll-ups are kept current on every insert.
CREATE TABLE checks_raw (
    target     TEXT NOT NULL,
    at         TEXT NOT NULL,
    state      TEXT NOT NULL,
    latency_ms INTEGER NOT NULL,
    status     INTEGER NOT NULL,
    error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX checks_raw_at ON checks_raw (target, at);

CREATE TABLE checks_hourly (
    target         TEXT NOT NULL,
    hour           TEXT NOT NULL, -- UTC, start of the hour
    total          INTEGER NOT NULL,
    down           INTEGER NOT NULL,
    degraded       INTEGER NOT NULL,
    latency_sum_ms INTEGER NOT NULL,
    latency_max_ms INTEGER NOT NULL,
    PRIMARY KEY (target, hour)
);

CREATE TABLE checks_daily (
    target   TEXT NOT NULL,
    day      TEXT NOT NULL, -- Europe/Berlin calendar day
    total    INTEGER NOT NULL,
    down     INTEGER NOT NULL,
    degraded INTEGER NOT NULL,
    PRIMARY KEY (target, day)
);
