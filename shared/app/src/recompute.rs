//! The recompute use case (SPEC §4): load a workspace's usage, compute a profile's scores
//! as of a day, save them with the day's segment transitions. Idempotent per day.
//!
//! Large workspaces recompute in shards (`sharded`): each shard loads and measures its
//! share of the identities; the shard that completes the run finishes it here, over the
//! whole population.

pub mod sharded;

use std::collections::HashMap;
use std::time::Instant;

use pulse_bus::DomainEvent;
use pulse_core::alerts::rule_keys;
use pulse_core::records::{assemble, usage_from};
use pulse_core::{
    AccountInfo, Day, Extras, PreviousScores, Profile, SubjectKind, UserActivity, WorkspaceId,
    compute, event_needs,
};
use pulse_store::{Computation, SegmentTransition, StoredSnapshot};
use serde::Serialize;

use crate::App;
use crate::error::AppError;

/// What one recompute of one profile did.
#[derive(Clone, Debug, Serialize)]
pub struct RecomputeSummary {
    pub profile: String,
    pub as_of: Day,
    pub users: usize,
    pub active_users: usize,
    pub accounts: usize,
    pub p90: Option<f64>,
    pub segment_changes: usize,
    pub took_ms: u64,
    #[serde(skip)]
    pub transitions: Vec<SegmentTransition>,
}

impl App {
    /// Recomputes `profile` as of `as_of` (today when `None`).
    pub async fn recompute(
        &self,
        workspace: &WorkspaceId,
        profile: &Profile,
        as_of: Option<Day>,
    ) -> Result<RecomputeSummary, AppError> {
        let started = Instant::now();
        let as_of = as_of.unwrap_or_else(|| Day::of(self.clock.now()));
        let period_from = as_of.plus(1 - profile.window_days as i32);
        let extras = self.extras(workspace, profile).await?;
        let needs = event_needs(profile, &extras);
        let data = self
            .store
            .scoring_data(workspace, usage_from(as_of, period_from, &needs))
            .await?;
        let (users, accounts) = assemble(&data, as_of, period_from, &needs);
        drop(data);
        self.finish_recompute(workspace, profile, as_of, &extras, users, accounts, started)
            .await
    }

    /// The part of a recompute that needs the whole population: p90, scores, accounts,
    /// segments and rules ([`compute`]), then saving the day and announcing it.
    #[allow(clippy::too_many_arguments)]
    async fn finish_recompute(
        &self,
        workspace: &WorkspaceId,
        profile: &Profile,
        as_of: Day,
        extras: &Extras,
        users: Vec<UserActivity>,
        accounts: HashMap<String, AccountInfo>,
        started: Instant,
    ) -> Result<RecomputeSummary, AppError> {
        let loaded = started.elapsed();
        let earlier = as_of.plus(-(profile.window_days as i32));
        let profile_id = profile.id.as_str();
        let previous = PreviousScores {
            users: self
                .store
                .scores_on(workspace, profile_id, SubjectKind::Users, earlier)
                .await?
                .into_iter()
                .map(|(id, score)| (id, score as u32))
                .collect(),
            accounts: self
                .store
                .scores_on(workspace, profile_id, SubjectKind::Accounts, earlier)
                .await?,
        };
        let set = compute(profile, as_of, &users, &accounts, &previous, extras);
        drop(users);
        let computation = Computation {
            profile: profile_id.to_string(),
            day: as_of,
            computed_at: self.clock.now(),
            p90: set.p90,
            users: set
                .users
                .iter()
                .map(|user| StoredSnapshot {
                    subject: user.id.clone(),
                    keys: user.keys(),
                    body: serde_json::to_string(user).expect("scores serialize"),
                })
                .collect(),
            accounts: set
                .accounts
                .iter()
                .map(|account| StoredSnapshot {
                    subject: account.id.clone(),
                    keys: account.keys(),
                    body: serde_json::to_string(account).expect("scores serialize"),
                })
                .collect(),
        };
        let computed = started.elapsed();
        let transitions = self.store.save_computation(workspace, &computation).await?;
        self.store
            .put_rule_matches(workspace, profile_id, as_of, &set.rule_matches)
            .await?;
        // Alerts compare the latest day with the one before; an older day is history only.
        if self.store.latest_day(workspace, profile_id).await? == Some(as_of) {
            let previous_day = self
                .store
                .previous_day(workspace, profile_id, as_of)
                .await?;
            let event = DomainEvent::ScoresRecomputed {
                workspace: workspace.to_string(),
                profile: profile_id.to_string(),
                day: as_of,
                previous_day,
            };
            if let Err(error) = self.bus.publish(vec![event]).await {
                tracing::warn!(workspace = %workspace, profile = profile_id, %error,
                    "scores are saved, but ScoresRecomputed was not published: this day's alerts are missed");
            }
        }
        let summary = RecomputeSummary {
            profile: profile_id.to_string(),
            as_of,
            users: set.users.len(),
            active_users: set.users.iter().filter(|user| user.raw_score > 0).count(),
            accounts: set.accounts.len(),
            p90: set.p90,
            segment_changes: transitions.len(),
            took_ms: started.elapsed().as_millis() as u64,
            transitions,
        };
        tracing::info!(
            workspace = %workspace,
            profile = profile_id,
            as_of = %as_of,
            users = summary.users,
            accounts = summary.accounts,
            took_ms = summary.took_ms,
            load_ms = loaded.as_millis() as u64,
            compute_ms = (computed - loaded).as_millis() as u64,
            save_ms = summary.took_ms.saturating_sub(computed.as_millis() as u64),
            "recomputed"
        );
        Ok(summary)
    }

    /// What a profile's computation evaluates besides the default segments: the
    /// workspace's custom segments and the rule keys of the profile's alert rules.
    async fn extras(&self, workspace: &WorkspaceId, profile: &Profile) -> Result<Extras, AppError> {
        let segments = self.custom_segments(workspace).await?;
        let rules = self
            .alert_rules(workspace)
            .await?
            .iter()
            .filter(|rule| rule.profile == profile.id)
            .flat_map(rule_keys)
            .collect();
        Ok(Extras { segments, rules })
    }

    /// Recomputes one profile (by id) or every profile of the workspace.
    pub async fn recompute_profiles(
        &self,
        workspace: &WorkspaceId,
        profile: Option<&str>,
        as_of: Option<Day>,
    ) -> Result<Vec<RecomputeSummary>, AppError> {
        let profiles = match profile {
            Some(id) => vec![self.require_profile(workspace, id).await?],
            None => self.store.profiles(workspace).await?,
        };
        let mut summaries = Vec::with_capacity(profiles.len());
        for profile in &profiles {
            summaries.push(self.recompute(workspace, profile, as_of).await?);
        }
        Ok(summaries)
    }

    /// A profile that must exist: `404` naming the known ones otherwise.
    pub async fn require_profile(
        &self,
        workspace: &WorkspaceId,
        id: &str,
    ) -> Result<Profile, AppError> {
        if let Some(profile) = self.store.profile(workspace, id).await? {
            return Ok(profile);
        }
        let known: Vec<String> = self
            .store
            .profiles(workspace)
            .await?
            .into_iter()
            .map(|profile| profile.id.to_string())
            .collect();
        Err(AppError::not_found(if known.is_empty() {
            format!(
                "no profile `{id}`: this workspace has no profiles yet — apply one with PUT /v1/profiles/{{id}} or `pulse profile apply`"
            )
        } else {
            format!("no profile `{id}`; known profiles: {}", known.join(", "))
        }))
    }
}
