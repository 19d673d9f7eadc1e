//! The evaluate use case: alert rules against what just happened.
//!
//! - After a recompute (`ScoresRecomputed`): score changes, activation crossings, segment
//!   entries and `custom` rules, comparing the day with the previous computed day.
//! - After ingestion (`AccountCreated`, `UserJoinedAccount`, `FeatureFirstUsed`): new
//!   users and first uses of core features.
//!
//! The decisions are pulse-core's; this module gathers their inputs from the store,
//! records the alerts (an id already recorded is ignored, so a repeated evaluation raises
//! nothing twice) and tells the notifier, one `AlertRaised` per channel.

use std::collections::{BTreeMap, HashMap};

use pulse_bus::DomainEvent;
use pulse_core::alerts::{
    Alert, AlertRule, IngestContext, IngestFact, LastFired, RecomputeContext,
    decide_after_recompute, decide_from_ingestion,
};
use pulse_core::{
    AccountScore, Day, DefinitionKind, Profile, ScoreSet, SegmentDefinition, SubjectKind,
    UserScore, WorkspaceId,
};
use pulse_store::{AlertRecord, AlertStatus, ListQuery, Sort, SortField, SpanFilter};
use serde::de::DeserializeOwned;

use crate::App;
use crate::error::AppError;

/// Subjects read per page when a recompute's results are loaded for evaluation.
const PAGE: usize = 1_000;

impl App {
    /// The workspace's alert rules (all profiles).
    pub async fn alert_rules(&self, workspace: &WorkspaceId) -> Result<Vec<AlertRule>, AppError> {
        self.definitions_of(workspace, DefinitionKind::AlertRule)
            .await
    }

    /// The workspace's custom segments (all profiles and kinds).
    pub async fn custom_segments(
        &self,
        workspace: &WorkspaceId,
    ) -> Result<Vec<SegmentDefinition>, AppError> {
        self.definitions_of(workspace, DefinitionKind::Segment)
            .await
    }

    async fn definitions_of<T: DeserializeOwned>(
        &self,
        workspace: &WorkspaceId,
        kind: DefinitionKind,
    ) -> Result<Vec<T>, AppError> {
        let mut definitions = Vec::new();
        for body in self.store.definitions(workspace, kind).await? {
            match serde_json::from_value(body) {
                Ok(definition) => definitions.push(definition),
                // Stored definitions were validated when saved; one that no longer reads
                // (an older format) is skipped and logged rather than stopping every alert.
                Err(error) => {
                    tracing::error!(workspace = %workspace, %kind, %error, "a stored definition cannot be read; skipped")
                }
            }
        }
        Ok(definitions)
    }

    /// Alerts after a recompute of `profile` as of `day` (the latest computed day).
    pub async fn evaluate_recompute(
        &self,
        workspace: &WorkspaceId,
        profile_id: &str,
        day: Day,
        previous_day: Option<Day>,
    ) -> Result<(), AppError> {
        let rules: Vec<AlertRule> = self
            .alert_rules(workspace)
            .await?
            .into_iter()
            .filter(|rule| {
                rule.profile.as_str() == profile_id && !rule.trigger.fires_from_ingestion()
            })
            .collect();
        let Some(previous_day) = previous_day else {
            return Ok(());
        };
        if rules.is_empty() {
            return Ok(());
        }
        let profile = self.require_profile(workspace, profile_id).await?;
        let current = self.load_score_set(workspace, &profile, day).await?;
        let mut previous_keys = HashMap::new();
        for kind in [SubjectKind::Users, SubjectKind::Accounts] {
            for (subject, keys) in self
                .store
                .keys_on(workspace, profile_id, kind, previous_day)
                .await?
            {
                previous_keys.insert((kind, subject), keys);
            }
        }
        let mut entered = Vec::new();
        for kind in [SubjectKind::Users, SubjectKind::Accounts] {
            for span in self
                .store
                .segment_spans(workspace, profile_id, kind, SpanFilter::EnteredOn(day))
                .await?
            {
                entered.push((kind, span.segment, span.subject));
            }
        }
        let previous_matches = self
            .store
            .rule_matches(workspace, profile_id, previous_day)
            .await?;
        let last_fired = self.last_fired(workspace, &rules).await?;
        let segments = self.custom_segments(workspace).await?;
        let context = RecomputeContext {
            profile: &profile,
            day,
            previous_day: Some(previous_day),
            now: self.clock.now(),
            current: &current,
            previous_keys: &previous_keys,
            entered: &entered,
            previous_matches: &previous_matches,
            last_fired: &last_fired,
            segments: &segments,
        };
        let alerts = decide_after_recompute(&rules, &context);
        self.raise(workspace, alerts).await
    }

