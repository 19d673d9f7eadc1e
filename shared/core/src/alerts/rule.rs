//! Alert rules as people write them (SPEC §6) and as they are stored: YAML or JSON in,
//! every problem listed; JSON out in the same shape, so a stored rule reads like the file.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

use super::cooldown::Cooldown;
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

/// What makes a rule fire. Written (and stored) as in the SPEC: `new_user`,
/// `core_feature_adopted`, or a one-key mapping such as `{score_change: {by: -10}}`.
#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    ScoreChange { by: f64 },
    NewUser,
    ActivationAbove { percent: f64 },
    EnteredSegment { segment: String },
    CoreFeatureAdopted,
    Custom { rule: String },
}

const TRIGGERS: [&str; 6] = [
    "score_change",
    "new_user",
    "activation_above",
    "entered_segment",
    "core_feature_adopted",
    "custom",
];

const KEYS: [&str; 7] = [
    "id", "profile", "scope", "trigger", "where", "channel", "cooldown",
];

impl Trigger {
    pub fn name(&self) -> &'static str {
        match self {
            Trigger::ScoreChange { .. } => "score_change",
            Trigger::NewUser => "new_user",
            Trigger::ActivationAbove { .. } => "activation_above",
            Trigger::EnteredSegment { .. } => "entered_segment",
            Trigger::CoreFeatureAdopted => "core_feature_adopted",
            Trigger::Custom { .. } => "custom",
        }
    }

    /// `new_user` and `core_feature_adopted` fire from ingestion; the others after a recompute.
    pub fn fires_from_ingestion(&self) -> bool {
        matches!(self, Trigger::NewUser | Trigger::CoreFeatureAdopted)
    }

    fn to_value(&self) -> Value {
        match self {
            Trigger::NewUser | Trigger::CoreFeatureAdopted => json!(self.name()),
            Trigger::ScoreChange { by } => json!({"score_change": {"by": whole(*by)}}),
            Trigger::ActivationAbove { percent } => {
                json!({"activation_above": {"percent": whole(*percent)}})
            }
            Trigger::EnteredSegment { segment } => {
                json!({"entered_segment": {"segment": segment}})
            }
            Trigger::Custom { rule } => json!({"custom": {"rule": rule}}),
        }
    }

    /// The trigger's shape and values; the scope checks are [`AlertRule::parse`]'s.
    fn from_value(value: &Value, problems: &mut Problems) -> Option<Trigger> {
        let (name, parameters) = match value {
            Value::String(name) => (name.as_str(), None),
            Value::Object(object) if object.len() == 1 => {
                let (name, parameters) = object.iter().next().expect("one entry");
                (name.as_str(), Some(parameters))
            }
            _ => {
                problems.push(
                    "trigger: must be `new_user`, `core_feature_adopted`, or one mapping such as \
                     {score_change: {by: -10}}"
                        .into(),
                );
                return None;
            }
        };
        let at = format!("trigger.{name}");
        let parameters = match parameters {
            None | Some(Value::Null) => None,
            Some(Value::Object(object)) if object.is_empty() => None,
            Some(Value::Object(object)) => Some(object),
            Some(_) => {
                problems.push(format!("{at}: parameters must be a mapping"));
                return None;
            }
        };
        match name {
            "new_user" | "core_feature_adopted" => match parameters {
                None if name == "new_user" => Some(Trigger::NewUser),
                None => Some(Trigger::CoreFeatureAdopted),
                Some(_) => {
                    problems.push(format!("{at}: takes no parameters"));
                    None
                }
            },
            "score_change" => {
                let by = number(name, parameters, "by", problems)?;
                if by == 0.0 || by.abs() > 100.0 {
                    problems.push(format!(
                        "{at}.by: must be a number of points from -100 to 100 other than 0 \
                         (negative = a drop), got {by}"
                    ));
                    return None;
                }
                Some(Trigger::ScoreChange { by })
            }
            "activation_above" => {
                let percent = number(name, parameters, "percent", problems)?;
                if !(percent > 0.0 && percent <= 100.0) {
                    problems.push(format!(
                        "{at}.percent: must be more than 0 and at most 100, got {percent}"
                    ));
                    return None;
                }
                Some(Trigger::ActivationAbove { percent })
            }
            "entered_segment" => {
                let segment = text(name, parameters, "segment", "ice_cold", problems)?;
                match Slug::parse(&segment) {
                    Ok(_) => Some(Trigger::EnteredSegment { segment }),
                    Err(error) => {
                        problems.push(format!("{at}.segment: {error}"));
                        None
                    }
                }
            }
            "custom" => {
                let rule = text(name, parameters, "rule", "score < 20", problems)?;
                Some(Trigger::Custom { rule })
            }
            unknown => {
                let hint = TRIGGERS
                    .iter()
                    .max_by(|a, b| {
                        strsim::jaro_winkler(unknown, a)
                            .total_cmp(&strsim::jaro_winkler(unknown, b))
                    })
                    .filter(|closest| strsim::jaro_winkler(unknown, closest) > 0.8)
                    .map(|closest| format!(" — did you mean `{closest}`?"))
                    .unwrap_or_default();
                problems.push(format!(
                    "trigger: unknown trigger `{unknown}` (expected one of: {}){hint}",
                    TRIGGERS.join(", ")
                ));
                None
            }
        }
    }
}

/// Whole numbers are written without a fraction, as people write them (`by: -10`).
fn whole(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() <= 1e15 {
        json!(value as i64)
    } else {
        json!(value)
    }
}

/// The single parameter `key` of trigger `name`, after checking no other key is there.
fn parameter<'v>(
    name: &str,
    parameters: Option<&'v Map<String, Value>>,
    key: &str,
    example: &str,
    problems: &mut Problems,
) -> Option<&'v Value> {
    if let Some(parameters) = parameters {
        problems.unknown_keys(&format!("trigger.{name}."), parameters, &[key]);
    }
    let value = parameters.and_then(|parameters| parameters.get(key));
    if value.is_none_or(Value::is_null) {
        problems.push(format!(
            "trigger.{name}.{key}: missing, e.g. {{{name}: {{{key}: {example}}}}}"
        ));
        return None;
    }
    value
}

fn number(
    name: &str,
    parameters: Option<&Map<String, Value>>,
    key: &str,
    problems: &mut Problems,
) -> Option<f64> {
    let example = if key == "by" { "-10" } else { "100" };
    let value = parameter(name, parameters, key, example, problems)?;
    let number = value.as_f64().filter(|number| number.is_finite());
    if number.is_none() {
        problems.push(format!(
            "trigger.{name}.{key}: must be a number, got {value}"
        ));
    }
    number
}

fn text(
    name: &str,
    parameters: Option<&Map<String, Value>>,
    key: &str,
    example: &str,
    problems: &mut Problems,
) -> Option<String> {
    let value = parameter(name, parameters, key, example, problems)?;
    match value.as_str().filter(|text| !text.trim().is_empty()) {
        Some(text) => Some(text.to_string()),
        None => {
            problems.push(format!(
                "trigger.{name}.{key}: must be non-empty text, got {value}"
            ));
            None
        }
    }
}

impl Serialize for Trigger {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Trigger {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let mut problems = Problems::default();
        Trigger::from_value(&value, &mut problems)
            .filter(|_| problems.0.is_empty())
            .ok_or_else(|| serde::de::Error::custom(problems.0.join("; ")))
    }
}

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
