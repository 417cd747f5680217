//! `darkroom admin …`: accounts, tokens, quotas, usage and storage totals,
//! against the same storage as a running server (SQLite in WAL mode lets
//! both write).

use std::io::BufRead;

use anyhow::Context;
use clap::{Args, Subcommand};
use darkroom_storage::Catalog;
use darkroom_storage::catalog::{Scope, UserRecord, day_number};

use super::StorageArgs;
use crate::settings::Settings;
pub async fn run(settings: Settings, command: &AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::CreateUser(args) => create_user(settings, args).await,
        AdminCommand::CreateToken(args) => create_token(settings, args).await,
        AdminCommand::SetPassword(args) => set_password(settings, args).await,
        AdminCommand::ListUsers(_) => list_users(settings).await,
        AdminCommand::Disable(args) => set_disabled(settings, args, true).await,
        AdminCommand::Enable(args) => set_disabled(settings, args, false).await,
        AdminCommand::SetQuota(args) => set_quota(settings, args).await,
        AdminCommand::Usage(args) => usage(settings, args).await,
        AdminCommand::Storage(_) => storage(settings).await,
        AdminCommand::Recount(_) => recount(settings).await,
        AdminCommand::BackfillSha1(_) => backfill_sha1(settings).await,
        AdminCommand::FillPlaces(_) => fill_places(settings).await,
    }
}

/// Records the position and the place of every photo stored with a GPS
/// position before places existed (uploads since get theirs at once). A
/// batch at a time, each photo once: safe beside running servers, and to
/// stop and run again.
async fn fill_places(settings: Settings) -> anyhow::Result<()> {
    use darkroom_storage::progress::Progress;
    let catalog = super::serve::open_catalog(&settings).await?;
    let progress = super::progress::Bars::new("fill-places");
    let total = catalog.count_unplaced().await?;
    progress.phase(
        "finding the places of located photos",
        Some(total.max(0) as u64),
    );
    let (mut placed, mut nowhere, mut unreadable) = (0u64, 0u64, 0u64);
    let mut countries = std::collections::BTreeSet::new();
    let mut after = None;
    loop {
        let batch = catalog.unplaced_assets(after.as_ref(), 500).await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.asset);
        for photo in &batch {
            progress.advance(1);
            let metadata: Option<darkroom_pipeline::PhotoMetadata> = photo
                .metadata
                .as_deref()
                .and_then(|json| serde_json::from_str(json).ok());
            let located = metadata
                .as_ref()
                .map(darkroom_api::places::located)
                .unwrap_or_default();
            let Some(position) = located.position else {
                tracing::warn!(asset = %photo.asset, "no readable position in its metadata");
                unreadable += 1;
                continue;
            };
            match &located.place {
                Some(place) => {
                    countries.insert(place.country_code.clone());
                    placed += 1;
                }
                None => nowhere += 1,
            }
            catalog
                .set_place(
                    &photo.asset,
                    position,
                    located.place.as_ref(),
                    located.place_names.as_deref(),
                )
                .await?;
        }
    }
    progress.bar.finish_and_clear();
    catalog.close().await;
    println!(
        "placed {placed} photo(s) in {} countr{}; {nowhere} more than {} km from any city \
         (position kept, no place); {unreadable} without a readable position",
        countries.len(),
        if countries.len() == 1 { "y" } else { "ies" },
        darkroom_pipeline::places::MAX_CITY_KM
    );
    Ok(())
}

async fn backfill_sha1(settings: Settings) -> anyhow::Result<()> {
    let (catalog, blobs) = super::serve::open_storage(&settings).await?;
    let progress = super::progress::Bars::new("backfill-sha1");
    let report = darkroom_storage::maintenance::backfill_sha1(&catalog, &blobs, &progress).await;
    progress.bar.finish_and_clear();
    catalog.close().await;
    let report = report?;
    println!(
        "computed the SHA-1 of {} original(s), {} bytes read; {} missing from the store",
        report.hashed, report.bytes, report.missing
    );
    anyhow::ensure!(
        report.missing == 0,
        "{} original(s) are missing from the store: run `darkroom fsck`",
        report.missing
    );
    Ok(())
}

