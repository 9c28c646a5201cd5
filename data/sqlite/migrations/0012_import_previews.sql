-- Uploaded registry files an operator has seen the preview of, until the go or expiry.
CREATE TABLE import_previews (
    id          TEXT PRIMARY KEY,
    operator_id INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    file        TEXT NOT NULL,
    body        BLOB NOT NULL,
    expires_at  TEXT NOT NULL
);
