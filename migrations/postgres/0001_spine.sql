-- The spine schema. Kept identical to ../sqlite/0001_spine.sql: integers are
-- INTEGER there and BIGINT here (both 64-bit), times are Unix milliseconds, ids
-- are UUID text, JSON is text. One set of queries serves both databases.

CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    is_admin    BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL
);

-- API tokens are stored only as a hash of the secret.
CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    scopes        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

-- One row per stored object (originals and renditions), keyed by BLAKE3.
-- ref_count counts the assets and renditions that point at it.
CREATE TABLE blobs (
    hash        TEXT PRIMARY KEY,
    size        BIGINT NOT NULL,
    ref_count   BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL
);

CREATE TABLE assets (
    id             TEXT PRIMARY KEY,
    owner_id       TEXT NOT NULL REFERENCES users(id),
    blob_hash      TEXT NOT NULL REFERENCES blobs(hash),
    original_name  TEXT NOT NULL,
    media_type     TEXT NOT NULL,
    format         TEXT NOT NULL,
    size           BIGINT NOT NULL,
    width          BIGINT,
    height         BIGINT,
    orientation    BIGINT,
    taken_at       TEXT,
    -- taken time (else upload time) in ms: the timeline's sort key
    sort_at        BIGINT NOT NULL,
    exif           TEXT,
    created_at     BIGINT NOT NULL,
    deleted_at     BIGINT,
    UNIQUE (owner_id, blob_hash)
);
CREATE INDEX assets_owner_sort ON assets(owner_id, sort_at DESC, id DESC);

CREATE TABLE renditions (
    asset_id    TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    spec        TEXT NOT NULL,
    blob_hash   TEXT NOT NULL REFERENCES blobs(hash),
    media_type  TEXT NOT NULL,
    width       BIGINT NOT NULL,
    height      BIGINT NOT NULL,
    size        BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
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
    attempts          BIGINT NOT NULL DEFAULT 0,
    max_attempts      BIGINT NOT NULL,
    run_after         BIGINT NOT NULL,
    lease_owner       TEXT,
    lease_expires_at  BIGINT,
    last_error        TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX jobs_ready ON jobs(state, run_after);
CREATE INDEX jobs_asset ON jobs(asset_id);