async fn user_named(catalog: &Catalog, name: &str) -> anyhow::Result<UserRecord> {
    catalog.find_user_by_name(name).await?.with_context(|| {
        format!("no user named {name:?} (create it with: darkroom admin create-user {name})")
    })
}

/// Reads the password from standard input (one line), so it never appears
/// in the shell history or the process list.
async fn set_password(settings: Settings, args: &UserArgs) -> anyhow::Result<()> {
    let catalog = super::serve::open_catalog(&settings).await?;
    let user = user_named(&catalog, &args.name).await?;
    eprintln!(
        "New password for {:?} (one line on standard input):",
        user.name
    );
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    darkroom_api::check_password_policy(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash = tokio::task::spawn_blocking(move || darkroom_api::hash_password(&password))
        .await?
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    catalog.set_password_hash(&user.id, &hash).await?;
    let ended = catalog.close_all_sessions(&user.id).await?;
    eprintln!("password set for {:?}; {ended} session(s) ended", user.name);
    catalog.close().await;
    Ok(())
}

async fn list_users(settings: Settings) -> anyhow::Result<()> {
    let catalog = super::serve::open_catalog(&settings).await?;
    println!("name\trole\tstate\tusage_bytes\tquota_bytes\tid");
    for u in catalog.list_users().await? {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            u.name,
            if u.is_admin { "admin" } else { "user" },
            if u.disabled_at.is_some() {
                "disabled"
            } else {
                "active"
            },
            u.usage_bytes,
            u.quota_bytes.map_or("none".to_string(), |q| q.to_string()),
            u.id
        );
    }
    catalog.close().await;
    Ok(())
}

async fn set_disabled(settings: Settings, args: &UserArgs, disabled: bool) -> anyhow::Result<()> {
    let catalog = super::serve::open_catalog(&settings).await?;
    let user = user_named(&catalog, &args.name).await?;
    catalog.set_user_disabled(&user.id, disabled).await?;
    eprintln!(
        "{:?} is {}",
        user.name,
        if disabled { "disabled" } else { "enabled" }
    );
    catalog.close().await;
    Ok(())
}

/// `50G`, `500M`, `1T`, `1048576` or `none`.
fn parse_quota(text: &str) -> anyhow::Result<Option<u64>> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, ""),
    };
    let shift = match unit.to_ascii_uppercase().trim_end_matches(['B', 'I']) {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => anyhow::bail!("quota {text:?}: use bytes with K, M, G or T, or \"none\""),
    };
    let n: u64 = digits
        .parse()
        .with_context(|| format!("quota {text:?} needs a number"))?;
    n.checked_shl(shift)
        .filter(|v| v >> shift == n)
        .map(Some)
        .with_context(|| format!("quota {text:?} is too large"))
}

async fn set_quota(settings: Settings, args: &SetQuotaArgs) -> anyhow::Result<()> {
    let quota = parse_quota(&args.quota)?;
    let catalog = super::serve::open_catalog(&settings).await?;
    let user = user_named(&catalog, &args.name).await?;
    catalog.set_quota(&user.id, quota).await?;
    match quota {
        Some(q) => eprintln!(
            "{:?} may store {q} bytes (uses {} now)",
            user.name, user.usage_bytes
        ),
        None => eprintln!("{:?} has no quota", user.name),
    }
    catalog.close().await;
    Ok(())
}

fn parse_date(text: &str) -> anyhow::Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .with_context(|| format!("{text:?} is not a date like 2024-02-29"))
}

/// Prints usage as CSV (the same as `GET /api/v1/admin/usage?format=csv`).
async fn usage(settings: Settings, args: &UsageArgs) -> anyhow::Result<()> {
    let to = match &args.to {
        Some(t) => parse_date(t)?,
        None => chrono::Utc::now().date_naive(),
    };
    let from = match &args.from {
        Some(f) => parse_date(f)?,
        None => to - chrono::Days::new(30),
    };
    anyhow::ensure!(from <= to, "--from must not be after --to");
    let catalog = super::serve::open_catalog(&settings).await?;
    let rows = catalog
        .usage_report(day_number(from), day_number(to))
        .await?;
    print!("{}", darkroom_api::usage_csv(&rows));
    catalog.close().await;
    Ok(())
}

