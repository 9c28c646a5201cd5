-- Pharmacies as the registry describes them. seq orders changes, so search engines can
-- pick up what changed since they last looked.
CREATE TABLE pharmacies (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    street        TEXT NOT NULL DEFAULT '',
    housenumber   TEXT NOT NULL DEFAULT '',
    postcode      TEXT NOT NULL DEFAULT '',
    city          TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL DEFAULT '',
    lat           REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon           REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
    phone         TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    website       TEXT NOT NULL DEFAULT '',
    opening_hours TEXT NOT NULL DEFAULT '',
    services      TEXT NOT NULL DEFAULT '',
    source        TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX pharmacies_seq ON pharmacies (seq);

-- The pharmacy's own switch, stored apart from the registry entry: registry imports insert
-- it for new pharmacies and never touch it afterwards.
CREATE TABLE participations (
    pharmacy_id   TEXT PRIMARY KEY REFERENCES pharmacies (id) ON DELETE CASCADE,
    participating INTEGER NOT NULL CHECK (participating IN (0, 1)),
    note          TEXT NOT NULL DEFAULT '',
    paused_until  TEXT,
    confirmed_at  TEXT,
    updated_at    TEXT NOT NULL
);

CREATE TABLE postcodes (
    code         TEXT NOT NULL,
    place        TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT '',
    district     TEXT NOT NULL DEFAULT '',
    lat          REAL NOT NULL,
    lon          REAL NOT NULL,
    organisation INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX postcodes_code ON postcodes (code);

-- Facts about the database itself, such as whether it holds the demo registry.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
