//! `darkroom fsck`: every invariant the catalog and the blob store keep,
//! checked beside running servers, and the safe repairs.
//!
//! Checked: every blob an asset or rendition points at is recorded and
//! stored (and, with `verify_bytes`, hashes to its name); blob reference
//! counts equal the rows that point at them; every user's usage equals the
//! sum of their assets, and so does the metering report; timelines count
//! what they show; every asset has renditions or a render job; the change
//! feed has no holes; no orphan outlived its grace period and the servers'
//! collection; no object older than the grace period is unknown to the
//! catalog.
//!
//! Read-only unless asked to repair. Nothing here takes a lock: catalog
//! findings are confirmed by checking again (a write between two statements
//! can look like drift for a moment), store findings by asking the store
//! again for the one object.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::Duration;

use crate::catalog::{BlobUser, FeedCheck, SearchIndexCheck, UsageCheck, UserRecord};
use crate::maintenance::{delete_orphan, rehash};
use crate::progress::Progress;
use crate::{AssetId, BlobStore, Catalog, ContentHash, StorageError, UserId, now_ms};

/// What `fsck` does.
#[derive(Clone, Copy, Debug)]
pub struct FsckOptions {
    /// Read every blob in use and hash it (slow: reads the whole store).
    pub verify_bytes: bool,
    /// Fix what is safe to fix (see [`Finding::repairable`]).
    pub repair: bool,
    /// An object the catalog does not know is only a finding once older
    /// than this (an upload pins its row first, but a listing is not atomic).
    pub blob_grace: Duration,
    /// An orphan is a finding once unreferenced this long (the grace period
    /// and the time the servers' collector takes to come round).
    pub orphan_limit: Duration,
    /// Attempts of a render job queued by a repair.
    pub render_attempts: u32,
}

/// One problem, naming what it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// An asset's original is not in the store.
    OriginalMissing {
        asset: AssetId,
        owner: String,
        hash: ContentHash,
    },
    /// A rendition's object is not in the store.
    RenditionMissing {
        asset: AssetId,
        name: String,
        hash: ContentHash,
    },
    /// A stored blob's bytes no longer hash to its name.
    BlobCorrupt {
        hash: ContentHash,
        actual: ContentHash,
        used_by: Vec<BlobUser>,
    },
    /// An asset or rendition points at a blob the catalog has no row for.
    BlobUnrecorded { hash: ContentHash },
    /// A blob's reference count differs from the rows that point at it.
    RefCount {
        hash: ContentHash,
        recorded: i64,
        counted: i64,
    },
    /// A user's recorded or metered usage differs from their assets.
    Usage(UsageCheck),
    /// A timeline day's count differs from the photos it shows.
    Timeline {
        user: UserId,
        name: String,
        day: u32,
        recorded: i64,
        counted: i64,
    },
    /// An asset with no rendition and no render job: it would never get a
    /// thumbnail.
    NeverRendered { asset: AssetId, owner: String },
    /// A change feed with holes, or not ending where its counter is.
    Feed(FeedCheck),
    /// An unreferenced blob the collector should have deleted by now.
    OrphanOverdue { hash: ContentHash },
    /// An object older than the grace period the catalog has no row for.
    Untracked { hash: ContentHash },
    /// A blob in use that the primary lacks and the second site holds.
    OnlyOnReplica { hash: ContentHash },
    /// A blob the catalog records as on both sites that the second lacks.
    ReplicaMissing { hash: ContentHash },
    /// A blob in use not on both sites, with no job queued to copy it.
    ReplicationNotQueued { hash: ContentHash },
    /// The SQLite search index is out of step with the assets.
    SearchIndex(SearchIndexCheck),
}

