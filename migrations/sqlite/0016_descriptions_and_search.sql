-- Issue 21, parts 3 and 4: what people wrote about a photo, and search.
--
-- Creator, copyright and colour label join title, caption and keywords as
-- library fields (filled at upload from the file's XMP or IPTC, edited with
-- PATCH, written out as an XMP sidecar). Place names the file records are
-- kept for search only: as private as the GPS position.
ALTER TABLE assets ADD COLUMN creator TEXT;
ALTER TABLE assets ADD COLUMN copyright TEXT;
ALTER TABLE assets ADD COLUMN color_label TEXT;
ALTER TABLE assets ADD COLUMN place_names TEXT;

-- Search (dialect: SQLite FTS5; PostgreSQL keeps a tsvector column): one
-- row per asset, ranked with bm25. The FTS row is keyed by a stable integer
-- of its own, not by the assets' implicit rowid (VACUUM may renumber that).
-- Prefix indexes make a short word's prefix one lookup instead of a merge of
-- every word it starts.
CREATE TABLE asset_search_keys (
    key       INTEGER PRIMARY KEY,
    asset_id  TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE asset_search USING fts5(
    name, title, caption, keywords, camera, creator, places,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4'
);

CREATE TRIGGER asset_search_insert AFTER INSERT ON assets BEGIN
    INSERT INTO asset_search_keys (asset_id) VALUES (new.id);
    INSERT INTO asset_search (rowid, name, title, caption, keywords, camera, creator, places)
    VALUES ((SELECT key FROM asset_search_keys WHERE asset_id = new.id),
            new.original_name, new.title, new.caption, new.keywords,
            COALESCE(new.camera_make, '') || ' ' || COALESCE(new.camera_model, '') || ' ' || COALESCE(new.lens, ''),
            new.creator, new.place_names);
END;

CREATE TRIGGER asset_search_update
AFTER UPDATE OF original_name, title, caption, keywords, camera_make, camera_model, lens, creator, place_names
ON assets BEGIN
    DELETE FROM asset_search WHERE rowid = (SELECT key FROM asset_search_keys WHERE asset_id = old.id);
    INSERT INTO asset_search (rowid, name, title, caption, keywords, camera, creator, places)
    VALUES ((SELECT key FROM asset_search_keys WHERE asset_id = new.id),
            new.original_name, new.title, new.caption, new.keywords,
            COALESCE(new.camera_make, '') || ' ' || COALESCE(new.camera_model, '') || ' ' || COALESCE(new.lens, ''),
            new.creator, new.place_names);
END;

CREATE TRIGGER asset_search_delete AFTER DELETE ON assets BEGIN
    DELETE FROM asset_search WHERE rowid = (SELECT key FROM asset_search_keys WHERE asset_id = old.id);
    DELETE FROM asset_search_keys WHERE asset_id = old.id;
END;

-- Assets stored before this migration.
INSERT INTO asset_search_keys (asset_id) SELECT id FROM assets;
INSERT INTO asset_search (rowid, name, title, caption, keywords, camera, creator, places)
SELECT k.key, a.original_name, a.title, a.caption, a.keywords,
       COALESCE(a.camera_make, '') || ' ' || COALESCE(a.camera_model, '') || ' ' || COALESCE(a.lens, ''),
       a.creator, a.place_names
FROM assets a JOIN asset_search_keys k ON k.asset_id = a.id;