    /// Alerts for one ingestion event (`AccountCreated`, `UserJoinedAccount`, `FeatureFirstUsed`).
    pub async fn evaluate_ingestion(
        &self,
        workspace: &WorkspaceId,
        event: &DomainEvent,
    ) -> Result<(), AppError> {
        let fact = match event.clone() {
            DomainEvent::AccountCreated {
                account,
                identity,
                at,
                ..
            } => IngestFact::AccountCreated {
                account,
                identity,
                at,
            },
            DomainEvent::UserJoinedAccount {
                account,
                identity,
                account_existed,
                at,
                ..
            } => IngestFact::UserJoinedAccount {
                account,
                identity,
                account_existed,
                at,
            },
            DomainEvent::FeatureFirstUsed {
                account,
                event,
                identity,
                at,
                ..
            } => IngestFact::FeatureFirstUsed {
                account,
                event,
                identity,
                at,
            },
            _ => return Ok(()),
        };
        let rules: Vec<AlertRule> = self
            .alert_rules(workspace)
            .await?
            .into_iter()
            .filter(|rule| rule.trigger.fires_from_ingestion())
            .collect();
        if rules.is_empty() {
            return Ok(());
        }
        let profiles = self.cached_profiles(workspace).await?;
        let account = fact.account().to_string();
        let account_traits = self
            .store
            .account_record(workspace, &account)
            .await?
            .map(|record| record.traits)
            .unwrap_or_default();
        let mut snapshots: Vec<AccountScore> = Vec::new();
        for profile in &profiles {
            let Some(day) = self
                .store
                .latest_day(workspace, profile.id.as_str())
                .await?
            else {
                continue;
            };
            if let Some(body) = self
                .store
                .snapshot(
                    workspace,
                    profile.id.as_str(),
                    SubjectKind::Accounts,
                    &account,
                    day,
                )
                .await?
                && let Ok(snapshot) = serde_json::from_value(body)
            {
                snapshots.push(snapshot);
            }
        }
        let identity = match &fact {
            IngestFact::AccountCreated { identity, .. }
            | IngestFact::UserJoinedAccount { identity, .. }
            | IngestFact::FeatureFirstUsed { identity, .. } => identity.clone(),
        };
        let user_name = self
            .store
            .identity_record(workspace, &identity)
            .await?
            .and_then(|record| {
                record
                    .traits
                    .get("name")
                    .and_then(|name| name.as_str())
                    .map(str::to_string)
            });
        let last_fired = self.last_fired(workspace, &rules).await?;
        let context = IngestContext {
            profiles: &profiles,
            account_traits: &account_traits,
            snapshots: &snapshots,
            user_name: user_name.as_deref(),
            last_fired: &last_fired,
            now: self.clock.now(),
        };
        let alerts = decide_from_ingestion(&rules, &fact, &context);
        self.raise(workspace, alerts).await
    }

    async fn last_fired(
        &self,
        workspace: &WorkspaceId,
        rules: &[AlertRule],
    ) -> Result<LastFired, AppError> {
        let mut last_fired = LastFired::new();
        for rule in rules.iter().filter(|rule| rule.cooldown.is_some()) {
            for (subject, at) in self.store.last_alerts(workspace, rule.id.as_str()).await? {
                last_fired.insert((rule.id.to_string(), subject), at);
            }
        }
        Ok(last_fired)
    }

    /// Records alerts and tells the notifier about the new ones, one event per channel.
    async fn raise(&self, workspace: &WorkspaceId, alerts: Vec<Alert>) -> Result<(), AppError> {
        if alerts.is_empty() {
            return Ok(());
        }
        let records: Vec<AlertRecord> = alerts
            .iter()
            .map(|alert| AlertRecord {
                id: alert.id.clone(),
                rule: alert.rule.clone(),
                subject: alert.subject.clone(),
                channel: alert.channel.clone(),
                raised_at: alert.raised_at,
                status: AlertStatus::Pending,
                next_attempt_at: None,
                alert: serde_json::to_value(alert).expect("alerts serialize"),
                attempts: Vec::new(),
            })
            .collect();
        let new_ids = self.store.insert_alerts(workspace, &records).await?;
        if new_ids.is_empty() {
            return Ok(());
        }
        let mut by_channel: BTreeMap<Option<String>, Vec<String>> = BTreeMap::new();
        for record in records
            .into_iter()
            .filter(|record| new_ids.contains(&record.id))
        {
            by_channel
                .entry(record.channel)
                .or_default()
                .push(record.id);
        }
        tracing::info!(workspace = %workspace, alerts = new_ids.len(), channels = by_channel.len(), "alerts raised");
        let events = by_channel
            .into_iter()
            .map(|(channel, alert_ids)| DomainEvent::AlertRaised {
                workspace: workspace.to_string(),
                channel,
                alert_ids,
            })
            .collect();
        // The alerts are recorded as pending: if the bus fails, the retry loop sends them.
        if let Err(error) = self.bus.publish(events).await {
            tracing::warn!(workspace = %workspace, %error, "AlertRaised not published; the pending alerts will be retried");
        }
        Ok(())
    }

    /// A computed day's users and accounts, read back from the store.
    async fn load_score_set(
        &self,
        workspace: &WorkspaceId,
        profile: &Profile,
        day: Day,
    ) -> Result<ScoreSet, AppError> {
        let users: Vec<UserScore> = self
            .load_all(workspace, profile, SubjectKind::Users, day)
            .await?;
        let accounts: Vec<AccountScore> = self
            .load_all(workspace, profile, SubjectKind::Accounts, day)
            .await?;
        let rule_matches = self
            .store
            .rule_matches(workspace, profile.id.as_str(), day)
            .await?;
        Ok(ScoreSet {
            users,
            accounts,
            p90: None,
            rule_matches,
        })
    }

    async fn load_all<T: DeserializeOwned>(
        &self,
        workspace: &WorkspaceId,
        profile: &Profile,
        kind: SubjectKind,
        day: Day,
    ) -> Result<Vec<T>, AppError> {
        let mut all = Vec::new();
        let mut cursor = None;
        loop {
            let query = ListQuery {
                sort: Sort {
                    field: SortField::Id,
                    descending: false,
                },
                limit: PAGE,
                cursor,
                ..Default::default()
            };
            let page = self
                .store
                .snapshots(workspace, profile.id.as_str(), kind, day, &query)
                .await?;
            for body in page.items {
                all.push(serde_json::from_value(body).map_err(|error| {
                    AppError::Internal(format!("a stored score cannot be read: {error}"))
                })?);
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
    }
}