impl Finding {
    /// Whether `repair` fixes it. What is not repairable needs a backup or
    /// a person: a missing or corrupt original, a hole in a feed, bytes the
    /// catalog does not know (maybe the only copy of a photo whose row a
    /// restore lost: never deleted here).
    pub fn repairable(&self) -> bool {
        matches!(
            self,
            Finding::RenditionMissing { .. }
                | Finding::RefCount { .. }
                | Finding::Usage(_)
                | Finding::Timeline { .. }
                | Finding::NeverRendered { .. }
                | Finding::OrphanOverdue { .. }
                | Finding::OnlyOnReplica { .. }
                | Finding::ReplicaMissing { .. }
                | Finding::ReplicationNotQueued { .. }
                | Finding::SearchIndex(_)
        )
    }

    /// What it is about, for telling a finding that persists from one that
    /// was a moment's overlap with a write.
    fn subject(&self) -> String {
        match self {
            Finding::OriginalMissing { asset, .. } => format!("original {asset}"),
            Finding::RenditionMissing { asset, name, .. } => format!("rendition {asset} {name}"),
            Finding::BlobCorrupt { hash, .. }
            | Finding::BlobUnrecorded { hash }
            | Finding::RefCount { hash, .. }
            | Finding::OrphanOverdue { hash }
            | Finding::Untracked { hash }
            | Finding::OnlyOnReplica { hash } => format!("blob {hash}"),
            Finding::ReplicaMissing { hash } | Finding::ReplicationNotQueued { hash } => {
                format!("replica {hash}")
            }
            Finding::Usage(u) => format!("usage {}", u.user),
            Finding::Timeline { user, day, .. } => format!("timeline {user} {day}"),
            Finding::NeverRendered { asset, .. } => format!("unrendered {asset}"),
            Finding::Feed(f) => format!("feed {}", f.user),
            Finding::SearchIndex(_) => "search index".to_string(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::OriginalMissing { asset, owner, hash } => write!(
                f,
                "original missing: asset {asset} of {owner:?}, blob {hash} is not in the store \
                 (restore it from a backup)"
            ),
            Finding::RenditionMissing { asset, name, hash } => write!(
                f,
                "rendition missing: {name} of asset {asset}, blob {hash} is not in the store"
            ),
            Finding::BlobCorrupt {
                hash,
                actual,
                used_by,
            } => {
                write!(f, "blob corrupt: {hash} hashes to {actual}")?;
                for user in used_by {
                    match user {
                        BlobUser::Original { asset, owner } => {
                            write!(f, "; original of asset {asset} of {owner:?}")?
                        }
                        BlobUser::Rendition { asset, name } => {
                            write!(f, "; {name} of asset {asset}")?
                        }
                    }
                }
                write!(f, " (restore it from a backup)")
            }
            Finding::BlobUnrecorded { hash } => {
                write!(
                    f,
                    "blob unrecorded: {hash} is in use but has no catalog row"
                )
            }
            Finding::RefCount {
                hash,
                recorded,
                counted,
            } => write!(
                f,
                "reference count wrong: blob {hash} records {recorded}, {counted} point at it"
            ),
            Finding::Usage(u) => write!(
                f,
                "usage wrong: {:?} holds {} bytes, records {}, metering says {}",
                u.name,
                u.counted,
                u.recorded,
                u.metered.map_or("nothing".into(), |m| m.to_string())
            ),
            Finding::Timeline {
                name,
                day,
                recorded,
                counted,
                ..
            } => write!(
                f,
                "timeline wrong: {name:?} on {day} records {recorded} photo(s), shows {counted}"
            ),
            Finding::NeverRendered { asset, owner } => write!(
                f,
                "never rendered: asset {asset} of {owner:?} has no rendition and no render job"
            ),
            Finding::Feed(c) => write!(
                f,
                "change feed broken: {:?} has {} change(s) numbered {}..{} ({} missing), \
                 its counter is at {}",
                c.name,
                c.entries,
                c.first.unwrap_or(0),
                c.last.unwrap_or(0),
                c.missing(),
                c.counter
            ),
            Finding::OrphanOverdue { hash } => write!(
                f,
                "orphan overdue: blob {hash} is unreferenced past its grace period and collection"
            ),
            Finding::Untracked { hash } => write!(
                f,
                "untracked object: blob {hash} is stored but the catalog has no row for it \
                 (`darkroom gc` deletes such objects; keep it if a restore lost its photo)"
            ),
            Finding::OnlyOnReplica { hash } => write!(
                f,
                "only on the second site: blob {hash} is in use, the primary lacks it"
            ),
            Finding::ReplicaMissing { hash } => write!(
                f,
                "replica missing: blob {hash} is recorded as on both sites, the second lacks it"
            ),
            Finding::SearchIndex(check) => write!(
                f,
                "search index out of step: {} photo(s) not searchable, {} stray row(s) \
                 (a repair rebuilds it from the photos)",
                check.unindexed, check.stray
            ),
            Finding::ReplicationNotQueued { hash } => write!(
                f,
                "replication stalled: blob {hash} is not on both sites and no job will copy it"
            ),
        }
    }
}

/// What `fsck` looked at and found.
#[derive(Clone, Debug, Default)]
pub struct FsckReport {
    /// Objects in the blob store.
    pub objects: u64,
    /// Objects on the second site, when there is one.
    pub replica_objects: Option<u64>,
    /// Distinct blobs the catalog's assets and renditions use.
    pub blobs_in_use: u64,
    /// Bytes read and hashed (with `verify_bytes`).
    pub bytes_verified: u64,
    pub users: u64,
    pub findings: Vec<Finding>,
    /// One line per repair done.
    pub repairs: Vec<String>,
}

impl FsckReport {
    /// Findings still standing: all of them, or after a repair those it
    /// could not fix.
    pub fn standing(&self, repaired: bool) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(move |f| !(repaired && f.repairable()))
    }
}

