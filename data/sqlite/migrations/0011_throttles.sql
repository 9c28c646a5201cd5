-- Failed guesses of passwords and activation codes per budget (keys are hashes), shared by
-- every process on the store.
CREATE TABLE throttles (
    key   TEXT PRIMARY KEY,
    n     INTEGER NOT NULL,
    until TEXT,
    last  TEXT NOT NULL
);
