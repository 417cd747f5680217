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

-- Search (dialect: PostgreSQL; SQLite keeps an FTS5 table): a tsvector
-- kept by the database itself, weighted A (title, keywords, file name),
-- B (caption, creator, place names), C (camera and lens), under a GIN index.
-- Punctuation is turned into spaces first so a file name's parts
-- (IMG_1234.HEIC) are words, as the query's terms are.
ALTER TABLE assets ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', translate(COALESCE(title, '') || ' ' || keywords || ' ' || original_name, '._-/|,;:()[]"', '             ')), 'A') ||
    setweight(to_tsvector('simple', translate(COALESCE(caption, '') || ' ' || COALESCE(creator, '') || ' ' || COALESCE(place_names, ''), '._-/|,;:()[]"', '             ')), 'B') ||
    setweight(to_tsvector('simple', translate(COALESCE(camera_make, '') || ' ' || COALESCE(camera_model, '') || ' ' || COALESCE(lens, ''), '._-/|,;:()[]"', '             ')), 'C')
) STORED;
CREATE INDEX assets_search ON assets USING GIN (search);
