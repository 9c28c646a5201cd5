-- Planned work announced by operators; its state (scheduled, in progress, completed) follows
-- from the clock. A cancelled announcement keeps its row for the audit trail.
CREATE TABLE maintenances (
    id           INTEGER PRIMARY KEY,
    target       TEXT NOT NULL,
    title        TEXT NOT NULL,
    message      TEXT NOT NULL,
    starts_at    TEXT NOT NULL,
    ends_at      TEXT NOT NULL,
    cancelled_at TEXT
);
CREATE INDEX maintenances_ends ON maintenances (ends_at);
