-- Listing indexes. Album pages in taken order read an index of the album's members by taken
-- time instead of sorting the whole album on every request. An asset's
-- sort_at never changes after upload, so the copy here cannot go stale.
ALTER TABLE album_assets ADD COLUMN sort_at INTEGER NOT NULL DEFAULT 0;
UPDATE album_assets SET sort_at = (SELECT a.sort_at FROM assets a WHERE a.id = album_assets.asset_id);
CREATE INDEX album_assets_taken ON album_assets(album_id, sort_at, asset_id);

-- A day range is also bounded on sort_at (see listing.rs), so a month's page
-- is a range of the (owner, sort_at) index read newest first. This index
-- only tempted PostgreSQL into fetching the whole month and sorting it
-- (its estimate of the correlated day and time ranges is far too low).
DROP INDEX assets_owner_day;
