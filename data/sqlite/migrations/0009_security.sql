-- Tokens know the account that made them (its tokens fail once it is disabled) and when
-- and from where they were last used; sessions end after a time without use.
ALTER TABLE api_tokens ADD COLUMN account_id INTEGER REFERENCES accounts (id);
ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;
ALTER TABLE api_tokens ADD COLUMN last_used_source TEXT NOT NULL DEFAULT '';
CREATE INDEX api_tokens_pharmacy ON api_tokens (pharmacy_id, id);
ALTER TABLE sessions ADD COLUMN last_seen_at TEXT;
