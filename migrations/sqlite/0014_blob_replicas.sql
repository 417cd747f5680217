-- A second site (issue 18): with `--replica-blobs`, every blob is copied to
-- a second store by a `replicate_blob` job queued in the transaction that
-- first refers to it. `replicated_at` (ms) is set once both stores hold the
-- bytes, checked by their BLAKE3 name; NULL means not yet (or replication
-- is off). The partial index keeps the "how far behind is the replica"
-- gauge cheap at millions of blobs.
ALTER TABLE blobs ADD COLUMN replicated_at BIGINT;
CREATE INDEX blobs_unreplicated ON blobs (hash) WHERE replicated_at IS NULL;
