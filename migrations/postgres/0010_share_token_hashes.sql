-- Share-link tokens are kept as BLAKE3 hashes (hex), as API tokens are: a
-- copy of the catalog (a backup, a replica, a leaked dump) opens no link.
-- The links made before this migration are hashed by the program right
-- after it (SQL has no BLAKE3): `Catalog::migrate` hashes every value that
-- is still 40 hex characters (a token) rather than 64 (a hash).
ALTER TABLE share_links RENAME COLUMN token TO token_hash;
