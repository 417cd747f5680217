-- Issue 21, part 2: RAW+JPEG pairs.
--
-- A camera set to RAW+JPEG writes two files of one exposure. They become one
-- photo: the asset row keeps the file that arrived first, and the other file
-- of the capture is a row here. It holds its blob (counted in
-- blobs.ref_count) and its bytes (in the owner's usage) exactly as the
-- asset's own original does, and goes with the asset when it is purged.
CREATE TABLE asset_files (
    asset_id         TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    owner_id         TEXT NOT NULL REFERENCES users(id),
    -- 'raw', 'jpeg' or 'live' (a Live Photo's video): which file of the
    -- capture this is.
    role             TEXT NOT NULL,
    blob_hash        TEXT NOT NULL REFERENCES blobs(hash),
    original_name    TEXT NOT NULL,
    media_type       TEXT NOT NULL,
    format           TEXT NOT NULL,
    size             BIGINT NOT NULL,
    device_asset_id  TEXT,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (asset_id, role)
);
-- The same bytes are one photo per owner, whichever file of it they are.
CREATE UNIQUE INDEX asset_files_owner_blob ON asset_files(owner_id, blob_hash);
CREATE INDEX asset_files_owner_device ON asset_files(owner_id, device_asset_id);
CREATE INDEX asset_files_blob ON asset_files(blob_hash);

-- What two files of one capture share: the file stem, the capture time to
-- the second and the camera (see storage's `captures`); NULL for a file that
-- cannot be paired (no capture time or camera, or neither RAW nor JPEG).
ALTER TABLE assets ADD COLUMN capture_key TEXT;
CREATE INDEX assets_capture_key ON assets(owner_id, capture_key);

-- An iPhone Live Photo's content identifier (from its maker note): the
-- `.MOV` that names the same one is kept with it as its 'live' file.
ALTER TABLE assets ADD COLUMN live_photo_id TEXT;
CREATE INDEX assets_live_photo ON assets(owner_id, live_photo_id);
