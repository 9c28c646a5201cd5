-- Uploaded registry files an operator has seen the preview of, until the go or expiry.
CREATE TABLE import_previews (
    id          text PRIMARY KEY,
    operator_id bigint NOT NULL,
    kind        text NOT NULL,
    file        text NOT NULL,
    body        bytea NOT NULL,
    expires_at  timestamptz NOT NULL
);
