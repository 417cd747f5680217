//! Places and the map: a library's photos counted by country, region and
//! city, their positions for a map, and filling both in for photos stored
//! before places existed. All of it the owner's own: positions and places
//! never leave through these queries to anyone else.

use sqlx::Row;

use super::assets::{AssetPlace, GeoPoint};
use super::{Catalog, parse_id};
use crate::{AssetId, StorageError, UserId};

/// One city of a library: how many live photos were taken there, and the
/// newest of them (uploaded last) as its cover.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaceCount {
    pub place: AssetPlace,
    pub count: i64,
    pub cover: AssetId,
}

/// A photo on the map.
#[derive(Clone, Debug, PartialEq)]
pub struct MapPoint {
    pub asset: AssetId,
    pub at: GeoPoint,
}

/// A photo whose place is not known yet, and its metadata (JSON) to find it
/// from.
#[derive(Clone, Debug)]
pub struct Unplaced {
    pub asset: AssetId,
    pub metadata: Option<String>,
}

impl Catalog {
    /// The owner's cities with their counts, most photos first; each has
    /// its region and country, for grouping.
    pub async fn place_counts(&self, owner: &UserId) -> Result<Vec<PlaceCount>, StorageError> {
        let rows = sqlx::query(
            "SELECT place_country_code, MAX(place_country) AS country, place_region,
                    place_city, COUNT(*) AS n, MAX(id) AS cover
             FROM assets
             WHERE owner_id = $1 AND deleted_at IS NULL AND place_country_code IS NOT NULL
             GROUP BY place_country_code, place_region, place_city
             ORDER BY n DESC, place_city",
        )
        .bind(owner.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PlaceCount {
                    place: AssetPlace {
                        country_code: row.try_get("place_country_code")?,
                        country: row
                            .try_get::<Option<String>, _>("country")?
                            .unwrap_or_default(),
                        region: row.try_get("place_region")?,
                        city: row
                            .try_get::<Option<String>, _>("place_city")?
                            .unwrap_or_default(),
                    },
                    count: row.try_get("n")?,
                    cover: parse_id("assets.id", &row.try_get::<String, _>("cover")?)?,
                })
            })
            .collect()
    }

    /// The positions of the owner's live photos, for a map: at most `limit`
    /// (newest uploads first).
    pub async fn map_points(
        &self,
        owner: &UserId,
        limit: u32,
    ) -> Result<Vec<MapPoint>, StorageError> {
        let rows = sqlx::query(
            "SELECT id, latitude, longitude FROM assets
             WHERE owner_id = $1 AND deleted_at IS NULL AND latitude IS NOT NULL
             ORDER BY id DESC LIMIT $2",
        )
        .bind(owner.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(MapPoint {
                    asset: parse_id("assets.id", &row.try_get::<String, _>("id")?)?,
                    at: GeoPoint {
                        latitude: row.try_get("latitude")?,
                        longitude: row.try_get("longitude")?,
                    },
                })
            })
            .collect()
    }

    /// Up to `limit` photos (any owner, trash included) with a position in
    /// their metadata but none recorded yet, after `after` in id order.
    pub async fn unplaced_assets(
        &self,
        after: Option<&AssetId>,
        limit: u32,
    ) -> Result<Vec<Unplaced>, StorageError> {
        let rows = sqlx::query(
            "SELECT id, exif FROM assets
             WHERE has_location = 1 AND latitude IS NULL AND id > $1
             ORDER BY id LIMIT $2",
        )
        .bind(after.map(|a| a.to_string()).unwrap_or_default())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Unplaced {
                    asset: parse_id("assets.id", &row.try_get::<String, _>("id")?)?,
                    metadata: row.try_get("exif")?,
                })
            })
            .collect()
    }

    /// How many photos `unplaced_assets` would go through.
    pub async fn count_unplaced(&self) -> Result<i64, StorageError> {
        Ok(sqlx::query(
            "SELECT COUNT(*) AS n FROM assets WHERE has_location = 1 AND latitude IS NULL",
        )
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?)
    }

    /// Records a photo's position, its place (if the gazetteer names one)
    /// and the place names search reads. Not a change of the library the
    /// feed reports: what the photo says has not changed.
    pub async fn set_place(
        &self,
        asset: &AssetId,
        position: GeoPoint,
        place: Option<&AssetPlace>,
        place_names: Option<&str>,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "UPDATE assets SET latitude = $1, longitude = $2, place_country_code = $3,
                place_country = $4, place_region = $5, place_city = $6, place_names = $7
             WHERE id = $8",
        )
        .bind(position.latitude)
        .bind(position.longitude)
        .bind(place.map(|p| p.country_code.as_str()))
        .bind(place.map(|p| p.country.as_str()))
        .bind(place.and_then(|p| p.region.as_deref()))
        .bind(place.map(|p| p.city.as_str()))
        .bind(place_names)
        .bind(asset.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
