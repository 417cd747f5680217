//! Catalog-level tests against a real SQLite file (and PostgreSQL when
//! DARKROOM_TEST_DATABASE_URL is set).

use darkroom_storage::Catalog;
use darkroom_storage::catalog::AlbumOrder;

async fn sqlite() -> (Catalog, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::connect(&format!("sqlite:{}", dir.path().join("c.db").display()))
        .await
        .unwrap();
    catalog.migrate().await.unwrap();
    (catalog, dir)
}

#[tokio::test]
async fn albums_on_sqlite() {
    let (catalog, _dir) = sqlite().await;
    let user = catalog.create_user("a", false).await.unwrap();
    let album = catalog
        .create_album(&user.id, "x", "", AlbumOrder::Taken)
        .await;
    println!("{album:?}");
    album.unwrap();
}
