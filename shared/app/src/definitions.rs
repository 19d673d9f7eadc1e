//! Managing custom segments and alert rules (SPEC §5, §6): validated when saved — every
//! problem listed, the profile must exist, segment references must resolve without
//! cycles — and refused on delete while something still uses them.

use pulse_core::alerts::{AlertRule, Trigger};
use pulse_core::segments::default_segment;
use pulse_core::{
    DefinitionError, DefinitionKind, SegmentDefinition, SubjectKind, WorkspaceId, evaluation_order,
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

fn conflict(code: &'static str, message: String) -> AppError {
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
        let mut family: Vec<SegmentDefinition> = self
            .custom_segments(workspace)
            .await?
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
        let remaining: Vec<SegmentDefinition> = segments
            .iter()
            .filter(|other| {
                other.id != segment.id
                    && other.profile == segment.profile
                    && other.kind == segment.kind
            })
            .cloned()
            .collect();
        if let Err(error) = evaluation_order(&remaining) {
            return Err(conflict(
                "segment_in_use",
                format!("other segments use `{id}`: {}", error.problems.join("; ")),
            ));
        }
        let users: Vec<String> = self
            .alert_rules(workspace)
            .await?
            .into_iter()
            .filter(|rule| matches!(&rule.trigger, Trigger::EnteredSegment { segment: used } if used == id))
            .map(|rule| rule.id.to_string())
            .collect();
        if !users.is_empty() {
            return Err(conflict(
                "segment_in_use",
                format!(
                    "alert rules use `{id}`: {}; change or delete them first",
                    users.join(", ")
                ),
            ));
        }
        self.store
            .delete_definition(workspace, DefinitionKind::Segment, id)
            .await?;
        Ok(())
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
        if let Trigger::EnteredSegment { segment } = &rule.trigger {
            let known = default_segment(segment, rule.scope).is_some()
                || self.custom_segments(workspace).await?.iter().any(|custom| {
                    custom.id.as_str() == segment
                        && custom.profile == rule.profile
                        && custom.kind == rule.scope
                });
            if !known {
                return Err(conflict(
                    "invalid_alert_rule",
                    format!(
                        "trigger.entered_segment.segment: no {} segment `{segment}` in profile `{}`",
                        rule.scope.as_str(),
                        rule.profile
                    ),
                ));
            }
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
