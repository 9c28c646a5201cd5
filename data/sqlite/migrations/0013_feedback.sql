-- Citizens' feedback on barriers (the accessibility statement's feedback mechanism), without
-- the sender's address.
CREATE TABLE feedback (
    id         INTEGER PRIMARY KEY,
    message    TEXT NOT NULL,
    contact    TEXT NOT NULL,
    page       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
