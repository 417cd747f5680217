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
WITH RECURSIVE split (upload_id, seq, rest, part) AS (
    SELECT id, 0, trim(parts) || ' ', NULL FROM uploads WHERE trim(parts) <> ''
    UNION ALL
    SELECT upload_id, seq + 1,
           ltrim(substr(rest, instr(rest, ' ') + 1)),
           substr(rest, 1, instr(rest, ' ') - 1)
    FROM split WHERE rest <> ''
)
INSERT INTO upload_parts (upload_id, start, part)
SELECT upload_id, seq - 1000000000, part FROM split WHERE part IS NOT NULL AND part <> '';
UPDATE uploads SET parts = '';