async fn storage(settings: Settings) -> anyhow::Result<()> {
    let catalog = super::serve::open_catalog(&settings).await?;
    let t = catalog.storage_totals().await?;
    println!("blobs                    {}", t.blobs);
    println!("stored bytes             {}", t.stored_bytes);
    println!("originals held (bytes)   {}", t.original_bytes);
    println!("originals stored (bytes) {}", t.distinct_original_bytes);
    println!("saved by dedup (bytes)   {}", t.saved_by_dedup());
    println!("renditions (bytes)       {}", t.rendition_bytes);
    println!(
        "orphaned, awaiting gc    {} blob(s), {} bytes",
        t.orphaned_blobs, t.orphaned_bytes
    );
    catalog.close().await;
    Ok(())
}

/// Recounts usage and blob references; exits non-zero if anything had drifted
/// (after fixing it), so monitoring notices.
async fn recount(settings: Settings) -> anyhow::Result<()> {
    let catalog = super::serve::open_catalog(&settings).await?;
    let drifts = catalog.recompute_usage().await?;
    for d in &drifts {
        println!(
            "usage of {:?}: stored {} bytes, holds {} bytes (fixed)",
            d.name, d.stored, d.counted
        );
    }
    let refs = catalog.recount_blob_refs().await?;
    for (hash, stored, counted) in &refs {
        println!("blob {hash}: {stored} references recorded, {counted} counted (fixed)");
    }
    let mut days = 0;
    for user in catalog.list_users().await? {
        let wrong = catalog.verify_timeline(&user.id).await?;
        if !wrong.is_empty() {
            for (day, counted, stored) in &wrong {
                println!(
                    "timeline of {:?}, day {day}: {stored} recorded, {counted} counted (fixed)",
                    user.name
                );
            }
            catalog.rebuild_timeline(&user.id).await?;
            days += wrong.len();
        }
    }
    catalog.close().await;
    if drifts.is_empty() && refs.is_empty() && days == 0 {
        println!("usage, references and timelines match the catalog");
        Ok(())
    } else {
        anyhow::bail!(
            "{} usage, {} reference and {days} timeline count(s) had drifted and were fixed",
            drifts.len(),
            refs.len()
        )
    }
}

async fn create_user(settings: Settings, args: &CreateUserArgs) -> anyhow::Result<()> {
    darkroom_api::check_user_name(&args.name).map_err(|e| anyhow::anyhow!("{e}"))?;
    let catalog = super::serve::open_catalog(&settings).await?;
    let user = catalog.create_user(&args.name, args.admin).await?;
    println!("{}", user.id);
    eprintln!(
        "created {} {:?}; mint a token with: darkroom admin create-token {}",
        if args.admin { "administrator" } else { "user" },
        user.name,
        user.name
    );
    catalog.close().await;
    Ok(())
}

