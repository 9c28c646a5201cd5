-- Incidents of monitored services: opened automatically when a target goes down (and
-- resolved when it recovers) or by operators; each with a timeline of updates.
CREATE TABLE incidents (
    id          INTEGER PRIMARY KEY,
    target      TEXT NOT NULL,
    title       TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('investigating', 'identified', 'monitoring', 'resolved')),
    automatic   INTEGER NOT NULL DEFAULT 0,
    started_at  TEXT NOT NULL,
    resolved_at TEXT
);
CREATE INDEX incidents_started ON incidents (started_at);

CREATE TABLE incident_updates (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    state       TEXT NOT NULL,
    message     TEXT NOT NULL
);