/// Checks the catalog and the store; with `repair`, fixes what is safe.
pub async fn fsck(
    catalog: &Catalog,
    blobs: &BlobStore,
    options: FsckOptions,
    progress: &dyn Progress,
) -> Result<FsckReport, StorageError> {
    let mut report = FsckReport::default();
    // Listed before the catalog is read: whatever the catalog then uses and
    // the listing lacks was either missing or written since (asked again).
    progress.phase("listing the blob store", None);
    let stored: HashMap<ContentHash, i64> =
        blobs.list_hashes_with_age().await?.into_iter().collect();
    report.objects = stored.len() as u64;
    progress.advance(report.objects);

    let second_site = match blobs.replica_only() {
        Some(replica) => {
            progress.phase("listing the second site", None);
            let listed: HashSet<ContentHash> = replica.list_hashes().await?.into_iter().collect();
            progress.advance(listed.len() as u64);
            report.replica_objects = Some(listed.len() as u64);
            Some((replica, listed))
        }
        None => None,
    };

    let in_use = catalog.blobs_in_use().await?;
    report.blobs_in_use = in_use.len() as u64;
    progress.phase("checking blobs in use", Some(in_use.len() as u64));
    for batch in in_use.chunks(500) {
        for hash in catalog.unrecorded_blobs(batch).await? {
            report.findings.push(Finding::BlobUnrecorded { hash });
        }
        for hash in batch {
            if !stored.contains_key(hash) && !blobs.contains(hash).await? {
                match &second_site {
                    Some((replica, listed))
                        if listed.contains(hash) || replica.contains(hash).await? =>
                    {
                        report.findings.push(Finding::OnlyOnReplica { hash: *hash })
                    }
                    _ => report.findings.extend(missing_blob(catalog, hash).await?),
                }
            }
        }
        progress.advance(batch.len() as u64);
    }

    if let Some((replica, listed)) = &second_site {
        progress.phase("checking the second site", None);
        let in_use: HashSet<&ContentHash> = in_use.iter().collect();
        for hash in catalog.replicated_blobs().await? {
            if in_use.contains(&hash) && !listed.contains(&hash) && !replica.contains(&hash).await?
            {
                report.findings.push(Finding::ReplicaMissing { hash });
            }
            progress.advance(1);
        }
        for hash in catalog.stranded_unreplicated_blobs().await? {
            report.findings.push(Finding::ReplicationNotQueued { hash });
        }
    }

    if options.verify_bytes {
        progress.phase(
            "reading and hashing every blob in use",
            Some(in_use.len() as u64),
        );
        for hash in &in_use {
            if let Some((actual, bytes)) = rehash(blobs, hash).await? {
                report.bytes_verified += bytes;
                if actual != *hash {
                    let used_by = catalog.users_of_blob(hash).await?;
                    report.findings.push(Finding::BlobCorrupt {
                        hash: *hash,
                        actual,
                        used_by,
                    });
                }
            }
            progress.advance(1);
        }
    }

    progress.phase("looking for objects the catalog does not know", None);
    let grace_cutoff = now_ms() - options.blob_grace.as_millis() as i64;
    let old: Vec<ContentHash> = stored
        .iter()
        .filter(|(_, modified)| **modified < grace_cutoff)
        .map(|(hash, _)| *hash)
        .collect();
    for batch in old.chunks(500) {
        for hash in catalog.unrecorded_blobs(batch).await? {
            // Deleted meanwhile by a collector (object first, then row)?
            if blobs.contains(&hash).await? && !catalog.unrecorded_blobs(&[hash]).await?.is_empty()
            {
                report.findings.push(Finding::Untracked { hash });
            }
        }
    }

    progress.phase("checking the catalog's counts", None);
    let users = catalog.list_users().await?;
    report.users = users.len() as u64;
    let first = catalog_findings(catalog, &users, options).await?;
    let confirmed = if first.is_empty() {
        first
    } else {
        // A write between two statements looks like drift for a moment;
        // real drift is still there a moment later.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let again = catalog_findings(catalog, &users, options).await?;
        let before: Vec<String> = first.iter().map(Finding::subject).collect();
        again
            .into_iter()
            .filter(|f| before.contains(&f.subject()))
            .collect()
    };
    report.findings.extend(confirmed);

    if options.repair {
        progress.phase("repairing", None);
        report.repairs = repair(catalog, blobs, &report.findings, options).await?;
    }
    Ok(report)
}