async fn create_token(settings: Settings, args: &CreateTokenArgs) -> anyhow::Result<()> {
    let catalog = super::serve::open_catalog(&settings).await?;
    let user = catalog
        .find_user_by_name(&args.name)
        .await?
        .with_context(|| {
            format!(
                "no user named {:?} (create it with: darkroom admin create-user {})",
                args.name, args.name
            )
        })?;
    let scopes = if args.scopes.is_empty() {
        let mut scopes = vec![Scope::Read, Scope::Upload, Scope::Edit];
        if user.is_admin {
            scopes.push(Scope::Admin);
        }
        scopes
    } else {
        args.scopes
            .iter()
            .map(|s| s.trim().parse::<Scope>().map_err(anyhow::Error::msg))
            .collect::<anyhow::Result<_>>()?
    };
    if scopes.contains(&Scope::Admin) && !user.is_admin {
        anyhow::bail!(
            "{:?} is not an administrator; an admin-scoped token would grant nothing",
            user.name
        );
    }
    let token = catalog.issue_token(&user.id, &args.label, &scopes).await?;
    println!("{}", token.secret);
    catalog.close().await;
    Ok(())
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an account.
    CreateUser(CreateUserArgs),
    /// Mint an API token for an account; prints the token alone on standard output.
    CreateToken(CreateTokenArgs),
    /// Set an account's web sign-in password, read from standard input.
    SetPassword(UserArgs),
    /// List accounts with their usage and quotas.
    ListUsers(StorageArgs),
    /// Disable an account: no sign-in, no token works, sessions end.
    Disable(UserArgs),
    /// Enable a disabled account again.
    Enable(UserArgs),
    /// Set an account's storage quota (e.g. 50G, 500M, 1T, or "none").
    SetQuota(SetQuotaArgs),
    /// Usage per user per day for billing, as CSV.
    Usage(UsageArgs),
    /// Storage totals, including the space deduplication saves.
    Storage(StorageArgs),
    /// Recount every user's usage, every blob's references and every timeline from the
    /// catalog's rows, fix them, and report any difference.
    Recount(StorageArgs),
    /// Compute the SHA-1 of every original stored without one (Immich's clients look
    /// files up by it); safe beside running servers, and to stop and run again.
    BackfillSha1(StorageArgs),
    /// Find the country, region and city of every photo stored with a GPS position
    /// before places existed (from the bundled GeoNames data, no network); safe beside
    /// running servers, and to stop and run again.
    FillPlaces(StorageArgs),
}

impl AdminCommand {
    pub(crate) fn storage(&self) -> &StorageArgs {
        match self {
            AdminCommand::CreateUser(a) => &a.storage,
            AdminCommand::CreateToken(a) => &a.storage,
            AdminCommand::SetPassword(a) | AdminCommand::Disable(a) | AdminCommand::Enable(a) => {
                &a.storage
            }
            AdminCommand::SetQuota(a) => &a.storage,
            AdminCommand::Usage(a) => &a.storage,
            AdminCommand::ListUsers(a)
            | AdminCommand::Storage(a)
            | AdminCommand::Recount(a)
            | AdminCommand::BackfillSha1(a)
            | AdminCommand::FillPlaces(a) => a,
        }
    }
}

#[derive(Args, Debug)]
pub struct UserArgs {
    /// The account name.
    pub name: String,
    #[command(flatten)]
    pub storage: StorageArgs,
}

#[derive(Args, Debug)]
pub struct SetQuotaArgs {
    /// The account name.
    pub name: String,
    /// Bytes, with an optional K/M/G/T suffix (powers of 1024), or "none".
    pub quota: String,
    #[command(flatten)]
    pub storage: StorageArgs,
}

#[derive(Args, Debug)]
pub struct UsageArgs {
    /// First day, YYYY-MM-DD (UTC) [default: 30 days before --to].
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (UTC) [default: today].
    #[arg(long)]
    pub to: Option<String>,
    #[command(flatten)]
    pub storage: StorageArgs,
}

#[derive(Args, Debug)]
pub struct CreateUserArgs {
    /// The account name.
    pub name: String,
    /// Make the account an administrator.
    #[arg(long)]
    pub admin: bool,
    #[command(flatten)]
    pub storage: StorageArgs,
}

#[derive(Args, Debug)]
pub struct CreateTokenArgs {
    /// The account the token acts for.
    pub name: String,
    /// Scopes (read, upload, edit, admin), repeated or comma-separated
    /// [default: read,upload,edit, plus admin for administrators].
    #[arg(long = "scope", value_delimiter = ',')]
    pub scopes: Vec<String>,
    /// A label for the token, shown when listing tokens.
    #[arg(long, default_value = "cli")]
    pub label: String,
    #[command(flatten)]
    pub storage: StorageArgs,
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotas_parse_with_units() {
        assert_eq!(super::parse_quota("none").unwrap(), None);
        assert_eq!(super::parse_quota("1024").unwrap(), Some(1024));
        assert_eq!(super::parse_quota("50G").unwrap(), Some(50 << 30));
        assert_eq!(super::parse_quota("2MiB").unwrap(), Some(2 << 20));
        assert!(super::parse_quota("12X").is_err());
        assert!(super::parse_quota("99999999999T").is_err());
    }
}
