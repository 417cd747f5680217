-- Non-destructive edits (issue 6). The original never changes: each save of
-- an asset's edit recipe is a new version here, and the asset points at its
-- current one. Reverting is saving an old recipe again.
CREATE TABLE asset_edits (
    asset_id     TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    version      BIGINT NOT NULL,
    -- The recipe as canonical JSON (schema: docs/edit-recipe.md).
    recipe       TEXT NOT NULL,
    -- Its fingerprint; '' for a recipe that changes nothing.
    recipe_hash  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    created_by   TEXT,
    PRIMARY KEY (asset_id, version)
);

-- The current version (0: never edited) and its fingerprint.
ALTER TABLE assets ADD COLUMN edit_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE assets ADD COLUMN recipe_hash TEXT NOT NULL DEFAULT '';

-- Which recipe each rendition was rendered with: a rendition is current
-- when this equals its asset's recipe_hash. A worker that rendered a recipe
-- which has since been replaced records nothing.
ALTER TABLE renditions ADD COLUMN recipe_hash TEXT NOT NULL DEFAULT '';
