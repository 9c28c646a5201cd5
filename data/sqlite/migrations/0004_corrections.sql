-- Corrections pharmacies report for their registry entry, for operators to apply.
CREATE TABLE corrections (
    id          INTEGER PRIMARY KEY,
    pharmacy_id TEXT NOT NULL REFERENCES pharmacies (id),
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    message     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    done_at     TEXT
);
CREATE INDEX corrections_pharmacy ON corrections (pharmacy_id, id);
