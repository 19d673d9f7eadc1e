//! Sharded recompute, for workspaces too large for one pass in one process (one Lambda
//! invocation: 15 minutes, 10 GB). What bounds a recompute is loading and holding the raw
//! usage; p90 needs the whole population. So a run is split in two:
//!
//! 1. **Shards** (`RecomputeShardRequested`, one per shard, in parallel): shard `k` of `S`
//!    loads only the identities of its share (`Store::scoring_data_shard`: the store's
//!    partitions `p` with `p % S == k`) with their usage, assembles each raw identity's
//!    partial activity ([`assemble_parts`]) and stages it as chunks of bytes
//!    (`Store::put_recompute_parts`), then records itself done
//!    (`Store::finish_recompute_shard`).
//! 2. **Normalisation**: the shard whose record completes the run reads every staged part,
//!    merges them by user ([`merge_parts`]: exactly what one pass assembles — every
//!    aggregation is a sum, union, min or max) and finishes as an unsharded recompute does:
//!    p90 over the whole population, scores, accounts, segments, rules, history,
//!    `ScoresRecomputed`.
//!
//! Every step is idempotent: a retried shard replaces its own chunks and records itself
//! once; a retried last shard finishes again, and finishing a day replaces it.

use std::time::Instant;

use pulse_bus::DomainEvent;
use pulse_core::records::{
    IdentityPart, account_infos, assemble_parts, encode_parts, merge_parts, usage_from,
};
use pulse_core::{Day, WorkspaceId, event_needs};
use serde::Serialize;

use super::RecomputeSummary;
use crate::App;
use crate::error::AppError;

/// Most shards a run splits into: the store's partition count.
pub const MAX_SHARDS: u32 = pulse_store::MAX_RECOMPUTE_SHARDS;
/// Largest staged chunk: DynamoDB items hold 400 KB; the rest is keys and attributes.
pub const CHUNK_BYTES: usize = pulse_store::MAX_RECOMPUTE_CHUNK_BYTES;
/// Parts encoded together before a chunk is checked against [`CHUNK_BYTES`].
const PARTS_PER_CHUNK: usize = 1_000;

/// A sharded run that was started: one `RecomputeShardRequested` per shard is on the bus.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShardedRun {
    pub profile: String,
    pub as_of: Day,
    pub run: String,
    pub shards: u32,
}

/// What one shard did.
#[derive(Clone, Debug, Serialize)]
pub struct ShardOutcome {
    pub run: String,
    pub shard: u32,
    pub shards: u32,
    /// Raw identities this shard measured.
    pub identities: usize,
    /// Chunks it staged.
    pub chunks: usize,
    /// Set when this shard completed the run and finished it.
    pub finished: Option<RecomputeSummary>,
}

impl App {
    /// Starts a sharded recompute of one profile (or every profile) as of `as_of` (today
    /// when `None`, fixed here so that every shard computes the same day): one
    /// `RecomputeShardRequested` per shard, on the bus.
    pub async fn start_sharded_recompute(
        &self,
        workspace: &WorkspaceId,
        profile: Option<&str>,
        as_of: Option<Day>,
        shards: u32,
    ) -> Result<Vec<ShardedRun>, AppError> {
        if !(1..=MAX_SHARDS).contains(&shards) {
            return Err(AppError::bad_request(
                "invalid_shards",
                format!("shards must be between 1 and {MAX_SHARDS}, not {shards}"),
            ));
        }
        let profiles = match profile {
            Some(id) => vec![self.require_profile(workspace, id).await?],
            None => self.store.profiles(workspace).await?,
        };
        let as_of = as_of.unwrap_or_else(|| Day::of(self.clock.now()));
        let mut runs = Vec::with_capacity(profiles.len());
        let mut events = Vec::new();
        for profile in &profiles {
            let suffix = uuid::Uuid::new_v4().simple().to_string();
            let run = ShardedRun {
                profile: profile.id.to_string(),
                as_of,
                run: format!("{}-{as_of}-{}", profile.id, &suffix[..12]),
                shards,
            };
            events.extend(
                (0..shards).map(|shard| DomainEvent::RecomputeShardRequested {
                    workspace: workspace.to_string(),
                    profile: run.profile.clone(),
                    as_of,
                    run: run.run.clone(),
                    shard,
                    shards,
                }),
            );
            runs.push(run);
        }
        self.bus.publish(events).await.map_err(|error| {
            AppError::Internal(format!("starting the sharded recompute: {error}"))
        })?;
        tracing::info!(workspace = %workspace, profiles = runs.len(), shards, %as_of,
            "sharded recompute started");
        Ok(runs)
    }

