-- Resumable uploads (tus 1.0, issue 5). The bytes received so far live in
-- the blob store as parts under `uploads/<id>/<part>`; this row is the truth
-- about which of them count (`parts`, in order, space-separated) and how many
-- bytes that makes (`received`). A part written by a request that lost a race
-- or died is not listed. An upload that saw no request for a while expires,
-- and its parts are removed.
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    length BIGINT NOT NULL,
    received BIGINT NOT NULL DEFAULT 0,
    parts TEXT NOT NULL DEFAULT '',
    -- The client's Upload-Metadata header, as sent.
    metadata TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- Set once the bytes became an asset: created, duplicate or restored.
    asset_id TEXT,
    outcome TEXT
);
CREATE INDEX uploads_expiry ON uploads (expires_at);
