-- The spine schema. Kept identical to ../postgres/0001_spine.sql: integers are
-- BIGINT there and INTEGER here (both 64-bit), times are Unix milliseconds, ids
-- are UUID text, JSON is text. One set of queries serves both databases.

CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    is_admin    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);

-- API tokens are stored only as a hash of the secret.
CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    scopes        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

-- One row per stored object (originals and renditions), keyed by BLAKE3.
-- ref_count counts the assets and renditions that point at it.
CREATE TABLE blobs (
    hash        TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    ref_count   INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);

CREATE TABLE assets (
    id             TEXT PRIMARY KEY,
    owner_id       TEXT NOT NULL REFERENCES users(id),
    blob_hash      TEXT NOT NULL REFERENCES blobs(hash),
    original_name  TEXT NOT NULL,
    media_type     TEXT NOT NULL,
    format         TEXT NOT NULL,
    size           INTEGER NOT NULL,
    width          INTEGER,
    height         INTEGER,
    orientation    INTEGER,
    taken_at       TEXT,
    -- taken time (else upload time) in ms: the timeline's sort key
    sort_at        INTEGER NOT NULL,
    exif           TEXT,
    created_at     INTEGER NOT NULL,
    deleted_at     INTEGER,
    UNIQUE (owner_id, blob_hash)
);
CREATE INDEX assets_owner_sort ON assets(owner_id, sort_at DESC, id DESC);

CREATE TABLE renditions (
    asset_id    TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    spec        TEXT NOT NULL,
    blob_hash   TEXT NOT NULL REFERENCES blobs(hash),
    media_type  TEXT NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (asset_id, name)
);

-- The durable job queue. A job is leased by one worker until lease_expires_at;
-- a worker that dies simply lets the lease run out and another takes over.
CREATE TABLE jobs (
    id                TEXT PRIMARY KEY,
    kind              TEXT NOT NULL,
    payload           TEXT NOT NULL,
    asset_id          TEXT REFERENCES assets(id) ON DELETE CASCADE,
    state             TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    max_attempts      INTEGER NOT NULL,
    run_after         INTEGER NOT NULL,
    lease_owner       TEXT,
    lease_expires_at  INTEGER,
    last_error        TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX jobs_ready ON jobs(state, run_after);
CREATE INDEX jobs_asset ON jobs(asset_id);
