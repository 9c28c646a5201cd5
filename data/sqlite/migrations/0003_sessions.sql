-- Server-side sessions; the cookie holds a random id, the table only its hash.
CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    source     TEXT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
