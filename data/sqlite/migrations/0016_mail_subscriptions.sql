-- E-mail subscriptions beside the webhooks: an address hears nothing before it is
-- confirmed (double opt-in); its confirmation token's hash is valid until confirm_until.
-- Every message carries a link of its own to unsubscribe: unsubscribe_links keeps their
-- hashes. Webhooks are confirmed when they are made (the caller holds the URL). A
-- subscription made in an account's dashboard is the account's to list and delete: an
-- address is one row per account (and one without), each confirmed on its own, so that an
-- account learns nothing of another's or the public's.
-- last_sent_at is when it was last sent a message: within the window after it, what
-- becomes due waits, and goes out together.
ALTER TABLE subscriptions ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE subscriptions ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 1;
ALTER TABLE subscriptions ADD COLUMN confirm_hash TEXT;
ALTER TABLE subscriptions ADD COLUMN confirm_until TEXT;
ALTER TABLE subscriptions ADD COLUMN account_id INTEGER REFERENCES accounts (id) ON DELETE CASCADE;
ALTER TABLE subscriptions ADD COLUMN last_sent_at TEXT;
-- The language an address subscribed in, and hears in: de or en.
ALTER TABLE subscriptions ADD COLUMN lang TEXT NOT NULL DEFAULT 'de';
CREATE UNIQUE INDEX subscriptions_email ON subscriptions (email, COALESCE(account_id, 0)) WHERE email <> '';
CREATE UNIQUE INDEX subscriptions_confirm ON subscriptions (confirm_hash) WHERE confirm_hash IS NOT NULL;

CREATE TABLE unsubscribe_links (
    token_hash      TEXT PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    created_at      TEXT NOT NULL
);
CREATE INDEX unsubscribe_links_subscription ON unsubscribe_links (subscription_id);
CREATE INDEX subscriptions_account ON subscriptions (account_id) WHERE account_id IS NOT NULL;
-- What a subscription last heard, for whether a state is news to it.
CREATE INDEX deliveries_subscription ON deliveries (subscription_id, id);
