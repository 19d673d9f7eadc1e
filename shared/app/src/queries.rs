//! The read side of the admin API (SPEC §7): which profile and day a read is about, lists
//! of scored users and accounts, one subject with its breakdown, members and history, and
//! the default segments with their sizes.

use pulse_core::segments::{DEFAULT_SEGMENTS, default_segment};
use pulse_core::{Day, Profile, SegmentDefinition, SubjectKind, WorkspaceId};
use pulse_store::{ListQuery, Page, SpanFilter};
use serde_json::{Value, json};

use crate::App;
use crate::error::AppError;

/// How many days of history a single-item read includes.
pub const HISTORY_DAYS: i32 = 90;

impl App {
    /// The profile a read is about: the named one, or the workspace's only profile.
    pub async fn resolve_profile(
        &self,
        workspace: &WorkspaceId,
        id: Option<&str>,
    ) -> Result<Profile, AppError> {
        if let Some(id) = id {
            return self.require_profile(workspace, id).await;
        }
        let mut profiles = self.store.profiles(workspace).await?;
        match profiles.len() {
            1 => Ok(profiles.remove(0)),
            0 => Err(AppError::not_found(
                "this workspace has no profiles yet — apply one with PUT /v1/profiles/{id} or `pulse profile apply`",
            )),
            _ => Err(AppError::bad_request(
                "profile_required",
                format!(
                    "this workspace has several profiles; pass profile= one of: {}",
                    profiles
                        .iter()
                        .map(|p| p.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }

    /// The day a read is about: `as_of` when given, else the latest computed day.
    pub async fn resolve_day(
        &self,
        workspace: &WorkspaceId,
        profile: &Profile,
        as_of: Option<Day>,
    ) -> Result<Day, AppError> {
        if let Some(day) = as_of {
            if self
                .store
                .is_computed(workspace, profile.id.as_str(), day)
                .await?
            {
                return Ok(day);
            }
            let latest = self
                .store
                .latest_day(workspace, profile.id.as_str())
                .await?;
            return Err(AppError::not_found(match latest {
                Some(latest) => format!(
                    "profile `{}` was not computed as of {day} (the latest computed day is {latest}); recompute it with POST /v1/recompute {{\"as_of\": \"{day}\"}}",
                    profile.id
                ),
                None => format!(
                    "profile `{}` has no scores yet — run POST /v1/recompute or `pulse recompute`",
                    profile.id
                ),
            }));
        }
        self.store
            .latest_day(workspace, profile.id.as_str())
            .await?
            .ok_or_else(|| {
                AppError::not_found(format!(
                    "profile `{}` has no scores yet — run POST /v1/recompute or `pulse recompute`",
                    profile.id
                ))
            })
    }

    /// A page of scored users or accounts, as list items (no breakdown or members).
    pub async fn list_scores(
        &self,
        workspace: &WorkspaceId,
        profile: &Profile,
        kind: SubjectKind,
        day: Day,
        query: &ListQuery,
    ) -> Result<Page<Value>, AppError> {
        if let Some(segment) = &query.segment {
            self.require_segment(workspace, profile, kind, segment)
                .await?;
        }
        let mut page = self
            .store
            .snapshots(workspace, profile.id.as_str(), kind, day, query)
            .await?;
        for item in &mut page.items {
            as_list_item(item);
        }
        Ok(page)
    }

    /// One user or account with its breakdown, history and segment history.
    pub async fn subject_detail(
        &self,
        workspace: &WorkspaceId,
        profile: &Profile,
        kind: SubjectKind,
        id: &str,
        day: Day,
    ) -> Result<Value, AppError> {
        let profile_id = profile.id.as_str();
        let mut resource = self
            .store
            .snapshot(workspace, profile_id, kind, id, day)
            .await?
            .ok_or_else(|| {
                AppError::not_found(format!(
                    "no {} `{id}` was scored by profile `{profile_id}` on {day}",
                    match kind {
                        SubjectKind::Users => "user",
                        SubjectKind::Accounts => "account",
                    }
                ))
            })?;
        let history = self
            .store
            .history(
                workspace,
                profile_id,
                kind,
                id,
                day.plus(1 - HISTORY_DAYS),
                day,
            )
            .await?;
        let spans = self
            .store
            .segment_spans(workspace, profile_id, kind, SpanFilter::Subject(id))
            .await?;
        if let Value::Object(object) = &mut resource {
            object.insert("history".into(), json!(history));
            object.insert(
                "segment_history".into(),
                json!(spans
                    .iter()
                    .map(|span| json!({"segment": span.segment, "entered": span.entered, "left": span.left}))
                    .collect::<Vec<_>>()),
            );
        }
        Ok(resource)
    }

    /// The segments of a kind — the defaults, then the profile's custom ones — with their
    /// sizes on a day.
    pub async fn list_segments(
        &self,
        workspace: &WorkspaceId,
        profile: &Profile,
        kind: SubjectKind,
        day: Option<Day>,
    ) -> Result<Vec<Value>, AppError> {
        let sizes = match day {
            Some(day) => {
                self.store
                    .segment_sizes(workspace, profile.id.as_str(), kind, day)
                    .await?
            }
            None => Default::default(),
        };
        let size = |id: &str| sizes.get(id).copied().unwrap_or(0);
        let mut segments: Vec<Value> = DEFAULT_SEGMENTS
            .iter()
            .filter(|segment| default_segment(segment.id, kind).is_some())
            .map(|segment| {
                json!({
                    "id": segment.id, "name": segment.name, "kind": kind.as_str(),
                    "profile": profile.id.as_str(), "rule": segment.description, "default": true,
                    "as_of": day, "size": size(segment.id),
                })
            })
            .collect();
        for custom in self.custom_segments_of(workspace, profile, kind).await? {
            segments.push(json!({
                "id": custom.id, "name": custom.name, "kind": kind.as_str(),
                "profile": custom.profile, "rule": custom.rule, "default": false,
                "as_of": day, "size": size(custom.id.as_str()),
            }));
        }
        Ok(segments)
    }

    async fn custom_segments_of(
        &self,
        workspace: &WorkspaceId,
        profile: &Profile,
        kind: SubjectKind,
    ) -> Result<Vec<SegmentDefinition>, AppError> {
        Ok(self
            .custom_segments(workspace)
            .await?
            .into_iter()
            .filter(|segment| segment.profile == profile.id && segment.kind == kind)
            .collect())
    }

    /// A segment that must exist for the profile and kind (default or custom).
    pub async fn require_segment(
        &self,
        workspace: &WorkspaceId,
        profile: &Profile,
        kind: SubjectKind,
        id: &str,
    ) -> Result<(), AppError> {
        if default_segment(id, kind).is_some() {
            return Ok(());
        }
        let customs = self.custom_segments_of(workspace, profile, kind).await?;
        if customs.iter().any(|segment| segment.id.as_str() == id) {
            return Ok(());
        }
        let known: Vec<&str> = DEFAULT_SEGMENTS
            .iter()
            .filter(|segment| default_segment(segment.id, kind).is_some())
            .map(|segment| segment.id)
            .chain(customs.iter().map(|segment| segment.id.as_str()))
            .collect();
        Err(AppError::not_found(format!(
            "no {} segment `{id}` in profile `{}`; known: {}",
            kind.as_str(),
            profile.id,
            known.join(", ")
        )))
    }
}

/// List items carry the resource without the single-item extras.
pub fn as_list_item(item: &mut Value) {
    if let Value::Object(object) = item {
        object.remove("breakdown");
        object.remove("members");
    }
}
