-- The dashboard's notice that the national service is back, put away by an account up to
-- the recovery it had seen.
CREATE TABLE recovery_notices (
    account_id   INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    dismissed_at TEXT NOT NULL
);