/// The findings about a blob the store does not have: one per asset or
/// rendition that uses it.
async fn missing_blob(catalog: &Catalog, hash: &ContentHash) -> Result<Vec<Finding>, StorageError> {
    let mut findings = Vec::new();
    for user in catalog.users_of_blob(hash).await? {
        findings.push(match user {
            BlobUser::Original { asset, owner } => Finding::OriginalMissing {
                asset,
                owner,
                hash: *hash,
            },
            BlobUser::Rendition { asset, name } => Finding::RenditionMissing {
                asset,
                name,
                hash: *hash,
            },
        });
    }
    Ok(findings)
}

/// The findings that come from the catalog alone.
async fn catalog_findings(
    catalog: &Catalog,
    users: &[UserRecord],
    options: FsckOptions,
) -> Result<Vec<Finding>, StorageError> {
    let mut findings = Vec::new();
    for (hash, recorded, counted) in catalog.blob_ref_mismatches().await? {
        findings.push(Finding::RefCount {
            hash,
            recorded,
            counted,
        });
    }
    for usage in catalog.usage_checks().await? {
        if !usage.agrees() {
            findings.push(Finding::Usage(usage));
        }
    }
    for user in users {
        for (day, counted, recorded) in catalog.verify_timeline(&user.id).await? {
            findings.push(Finding::Timeline {
                user: user.id,
                name: user.name.clone(),
                day,
                recorded,
                counted,
            });
        }
    }
    if let Some(check) = catalog.check_search_index().await?
        && !check.agrees()
    {
        findings.push(Finding::SearchIndex(check));
    }
    for (asset, owner) in catalog.assets_never_rendered().await? {
        findings.push(Finding::NeverRendered { asset, owner });
    }
    for feed in catalog.feed_checks().await? {
        if !feed.agrees() {
            findings.push(Finding::Feed(feed));
        }
    }
    let orphan_cutoff = now_ms() - options.orphan_limit.as_millis() as i64;
    for hash in catalog.collectable_blobs(orphan_cutoff, 10_000).await? {
        findings.push(Finding::OrphanOverdue { hash });
    }
    Ok(findings)
}

