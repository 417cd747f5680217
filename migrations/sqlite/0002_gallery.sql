-- The gallery: accounts with passwords and sessions, quotas and usage,
-- library fields and filters, timeline counts, albums, share links, trash and
-- blob garbage collection. Kept identical to ../postgres/0002_gallery.sql
-- except for the marked backfill statements (JSON and date functions differ).

-- Accounts ------------------------------------------------------------------
ALTER TABLE users ADD COLUMN password_hash TEXT;          -- argon2id PHC string
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
ALTER TABLE users ADD COLUMN quota_bytes INTEGER;         -- NULL: no quota
-- Bytes of the distinct originals the user holds (trash included), kept in
-- the same transaction as every asset's life cycle.
ALTER TABLE users ADD COLUMN usage_bytes INTEGER NOT NULL DEFAULT 0;

-- Web sessions; the cookie holds a secret, only its hash is stored here.
CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    user_agent    TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Blobs: when ref_count falls to 0, orphaned_at starts the grace period;
-- anyone about to (re)store the bytes renews it first (a "pin"), and garbage
-- collection marks deleting_at before it removes the object.
ALTER TABLE blobs ADD COLUMN orphaned_at INTEGER;
ALTER TABLE blobs ADD COLUMN deleting_at INTEGER;
UPDATE blobs SET orphaned_at = created_at WHERE ref_count = 0;
CREATE INDEX blobs_orphaned ON blobs(orphaned_at) WHERE ref_count = 0;

-- Library fields ------------------------------------------------------------
ALTER TABLE assets ADD COLUMN title TEXT;
ALTER TABLE assets ADD COLUMN caption TEXT;
ALTER TABLE assets ADD COLUMN keywords TEXT NOT NULL DEFAULT '[]';  -- JSON array, for display
ALTER TABLE assets ADD COLUMN is_favorite INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assets ADD COLUMN rating INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assets ADD COLUMN camera_make TEXT;
ALTER TABLE assets ADD COLUMN camera_model TEXT;
ALTER TABLE assets ADD COLUMN lens TEXT;
ALTER TABLE assets ADD COLUMN is_raw INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assets ADD COLUMN has_location INTEGER NOT NULL DEFAULT 0;
-- The local calendar day the photo was taken (else uploaded), as YYYYMMDD:
-- the timeline's bucket key.
ALTER TABLE assets ADD COLUMN taken_day INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assets ADD COLUMN updated_at INTEGER;

-- dialect: SQLite JSON and date functions
UPDATE assets SET
    camera_make  = json_extract(exif, '$.make'),
    camera_model = json_extract(exif, '$.model'),
    lens         = json_extract(exif, '$.lens_model'),
    has_location = CASE WHEN json_extract(exif, '$.gps') IS NULL THEN 0 ELSE 1 END,
    rating       = COALESCE(MIN(MAX(json_extract(exif, '$.rating'), 0), 5), 0)
WHERE exif IS NOT NULL AND json_valid(exif);
UPDATE assets SET is_raw = 1 WHERE format IN ('dng', 'cr2', 'cr3', 'nef', 'arw', 'raf', 'rw2', 'orf', 'pef');
UPDATE assets SET taken_day = CAST(COALESCE(
    strftime('%Y%m%d', substr(taken_at, 1, 10)),
    strftime('%Y%m%d', sort_at / 1000, 'unixepoch')) AS INTEGER);
-- end dialect

-- Listing: newest first (taken or uploaded), and the filters' indexes. Each
-- index ends with the sort key so a filtered page is an index range scan.
CREATE INDEX assets_owner_uploaded ON assets(owner_id, created_at DESC, id DESC);
CREATE INDEX assets_owner_day ON assets(owner_id, taken_day, sort_at);
CREATE INDEX assets_owner_model ON assets(owner_id, camera_model, sort_at);
CREATE INDEX assets_owner_make ON assets(owner_id, camera_make, sort_at);
CREATE INDEX assets_owner_lens ON assets(owner_id, lens, sort_at);
CREATE INDEX assets_owner_favorite ON assets(owner_id, sort_at) WHERE is_favorite = 1;
CREATE INDEX assets_owner_rating ON assets(owner_id, rating, sort_at);
CREATE INDEX assets_owner_raw ON assets(owner_id, is_raw, sort_at);
CREATE INDEX assets_owner_location ON assets(owner_id, has_location, sort_at);
CREATE INDEX assets_trash ON assets(owner_id, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX assets_blob ON assets(blob_hash);

-- Keywords, normalised to lower case, one row each, for the keyword filter.
CREATE TABLE asset_keywords (
    asset_id  TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    owner_id  TEXT NOT NULL,
    keyword   TEXT NOT NULL,
    PRIMARY KEY (asset_id, keyword)
);
CREATE INDEX asset_keywords_owner ON asset_keywords(owner_id, keyword);

-- Per user and day, the number of assets in the library (not in the trash):
-- the timeline's bucket list reads this, not the assets.
CREATE TABLE timeline_days (
    owner_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day       INTEGER NOT NULL,
    count     INTEGER NOT NULL,
    PRIMARY KEY (owner_id, day)
);
INSERT INTO timeline_days (owner_id, day, count)
    SELECT owner_id, taken_day, COUNT(*) FROM assets WHERE deleted_at IS NULL
    GROUP BY owner_id, taken_day;
UPDATE users SET usage_bytes = COALESCE(
    (SELECT SUM(size) FROM assets WHERE assets.owner_id = users.id), 0);

-- Albums --------------------------------------------------------------------
CREATE TABLE albums (
    id              TEXT PRIMARY KEY,
    owner_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    cover_asset_id  TEXT REFERENCES assets(id) ON DELETE SET NULL,
    sort_order      TEXT NOT NULL DEFAULT 'taken' CHECK (sort_order IN ('taken', 'manual')),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX albums_owner ON albums(owner_id, created_at DESC);

CREATE TABLE album_assets (
    album_id  TEXT NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
    asset_id  TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    added_at  INTEGER NOT NULL,
    PRIMARY KEY (album_id, asset_id)
);
CREATE INDEX album_assets_position ON album_assets(album_id, position);
CREATE INDEX album_assets_asset ON album_assets(asset_id);

-- Share links ---------------------------------------------------------------
CREATE TABLE share_links (
    id              TEXT PRIMARY KEY,
    owner_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token           TEXT NOT NULL UNIQUE,   -- 160 random bits; the owner may copy the link again
    album_id        TEXT REFERENCES albums(id) ON DELETE CASCADE,
    asset_id        TEXT REFERENCES assets(id) ON DELETE CASCADE,
    password_hash   TEXT,
    expires_at      INTEGER,
    allow_download  INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    revoked_at      INTEGER,
    CHECK ((album_id IS NULL) <> (asset_id IS NULL))
);
CREATE INDEX share_links_owner ON share_links(owner_id, created_at DESC);

-- Usage metering for billing: per user and UTC day.
CREATE TABLE usage_daily (
    user_id                    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day                        INTEGER NOT NULL,   -- YYYYMMDD, UTC
    bytes_stored               INTEGER NOT NULL DEFAULT 0,  -- at the end of the day (last change)
    bytes_uploaded             INTEGER NOT NULL DEFAULT 0,
    bytes_downloaded_originals INTEGER NOT NULL DEFAULT 0,
    bytes_downloaded_renditions INTEGER NOT NULL DEFAULT 0,
    render_cpu_ms              INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, day)
);
