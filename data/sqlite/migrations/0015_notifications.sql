-- Webhook subscriptions and the outbox of what they are to hear. Topics are kept as
-- ",down,up," so one LIKE finds the subscriptions of a topic; not_before and due_at have
-- nine fractional digits, so that they sort as text in time order.
CREATE TABLE subscriptions (
    id         INTEGER PRIMARY KEY,
    url        TEXT NOT NULL,
    topics     TEXT NOT NULL,
    secret     TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE notification_events (
    id         INTEGER PRIMARY KEY,
    target     TEXT NOT NULL,
    topic      TEXT NOT NULL CHECK (topic IN ('down', 'degraded', 'up', 'maintenance')),
    message    TEXT NOT NULL,
    at         TEXT NOT NULL,
    not_before TEXT NOT NULL,
    ends_at    TEXT, -- an announced maintenance's end
    cancelled  INTEGER NOT NULL DEFAULT 0 -- the maintenance is called off
);

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL REFERENCES notification_events (id) ON DELETE CASCADE,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'given_up')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    due_at          TEXT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    sent_at         TEXT,
    UNIQUE (event_id, subscription_id)
);

CREATE INDEX deliveries_due ON deliveries (state, due_at);
