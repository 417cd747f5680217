-- Issue 22, part 2: places and a map.
--
-- A photo's GPS position in columns of its own (the map reads them without
-- parsing metadata), and the place it names: country, first-level region
-- and nearest city from the bundled GeoNames data, found at upload (or by
-- `darkroom admin fill-places` for photos stored before). As private as the
-- position itself: never through a share link, to album members only when
-- the album's owner lets them see where photos were taken.
ALTER TABLE assets ADD COLUMN latitude DOUBLE PRECISION;
ALTER TABLE assets ADD COLUMN longitude DOUBLE PRECISION;
ALTER TABLE assets ADD COLUMN place_country_code TEXT;
ALTER TABLE assets ADD COLUMN place_country TEXT;
ALTER TABLE assets ADD COLUMN place_region TEXT;
ALTER TABLE assets ADD COLUMN place_city TEXT;
-- The Places page (counts by country and city) and the place filters.
CREATE INDEX assets_place ON assets(owner_id, place_country_code, place_city);