/// Fixes the repairable findings; one line per repair.
async fn repair(
    catalog: &Catalog,
    blobs: &BlobStore,
    findings: &[Finding],
    options: FsckOptions,
) -> Result<Vec<String>, StorageError> {
    let mut done = Vec::new();
    // Renditions whose objects are gone, by asset: forgotten and rendered
    // again in one step.
    let mut lost: Vec<(AssetId, Vec<String>)> = Vec::new();
    for finding in findings {
        match finding {
            Finding::RenditionMissing { asset, name, .. } => {
                match lost.iter_mut().find(|(a, _)| a == asset) {
                    Some((_, names)) => names.push(name.clone()),
                    None => lost.push((*asset, vec![name.clone()])),
                }
            }
            Finding::NeverRendered { asset, .. } => {
                catalog
                    .render_again(asset, &[], options.render_attempts)
                    .await?;
                done.push(format!("queued a render of asset {asset}"));
            }
            Finding::Usage(u) => {
                catalog.reset_usage(&u.user).await?;
                done.push(format!(
                    "set {:?}'s usage and today's metering to {} bytes",
                    u.name, u.counted
                ));
            }
            Finding::Timeline { .. } | Finding::Feed(_) => {}
            Finding::SearchIndex(_) => {
                let indexed = catalog.rebuild_search_index().await?;
                done.push(format!("rebuilt the search index ({indexed} photos)"));
            }
            Finding::OnlyOnReplica { hash } => {
                let bytes = blobs.restore_from_replica(hash).await?;
                done.push(format!(
                    "copied blob {hash} ({bytes} bytes) from the second site back to the primary"
                ));
            }
            Finding::OrphanOverdue { hash } => {
                let cutoff = now_ms() - options.orphan_limit.as_millis() as i64;
                if delete_orphan(catalog, blobs, hash, cutoff).await? {
                    done.push(format!("deleted orphan blob {hash}"));
                }
            }
            _ => {}
        }
    }
    // Reference counts: the same recount as `darkroom admin recount`, in one
    // transaction, once however many were wrong.
    if findings
        .iter()
        .any(|f| matches!(f, Finding::RefCount { .. }))
    {
        for (hash, _, counted) in catalog.recount_blob_refs().await? {
            done.push(format!("set blob {hash}'s reference count to {counted}"));
        }
    }
    for (asset, names) in lost {
        catalog
            .render_again(&asset, &names, options.render_attempts)
            .await?;
        done.push(format!(
            "forgot {} of asset {asset} and queued a render",
            names.join(", ")
        ));
    }
    // Copies to the second site: queued for the workers, in one transaction.
    let requeue: Vec<ContentHash> = findings
        .iter()
        .filter_map(|f| match f {
            Finding::ReplicaMissing { hash } | Finding::ReplicationNotQueued { hash } => {
                Some(*hash)
            }
            _ => None,
        })
        .collect();
    if !requeue.is_empty() {
        catalog.requeue_replication(&requeue).await?;
        for hash in &requeue {
            done.push(format!("queued the copy of blob {hash} to the second site"));
        }
    }
    // Timelines are rebuilt per user, once however many days were wrong.
    let mut rebuilt: Vec<UserId> = Vec::new();
    for finding in findings {
        if let Finding::Timeline { user, name, .. } = finding
            && !rebuilt.contains(user)
        {
            catalog.rebuild_timeline(user).await?;
            done.push(format!("rebuilt {name:?}'s timeline"));
            rebuilt.push(*user);
        }
    }
    Ok(done)
}