    /// One shard of a run: measure and stage its identities; when its record completes the
    /// run, finish the run for the whole population.
    pub async fn recompute_shard(
        &self,
        workspace: &WorkspaceId,
        profile_id: &str,
        as_of: Day,
        run: &str,
        shard: u32,
        shards: u32,
    ) -> Result<ShardOutcome, AppError> {
        let started = Instant::now();
        let profile = self.require_profile(workspace, profile_id).await?;
        let period_from = as_of.plus(1 - profile.window_days as i32);
        let extras = self.extras(workspace, &profile).await?;
        let needs = event_needs(&profile, &extras);
        let data = self
            .store
            .scoring_data_shard(
                workspace,
                usage_from(as_of, period_from, &needs),
                shard,
                shards,
            )
            .await?;
        let parts = assemble_parts(&data, as_of, period_from, &needs);
        drop(data);
        let chunks = chunks_of(&parts);
        let (identities, chunk_count) = (parts.len(), chunks.len());
        drop(parts);
        self.store
            .put_recompute_parts(workspace, run, shard, chunks)
            .await?;
        let complete = self
            .store
            .finish_recompute_shard(workspace, run, shard, shards)
            .await?;
        tracing::info!(workspace = %workspace, profile = profile_id, run, shard, shards,
            identities, chunks = chunk_count, complete,
            took_ms = started.elapsed().as_millis() as u64, "recompute shard staged");
        let finished = if complete {
            let summary = self
                .finish_sharded(workspace, &profile, as_of, run, &extras, started)
                .await?;
            if let Err(error) = self.store.delete_recompute_run(workspace, run).await {
                tracing::warn!(workspace = %workspace, run, %error,
                    "the run's staged parts were not deleted (they expire on their own)");
            }
            Some(summary)
        } else {
            None
        };
        Ok(ShardOutcome {
            run: run.to_string(),
            shard,
            shards,
            identities,
            chunks: chunk_count,
            finished,
        })
    }

    async fn finish_sharded(
        &self,
        workspace: &WorkspaceId,
        profile: &pulse_core::Profile,
        as_of: Day,
        run: &str,
        extras: &pulse_core::Extras,
        started: Instant,
    ) -> Result<RecomputeSummary, AppError> {
        let mut parts: Vec<IdentityPart> = Vec::new();
        for chunk in self.store.recompute_parts(workspace, run).await? {
            let decoded = pulse_core::records::decode_parts(&chunk).map_err(|error| {
                AppError::Internal(format!(
                    "a staged part of run {run} cannot be read: {error}"
                ))
            })?;
            parts.extend(decoded);
        }
        let users = merge_parts(parts);
        let accounts = account_infos(self.store.account_records(workspace).await?);
        self.finish_recompute(workspace, profile, as_of, extras, users, accounts, started)
            .await
    }
}

/// The parts as chunks of at most [`CHUNK_BYTES`]: groups of parts, halved until they fit.
fn chunks_of(parts: &[IdentityPart]) -> Vec<Vec<u8>> {
    let mut chunks = Vec::new();
    for group in parts.chunks(PARTS_PER_CHUNK) {
        push_fitting(group, &mut chunks);
    }
    chunks
}

fn push_fitting(parts: &[IdentityPart], chunks: &mut Vec<Vec<u8>>) {
    let bytes = encode_parts(parts);
    if bytes.len() <= CHUNK_BYTES || parts.len() == 1 {
        // A single identity over the limit is refused by the store with its size.
        chunks.push(bytes);
        return;
    }
    let (left, right) = parts.split_at(parts.len() / 2);
    push_fitting(left, chunks);
    push_fitting(right, chunks);
}

#[cfg(test)]
mod tests {
    use pulse_core::UserActivity;
    use pulse_core::records::decode_parts;
    use serde_json::Value;

    use super::*;

    fn part(index: usize, trait_bytes: usize) -> IdentityPart {
        let mut activity = UserActivity::default();
        activity
            .traits
            .insert("notes".to_string(), Value::String("x".repeat(trait_bytes)));
        IdentityPart {
            key: format!("u:user-{index:05}"),
            linked_to: None,
            activity,
        }
    }

    #[test]
    fn parts_are_split_into_chunks_that_fit_and_read_back_in_order() {
        // 1,500 parts of ≈ 1 KB: a group of 1,000 is ≈ 1 MB and must be halved until it fits.
        let parts: Vec<IdentityPart> = (0..1_500).map(|index| part(index, 1_000)).collect();
        let chunks = chunks_of(&parts);
        assert!(chunks.len() >= 5, "{} chunks", chunks.len());
        assert!(chunks.iter().all(|chunk| chunk.len() <= CHUNK_BYTES));
        let read: Vec<IdentityPart> = chunks
            .iter()
            .flat_map(|chunk| decode_parts(chunk).expect("a chunk decodes"))
            .collect();
        assert_eq!(read, parts);
    }

    #[test]
    fn small_parts_share_a_chunk_per_thousand() {
        let parts: Vec<IdentityPart> = (0..2_500).map(|index| part(index, 10)).collect();
        let chunks = chunks_of(&parts);
        assert_eq!(chunks.len(), 3, "groups of {PARTS_PER_CHUNK}");
        assert_eq!(chunks_of(&[]), Vec::<Vec<u8>>::new());
    }
}
