-- Issue 20, part 4: the favourites page stays flat at a million photos.
-- Favourites are a few percent of a library. The partial index of 0002 lacked
-- the id that pages are ordered by last, so planners walked the whole
-- timeline's index instead (skipping ever more rows as a library grows) or
-- sorted; this one holds the favourites alone, in page order. Listings
-- filter with the literal `is_favorite = 1`, which both databases match to it.
DROP INDEX assets_owner_favorite;
CREATE INDEX assets_owner_favorites ON assets(owner_id, sort_at DESC, id DESC)
    WHERE is_favorite = 1;
