-- Immich's clients (issue 23) name files by SHA-1: an original's SHA-1 is
-- computed in the same streaming pass as its BLAKE3 and kept with the blob
-- (a property of the bytes, so once however many owners hold them).
-- Originals stored before this have none until `darkroom admin backfill-sha1`.
ALTER TABLE blobs ADD COLUMN sha1 TEXT;
CREATE INDEX blobs_sha1 ON blobs (sha1) WHERE sha1 IS NOT NULL;
