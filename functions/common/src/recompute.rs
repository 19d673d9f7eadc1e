//! The recompute function's work. The schedule (ScheduleV2) sends `{"workspace": null,
//! "profile": null, "as_of": null}`: every workspace, every profile, today. That invocation
//! fans out — one `RecomputeRequested` event per workspace, routed back to this function
//! by an EventBridge rule — so each workspace gets an invocation (and 15 minutes) of its
//! own and one slow workspace never delays the others. An invocation naming a workspace
//! recomputes its profiles (or the one named) and publishes `ScoresRecomputed` for the
//! alerts. Both are idempotent: recomputing a day replaces it.
//!
//! With `PULSE_RECOMPUTE_SHARDS` > 1, a workspace's recompute is itself split: one
//! `RecomputeShardRequested` per shard comes back here; each shard measures its share of
//! the identities, and the one that completes the run normalises it over the whole
//! population (`pulse_app::recompute::sharded`).

use pulse_app::App;
use pulse_app::recompute::RecomputeSummary;
use pulse_app::recompute::sharded::{ShardOutcome, ShardedRun};
use pulse_bus::DomainEvent;
use pulse_core::{Day, Slug};
use serde::{Deserialize, Serialize};

/// The function's input: the schedule's, a direct invoke's, or a fan-out event's detail.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct RecomputeRequest {
    #[serde(default)]
    pub workspace: Option<String>,
    #[serde(default)]
    pub profile: Option<String>,
    #[serde(default)]
    pub as_of: Option<Day>,
    /// Set for one shard of a sharded run (a `RecomputeShardRequested` event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardRequest>,
}

/// One shard of a sharded run.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct ShardRequest {
    pub run: String,
    pub shard: u32,
    pub shards: u32,
}

/// What an invocation did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RecomputeOutcome {
    /// Workspaces handed to their own invocations (fan-out).
    pub fanned_out: Vec<String>,
    /// Profiles recomputed here.
    pub recomputed: Vec<RecomputeSummary>,
    /// Sharded runs started here (one `RecomputeShardRequested` per shard is on the bus).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sharded: Vec<ShardedRun>,
    /// The shard this invocation ran, when it was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardOutcome>,
}

/// Handles one request: fans out when no workspace is named, recomputes otherwise.
pub async fn handle(
    app: &App,
    request: RecomputeRequest,
) -> Result<RecomputeOutcome, pulse_app::AppError> {
    let Some(workspace) = request.workspace.as_deref() else {
        let workspaces = app.store.workspaces().await?;
        let events: Vec<DomainEvent> = workspaces
            .iter()
            .map(|workspace| DomainEvent::RecomputeRequested {
                workspace: workspace.id.to_string(),
                profile: request.profile.clone(),
                as_of: request.as_of,
            })
            .collect();
        app.bus.publish(events).await.map_err(|error| {
            pulse_app::AppError::Internal(format!("fanning out the recompute: {error}"))
        })?;
        tracing::info!(
            workspaces = workspaces.len(),
            "recompute fanned out, one invocation per workspace"
        );
        return Ok(RecomputeOutcome {
            fanned_out: workspaces
                .iter()
                .map(|workspace| workspace.id.to_string())
                .collect(),
            ..RecomputeOutcome::default()
        });
    };
    let workspace = Slug::parse(workspace).map_err(|error| {
        pulse_app::AppError::bad_request("invalid_workspace", format!("workspace: {error}"))
    })?;
    if let Some(shard) = request.shard {
        let (Some(profile), Some(as_of)) = (request.profile.as_deref(), request.as_of) else {
            return Err(pulse_app::AppError::bad_request(
                "invalid_request",
                "a shard names its profile and day",
            ));
        };
        let outcome = app
            .recompute_shard(
                &workspace,
                profile,
                as_of,
                &shard.run,
                shard.shard,
                shard.shards,
            )
            .await?;
        return Ok(RecomputeOutcome {
            recomputed: outcome.finished.clone().into_iter().collect(),
            shard: Some(outcome),
            ..RecomputeOutcome::default()
        });
    }
    if app.config.recompute_shards > 1 {
        let sharded = app
            .start_sharded_recompute(
                &workspace,
                request.profile.as_deref(),
                request.as_of,
                app.config.recompute_shards,
            )
            .await?;
        return Ok(RecomputeOutcome {
            sharded,
            ..RecomputeOutcome::default()
        });
    }
    let recomputed = app
        .recompute_profiles(&workspace, request.profile.as_deref(), request.as_of)
        .await?;
    Ok(RecomputeOutcome {
        recomputed,
        ..RecomputeOutcome::default()
    })
}

/// The request in a payload: the schedule's (as is), or a `RecomputeRequested` event in its
/// EventBridge envelope.
pub fn request_from(payload: serde_json::Value) -> Result<RecomputeRequest, lambda_runtime::Error> {
    if payload.get("detail-type").is_some() {
        return match crate::domain_event(payload)? {
            DomainEvent::RecomputeRequested {
                workspace,
                profile,
                as_of,
            } => Ok(RecomputeRequest {
                workspace: Some(workspace),
                profile,
                as_of,
                shard: None,
            }),
            DomainEvent::RecomputeShardRequested {
                workspace,
                profile,
                as_of,
                run,
                shard,
                shards,
            } => Ok(RecomputeRequest {
                workspace: Some(workspace),
                profile: Some(profile),
                as_of: Some(as_of),
                shard: Some(ShardRequest { run, shard, shards }),
            }),
            other => Err(format!(
                "the recompute function does not take {} events",
                other.detail_type()
            )
            .into()),
        };
    }
    Ok(serde_json::from_value(payload)
        .map_err(|error| format!("expected {{\"workspace\", \"profile\", \"as_of\"}}: {error}"))?)
}
