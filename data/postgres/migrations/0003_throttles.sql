-- Failed guesses of passwords and activation codes per budget (keys are hashes), shared by
-- every portal process on the store.
CREATE TABLE throttles (
    key   text PRIMARY KEY,
    n     integer NOT NULL,
    until timestamptz,
    last  timestamptz NOT NULL
);
