//! What makes an alert rule fire, written (and stored) as in the SPEC: `new_user`,
//! `core_feature_adopted`, or a one-key mapping such as `{score_change: {by: -10}}`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

use crate::ids::Slug;
use crate::profile::Problems;

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
    pub(super) fn from_value(value: &Value, problems: &mut Problems) -> Option<Trigger> {
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
