-- Accounts: operators of the association and pharmacies. No self-registration: an operator
-- creates an account and hands over a one-time activation code.
CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('operator', 'pharmacy')),
    login         TEXT NOT NULL UNIQUE,
    pharmacy_id   TEXT REFERENCES pharmacies (id),
    password_hash TEXT,
    disabled_at   TEXT,
    created_at    TEXT NOT NULL,
    CHECK ((role = 'pharmacy') = (pharmacy_id IS NOT NULL))
);

-- Only hashes of codes and tokens are stored; the plain values are shown once.
CREATE TABLE activation_codes (
    code_hash  TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    pharmacy_id TEXT NOT NULL REFERENCES pharmacies (id),
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

-- Who changed what, when, from where: old and new as JSON.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    source      TEXT NOT NULL,
    pharmacy_id TEXT,
    action      TEXT NOT NULL,
    old         TEXT NOT NULL DEFAULT '',
    new         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_pharmacy ON audit_log (pharmacy_id, id);
