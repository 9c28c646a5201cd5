-- Pharmacies' reports that issuing fails for them (crowd signal for the status page).
CREATE TABLE reports (
    id          INTEGER PRIMARY KEY,
    pharmacy_id TEXT NOT NULL REFERENCES pharmacies (id),
    kind        TEXT NOT NULL,
    message     TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    source      TEXT NOT NULL
);
CREATE INDEX reports_created ON reports (created_at);
