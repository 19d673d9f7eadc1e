//! Managing custom segments and alert rules (SPEC §5, §6): validated when saved — every
//! problem listed, the profile must exist, every segment named must exist, references
//! resolve without cycles — and refused on delete (or on a change of kind or profile)
//! while something still uses them.

use pulse_core::alerts::{AlertRule, Trigger, rule_keys};
use pulse_core::segments::default_segment;
use pulse_core::{
    DefinitionError, DefinitionKind, SegmentDefinition, Slug, SubjectKind, WorkspaceId,
    evaluation_order,
};
use serde_json::json;

use crate::App;
use crate::error::AppError;

fn invalid(code: &'static str, error: DefinitionError) -> AppError {
    AppError::BadRequest {
        code,
        message: error.to_string(),
        details: Some(json!({"problems": error.problems})),
    }
}

fn refused(code: &'static str, message: String) -> AppError {
    AppError::BadRequest {
        code,
        message: message.clone(),
        details: Some(json!({"problems": [message]})),
    }
}

impl App {
    /// Validates and saves a custom segment (YAML or JSON).
    pub async fn apply_segment(
        &self,
        workspace: &WorkspaceId,
        path_id: Option<&str>,
        text: &[u8],
    ) -> Result<SegmentDefinition, AppError> {
        let text = std::str::from_utf8(text)
            .map_err(|_| AppError::bad_request("invalid_segment", "the body is not UTF-8 text"))?;
        let segment = SegmentDefinition::parse(text, path_id)
            .map_err(|error| invalid("invalid_segment", error))?;
        self.require_profile(workspace, segment.profile.as_str())
            .await?;
        let customs = self.custom_segments(workspace).await?;
        if let Some(previous) = customs.iter().find(|existing| existing.id == segment.id)
            && (previous.profile != segment.profile || previous.kind != segment.kind)
        {
            let users = self
                .segment_users(
                    workspace,
                    previous.id.as_str(),
                    &previous.profile,
                    previous.kind,
                )
                .await?;
            if !users.is_empty() {
                return Err(refused(
                    "segment_in_use",
                    format!(
                        "`{}` is used as a {} segment of profile `{}` by {}; it cannot change its kind or profile",
                        previous.id,
                        previous.kind.as_str(),
                        previous.profile,
                        users.join(", ")
                    ),
                ));
            }
        }
        let mut family: Vec<SegmentDefinition> = customs
            .into_iter()
            .filter(|other| {
                other.id != segment.id
                    && other.profile == segment.profile
                    && other.kind == segment.kind
            })
            .collect();
        family.push(segment.clone());
        evaluation_order(&family).map_err(|error| invalid("invalid_segment", error))?;
        self.store
            .put_definition(
                workspace,
                DefinitionKind::Segment,
                segment.id.as_str(),
                &json!(segment),
            )
            .await?;
        tracing::info!(workspace = %workspace, segment = %segment.id, "custom segment saved");
        Ok(segment)
    }

    /// Deletes a custom segment unless another segment or an alert rule uses it.
    pub async fn delete_segment(&self, workspace: &WorkspaceId, id: &str) -> Result<(), AppError> {
        let segments = self.custom_segments(workspace).await?;
        let Some(segment) = segments.iter().find(|segment| segment.id.as_str() == id) else {
            return Err(if default_segment(id, SubjectKind::Accounts).is_some() {
                AppError::bad_request(
                    "default_segment",
                    format!("`{id}` is a default segment; it cannot be deleted"),
                )
            } else {
                AppError::not_found(format!("no custom segment `{id}`"))
            });
        };
        let users = self
            .segment_users(workspace, id, &segment.profile, segment.kind)
            .await?;
        if !users.is_empty() {
            return Err(refused(
                "segment_in_use",
                format!(
                    "`{id}` is used by {}; change or delete them first",
                    users.join(", ")
                ),
            ));
        }
        self.store
            .delete_definition(workspace, DefinitionKind::Segment, id)
            .await?;
        Ok(())
    }

    /// What refers to segment `id` of `profile` and `kind`: other custom segments (with
    /// `segment('…')`) and alert rules (an `entered_segment` trigger, or `segment('…')`
    /// in their `where` or `custom` rule).
    async fn segment_users(
        &self,
        workspace: &WorkspaceId,
        id: &str,
        profile: &Slug,
        kind: SubjectKind,
    ) -> Result<Vec<String>, AppError> {
        let mut users = Vec::new();
        for segment in self.custom_segments(workspace).await? {
            if segment.id.as_str() != id
                && segment.profile == *profile
                && segment.kind == kind
                && segment
                    .compiled()
                    .segments_referenced()
                    .iter()
                    .any(|used| used == id)
            {
                users.push(format!("segment `{}`", segment.id));
            }
        }
        for rule in self.alert_rules(workspace).await? {
            if rule.profile == *profile
                && rule.scope == kind
                && named_segments(&rule).iter().any(|(_, used)| used == id)
            {
                users.push(format!("alert rule `{}`", rule.id));
            }
        }
        Ok(users)
    }

    /// Validates and saves an alert rule (YAML or JSON).
    pub async fn apply_alert_rule(
        &self,
        workspace: &WorkspaceId,
        path_id: Option<&str>,
        text: &[u8],
    ) -> Result<AlertRule, AppError> {
        let text = std::str::from_utf8(text).map_err(|_| {
            AppError::bad_request("invalid_alert_rule", "the body is not UTF-8 text")
        })?;
        let rule = AlertRule::parse(text, path_id)
            .map_err(|error| invalid("invalid_alert_rule", error))?;
        self.require_profile(workspace, rule.profile.as_str())
            .await?;
        let customs = self.custom_segments(workspace).await?;
        let problems: Vec<String> = named_segments(&rule)
            .into_iter()
            .filter(|(_, segment)| {
                default_segment(segment, rule.scope).is_none()
                    && !customs.iter().any(|custom| {
                        custom.id.as_str() == segment
                            && custom.profile == rule.profile
                            && custom.kind == rule.scope
                    })
            })
            .map(|(place, segment)| {
                format!(
                    "{place}: no {} segment `{segment}` in profile `{}`",
                    rule.scope.as_str(),
                    rule.profile
                )
            })
            .collect();
        if !problems.is_empty() {
            return Err(AppError::BadRequest {
                code: "invalid_alert_rule",
                message: format!("invalid alert rule: {}", problems.join("; ")),
                details: Some(json!({"problems": problems})),
            });
        }
        self.store
            .put_definition(
                workspace,
                DefinitionKind::AlertRule,
                rule.id.as_str(),
                &json!(rule),
            )
            .await?;
        tracing::info!(workspace = %workspace, rule = %rule.id, "alert rule saved");
        Ok(rule)
    }
}

/// Every segment an alert rule names, with where: its `entered_segment` trigger and
/// `segment('…')` in its `where` and `custom` rules.
fn named_segments(rule: &AlertRule) -> Vec<(&'static str, String)> {
    let mut named = Vec::new();
    if let Trigger::EnteredSegment { segment } = &rule.trigger {
        named.push(("trigger.entered_segment.segment", segment.clone()));
    }
    for (key, compiled) in rule_keys(rule) {
        let place = if key.starts_with("where") {
            "where"
        } else {
            "trigger.custom.rule"
        };
        for segment in compiled.segments_referenced() {
            named.push((place, segment));
        }
    }
    named.sort();
    named.dedup();
    named
}
