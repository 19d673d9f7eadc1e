//! Alert rules as people write them (SPEC §6) and as they are stored: YAML or JSON in,
//! every problem listed; JSON out in the same shape, so a stored rule reads like the file.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::cooldown::Cooldown;
use super::trigger::Trigger;
use crate::definition::{
    DefinitionError, DefinitionKind, document, id_field, kind_field, rule_field, scope_of,
    slug_field,
};
use crate::ids::Slug;
use crate::profile::Problems;
use crate::rules::Rule;
use crate::segments::{DEFAULT_SEGMENTS, default_segment};
use crate::snapshot::SubjectKind;

/// Longest channel name Slack allows.
pub const MAX_CHANNEL_CHARS: usize = 80;

/// An alert rule as stored (JSON in this shape) and returned by the API. Built from
/// people's YAML/JSON only through [`AlertRule::parse`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertRule {
    pub id: Slug,
    pub profile: Slug,
    pub scope: SubjectKind,
    pub trigger: Trigger,
    #[serde(rename = "where", default, skip_serializing_if = "Option::is_none")]
    pub where_rule: Option<String>,
    /// `None` posts to the default channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Per subject: after an alert, the rule stays quiet for that subject this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<Cooldown>,
}

const KEYS: [&str; 7] = [
    "id", "profile", "scope", "trigger", "where", "channel", "cooldown",
];

impl AlertRule {
    /// Parses and validates a rule written in YAML or JSON. `path_id`, the id of
    /// `PUT /v1/alerts/{id}`, fills an absent `id` and must equal a present one.
    pub fn parse(text: &str, path_id: Option<&str>) -> Result<AlertRule, DefinitionError> {
        let object = document(
            text,
            DefinitionKind::AlertRule,
            "`profile`, `scope` and `trigger`",
        )?;
        let mut problems = Problems::default();
        problems.unknown_keys("", &object, &KEYS);
        let id = id_field(object.get("id"), path_id, "cooling-off", &mut problems);
        let profile = slug_field("profile", object.get("profile"), "cs", &mut problems);
        let scope = kind_field("scope", object.get("scope"), &mut problems);
        let trigger = match object.get("trigger") {
            None | Some(Value::Null) => {
                problems.push("trigger: missing, e.g. {score_change: {by: -10}}".into());
                None
            }
            Some(value) => Trigger::from_value(value, &mut problems),
        };
        if let Some(trigger) = &trigger {
            check_trigger_scope(trigger, scope, &mut problems);
        }
        let where_rule = match object.get("where") {
            None | Some(Value::Null) => None,
            value => Some(rule_field("where", value, scope, &mut problems)),
        };
        let channel = channel(object.get("channel"), &mut problems);
        let cooldown = match object.get("cooldown") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Cooldown::parse(text)
                .map_err(|problem| problems.push(format!("cooldown: {problem}")))
                .ok(),
            Some(other) => {
                problems.push(format!(
                    "cooldown: must be a duration such as `24h`, `30m`, `2d` or `1h30m`, got {other}"
                ));
                None
            }
        };
        match (id, profile, scope, trigger) {
            (Some(id), Some(profile), Some(scope), Some(trigger)) if problems.0.is_empty() => {
                Ok(AlertRule {
                    id,
                    profile,
                    scope,
                    trigger,
                    where_rule: where_rule.flatten(),
                    channel,
                    cooldown,
                })
            }
            _ => Err(DefinitionError::new(DefinitionKind::AlertRule, problems.0)),
        }
    }
}

/// The checks that need the scope: who a trigger can be about, and a custom rule's fields.
fn check_trigger_scope(trigger: &Trigger, scope: Option<SubjectKind>, problems: &mut Problems) {
    match trigger {
        Trigger::NewUser | Trigger::CoreFeatureAdopted if scope == Some(SubjectKind::Users) => {
            problems.push(format!(
                "trigger: `{}` is about an account (a new account or member, a first use by \
                 the account); set `scope: accounts`",
                trigger.name()
            ));
        }
        Trigger::Custom { rule } => {
            rule_field(
                "trigger.custom.rule",
                Some(&Value::String(rule.clone())),
                scope,
                problems,
            );
        }
        Trigger::EnteredSegment { segment } => {
            let is_default = DEFAULT_SEGMENTS.iter().any(|default| default.id == segment);
            if let Some(scope) = scope
                && is_default
                && default_segment(segment, scope).is_none()
            {
                problems.push(format!(
                    "trigger.entered_segment.segment: `{segment}` is a segment of accounts only"
                ));
            }
        }
        _ => {}
    }
}

fn channel(value: Option<&Value>, problems: &mut Problems) -> Option<String> {
    let name = match value {
        None | Some(Value::Null) => return None,
        Some(Value::String(name)) => name,
        Some(other) => {
            problems.push(format!(
                "channel: must be a channel name such as `cs-alerts`, got {other}"
            ));
            return None;
        }
    };
    let valid = !name.is_empty()
        && name.chars().count() <= MAX_CHANNEL_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if valid {
        return Some(name.clone());
    }
    let hint = if name.starts_with('#') {
        "; write it without the `#`"
    } else {
        ""
    };
    problems.push(format!(
        "channel: `{name}` must be 1 to {MAX_CHANNEL_CHARS} of a-z, 0-9, `_` and `-`, like `cs-alerts`{hint}"
    ));
    None
}

/// The key under which [`crate::scoring::compute`] reports the matches of a rule's `where`.
pub fn where_key(rule_id: &str) -> String {
    format!("where:{rule_id}")
}

/// The key under which [`crate::scoring::compute`] reports the matches of a custom trigger.
pub fn custom_key(rule_id: &str) -> String {
    format!("custom:{rule_id}")
}

/// The extra rules a computation must evaluate for this alert rule (see
/// [`crate::extras::Extras::rules`]): its `where` under `where:<id>` and, for a custom
/// trigger, its rule under `custom:<id>`. A stored expression the rule language no longer
/// accepts is left out, so its key is missing and the alert rule does not fire.
pub fn rule_keys(rule: &AlertRule) -> Vec<(String, Rule)> {
    let scope = scope_of(rule.scope);
    let mut keys = Vec::new();
    if let Some(source) = &rule.where_rule
        && let Ok(compiled) = Rule::parse(source, scope)
    {
        keys.push((where_key(rule.id.as_str()), compiled));
    }
    if let Trigger::Custom { rule: source } = &rule.trigger
        && let Ok(compiled) = Rule::parse(source, scope)
    {
        keys.push((custom_key(rule.id.as_str()), compiled));
    }
    keys
}
