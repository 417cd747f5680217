-- Companion apps name each photo by their own id for it (issue 5): the same
-- device asset uploaded twice is one asset, whatever its bytes.
ALTER TABLE assets ADD COLUMN device_asset_id TEXT;
CREATE UNIQUE INDEX assets_owner_device ON assets (owner_id, device_asset_id)
    WHERE device_asset_id IS NOT NULL;
