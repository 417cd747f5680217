-- A resumable upload's parts become rows (issue 19): appending one no longer
-- rewrites a growing string, and looking an upload up no longer reads them.
-- `start` is the byte offset the part begins at; parts listed before this
-- migration (in the old `parts` string) get negative starts in their order,
-- so they sort before any part added after it.
CREATE TABLE upload_parts (
    upload_id TEXT NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
    start BIGINT NOT NULL,
    part TEXT NOT NULL,
    PRIMARY KEY (upload_id, start)
);
INSERT INTO upload_parts (upload_id, start, part)
SELECT u.id, t.ord - 1000000000, t.part
FROM uploads u,
     unnest(string_to_array(trim(u.parts), ' ')) WITH ORDINALITY AS t (part, ord)
WHERE trim(u.parts) <> '' AND t.part <> '';
UPDATE uploads SET parts = '';
