use crate::settings::Settings;

/// `darkroom migrate`: apply catalog migrations and exit.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let catalog = super::serve::open_catalog(&settings).await?;
    catalog.close().await;
    eprintln!("catalog is up to date");
    Ok(())
}
