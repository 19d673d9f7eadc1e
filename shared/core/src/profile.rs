//! Scoring profiles (SPEC §3): the YAML/JSON a CS team writes, validated with every
//! problem listed, and the typed [`Profile`] the metrics read.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ids::{EventName, Slug};
use crate::rules::{Rule, Scope};

pub const DEFAULT_WINDOW_DAYS: u32 = 7;
pub const ALLOWED_WINDOWS: [u32; 3] = [1, 7, 30];
pub const MAX_WEIGHT: u64 = 10;
pub const MAX_EVENTS: usize = 500;
pub const MAX_CRITERIA: usize = 50;
pub const MAX_NAME_CHARS: usize = 200;

/// A validated scoring profile. Stored as JSON in this shape; parsed from people's
/// YAML/JSON only through [`Profile::parse`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub id: Slug,
    pub name: String,
    pub window_days: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<Population>,
    /// Every listed event with its weight; weight 0 = listed but not scored.
    pub events: BTreeMap<String, u32>,
    #[serde(default)]
    pub core_features: Vec<String>,
    #[serde(default)]
    pub activation: Vec<Criterion>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Population {
    #[serde(rename = "where")]
    pub where_rule: String,
}

/// One activation criterion: an all-time event count or a trait test.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Criterion {
    pub name: String,
    #[serde(flatten)]
    pub test: CriterionTest,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CriterionTest {
    Event {
        event: String,
        min_count: u64,
    },
    Trait {
        #[serde(rename = "trait")]
        trait_name: String,
        op: TraitOp,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<Value>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TraitOp {
    Exists,
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    Contains,
}

impl TraitOp {
    pub fn as_str(self) -> &'static str {
        match self {
            TraitOp::Exists => "exists",
            TraitOp::Eq => "eq",
            TraitOp::Ne => "ne",
            TraitOp::Gt => "gt",
            TraitOp::Gte => "gte",
            TraitOp::Lt => "lt",
            TraitOp::Lte => "lte",
            TraitOp::Contains => "contains",
        }
    }

    fn parse(text: &str) -> Option<TraitOp> {
        Some(match text {
            "exists" => TraitOp::Exists,
            "eq" => TraitOp::Eq,
            "ne" => TraitOp::Ne,
            "gt" => TraitOp::Gt,
            "gte" => TraitOp::Gte,
            "lt" => TraitOp::Lt,
            "lte" => TraitOp::Lte,
            "contains" => TraitOp::Contains,
            _ => return None,
        })
    }
}

/// Every problem found in a profile, each prefixed with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid profile: {}", .problems.join("; "))]
pub struct ProfileError {
    pub problems: Vec<String>,
}

impl Profile {
    /// Parses and validates a profile written in YAML or JSON.
    pub fn parse(text: &str) -> Result<Profile, ProfileError> {
        let document = parse_document(text).map_err(|problem| ProfileError {
            problems: vec![problem],
        })?;
        Profile::from_document(&document)
    }

    /// Validates an already-parsed document.
    pub fn from_document(document: &Value) -> Result<Profile, ProfileError> {
        let mut problems = Problems::default();
        let Some(object) = document.as_object() else {
            return Err(ProfileError {
                problems: vec![
                    "a profile must be a mapping with at least `id` and `events`".into(),
                ],
            });
        };
        problems.unknown_keys(
            "",
            object,
            &[
                "id",
                "name",
                "window_days",
                "population",
                "events",
                "core_features",
                "activation",
            ],
        );
        let id = parse_id(object.get("id"), &mut problems);
        let name = match object.get("name") {
            None | Some(Value::Null) => None,
            Some(Value::String(name))
                if !name.trim().is_empty() && name.chars().count() <= MAX_NAME_CHARS =>
            {
                Some(name.clone())
            }
            Some(_) => {
                problems.push(format!(
                    "name: must be a non-empty string of at most {MAX_NAME_CHARS} characters"
                ));
                None
            }
        };
        let window_days = parse_window(object.get("window_days"), &mut problems);
        let population = parse_population(object.get("population"), &mut problems);
        let events = parse_events(object.get("events"), &mut problems);
        let core_features =
            parse_core_features(object.get("core_features"), &events, &mut problems);
        let activation = parse_activation(object.get("activation"), &mut problems);

        match (id, problems.0.is_empty()) {
            (Some(id), true) => Ok(Profile {
                name: name.unwrap_or_else(|| id.to_string()),
                id,
                window_days,
                population,
                events,
                core_features,
                activation,
            }),
            _ => Err(ProfileError {
                problems: problems.0,
            }),
        }
    }

    /// The events with weight ≥ 1, in name order.
    pub fn scored_events(&self) -> impl Iterator<Item = (&str, u32)> {
        self.events
            .iter()
            .filter(|(_, weight)| **weight >= 1)
            .map(|(name, weight)| (name.as_str(), *weight))
    }

    pub fn weight(&self, event: &str) -> u32 {
        self.events.get(event).copied().unwrap_or(0)
    }

    /// The compiled population filter; `None` scores everyone.
    pub fn population_rule(&self) -> Option<Rule> {
        let population = self.population.as_ref()?;
        Rule::parse(&population.where_rule, Scope::Population).ok()
    }

    /// The events whose all-time count matters: scored events and event criteria.
    pub fn all_time_events(&self) -> BTreeSet<&str> {
        let mut events: BTreeSet<&str> = self.scored_events().map(|(name, _)| name).collect();
        for criterion in &self.activation {
            if let CriterionTest::Event { event, .. } = &criterion.test {
                events.insert(event);
            }
        }
        events
    }
}

/// Parses YAML or JSON text (JSON is YAML) into a JSON value, for validation.
pub fn parse_document(text: &str) -> Result<Value, String> {
    serde_yaml_ng::from_str(text).map_err(|error| format!("not valid YAML or JSON: {error}"))
}

/// Problems collected while validating a document, so that all are reported at once.
#[derive(Default)]
pub(crate) struct Problems(pub(crate) Vec<String>);

impl Problems {
    pub(crate) fn push(&mut self, problem: String) {
        self.0.push(problem);
    }

    pub(crate) fn unknown_keys(&mut self, at: &str, object: &Map<String, Value>, allowed: &[&str]) {
        for key in object.keys() {
            if !allowed.contains(&key.as_str()) {
                self.push(format!(
                    "{at}`{key}`: unknown key (expected one of: {})",
                    allowed.join(", ")
                ));
            }
        }
    }
}

fn parse_id(value: Option<&Value>, problems: &mut Problems) -> Option<Slug> {
    match value {
        Some(Value::String(text)) => match Slug::parse(text) {
            Ok(id) => Some(id),
            Err(error) => {
                problems.push(format!("id: {error}"));
                None
            }
        },
        None | Some(Value::Null) => {
            problems.push("id: missing (a slug such as `cs`)".into());
            None
        }
        Some(_) => {
            problems.push("id: must be a string such as `cs`".into());
            None
        }
    }
}

fn parse_window(value: Option<&Value>, problems: &mut Problems) -> u32 {
    match value {
        None | Some(Value::Null) => DEFAULT_WINDOW_DAYS,
        Some(value) => match value.as_u64() {
            Some(days) if ALLOWED_WINDOWS.contains(&(days as u32)) && days <= 30 => days as u32,
            _ => {
                problems.push(format!("window_days: must be 1, 7 or 30 (got {value})"));
                DEFAULT_WINDOW_DAYS
            }
        },
    }
}

fn parse_population(value: Option<&Value>, problems: &mut Problems) -> Option<Population> {
    let object = match value {
        None | Some(Value::Null) => return None,
        Some(Value::Object(object)) => object,
        Some(_) => {
            problems.push("population: must be a mapping with `where: \"<rule>\"`".into());
            return None;
        }
    };
    problems.unknown_keys("population.", object, &["where"]);
    match object.get("where") {
        Some(Value::String(rule)) => match Rule::parse(rule, Scope::Population) {
            Ok(_) => Some(Population {
                where_rule: rule.clone(),
            }),
            Err(errors) => {
                problems.push(format!("population.where: {errors}"));
                None
            }
        },
        None | Some(Value::Null) => None,
        Some(_) => {
            problems.push("population.where: must be a rule expression in a string".into());
            None
        }
    }
}

fn parse_events(value: Option<&Value>, problems: &mut Problems) -> BTreeMap<String, u32> {
    let mut events = BTreeMap::new();
    let object = match value {
        Some(Value::Object(object)) if !object.is_empty() => object,
        None | Some(Value::Null) => {
            problems.push("events: missing (a mapping of event name to weight 1..10)".into());
            return events;
        }
        Some(_) => {
            problems
                .push("events: must be a non-empty mapping of event name to weight 1..10".into());
            return events;
        }
    };
    if object.len() > MAX_EVENTS {
        problems.push(format!(
            "events: {} events listed; at most {MAX_EVENTS}",
            object.len()
        ));
    }
    for (name, weight) in object {
        if let Err(error) = EventName::parse(name) {
            problems.push(format!("events.`{name}`: event name {error}"));
            continue;
        }
        match weight.as_u64() {
            Some(weight) if weight <= MAX_WEIGHT => {
                events.insert(name.clone(), weight as u32);
            }
            _ => problems.push(format!(
                "events.`{name}`: weight must be a whole number from 0 to {MAX_WEIGHT} (got {weight})"
            )),
        }
    }
    if !object.is_empty() && object.values().all(|weight| weight.as_u64() == Some(0)) {
        problems.push("events: at least one event needs a weight of 1 or more".into());
    }
    events
}

fn parse_core_features(
    value: Option<&Value>,
    events: &BTreeMap<String, u32>,
    problems: &mut Problems,
) -> Vec<String> {
    let list = match value {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(list)) => list,
        Some(_) => {
            problems.push("core_features: must be a list of event names".into());
            return Vec::new();
        }
    };
    let mut features = Vec::new();
    for (index, item) in list.iter().enumerate() {
        match item.as_str() {
            Some(name) if events.contains_key(name) => {
                if !features.iter().any(|known: &String| known == name) {
                    features.push(name.to_string());
                }
            }
            Some(name) => problems.push(format!(
                "core_features[{index}]: `{name}` is not one of the profile's events (list it under `events`)"
            )),
            None => problems.push(format!("core_features[{index}]: must be an event name")),
        }
    }
    features
}

fn parse_activation(value: Option<&Value>, problems: &mut Problems) -> Vec<Criterion> {
    let list = match value {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(list)) => list,
        Some(_) => {
            problems.push("activation: must be a list of criteria".into());
            return Vec::new();
        }
    };
    if list.len() > MAX_CRITERIA {
        problems.push(format!(
            "activation: {} criteria; at most {MAX_CRITERIA}",
            list.len()
        ));
    }
    let mut criteria: Vec<Criterion> = Vec::new();
    let mut names: BTreeSet<String> = BTreeSet::new();
    for (index, item) in list.iter().enumerate() {
        let at = format!("activation[{index}]");
        let (name, test) = parse_criterion(&at, item, problems);
        if let Some(name) = &name
            && !names.insert(name.clone())
        {
            problems.push(format!(
                "{at}.name: `{name}` is used twice; names must be unique"
            ));
        }
        if let (Some(name), Some(test)) = (name, test) {
            criteria.push(Criterion { name, test });
        }
    }
    criteria
}

fn parse_criterion(
    at: &str,
    item: &Value,
    problems: &mut Problems,
) -> (Option<String>, Option<CriterionTest>) {
    let Some(object) = item.as_object() else {
        problems.push(format!(
            "{at}: must be a mapping with `name` and `event` or `trait`"
        ));
        return (None, None);
    };
    problems.unknown_keys(
        &format!("{at}."),
        object,
        &["name", "event", "min_count", "trait", "op", "value"],
    );
    let name = match object.get("name").and_then(Value::as_str) {
        Some(name) if !name.trim().is_empty() && name.chars().count() <= MAX_NAME_CHARS => {
            Some(name.to_string())
        }
        _ => {
            problems.push(format!("{at}.name: missing (a non-empty string)"));
            None
        }
    };
    let test = match (object.get("event"), object.get("trait")) {
        (Some(_), Some(_)) => {
            problems.push(format!("{at}: give either `event` or `trait`, not both"));
            None
        }
        (Some(event), None) => parse_event_test(at, event, object.get("min_count"), problems),
        (None, Some(trait_name)) => parse_trait_test(at, trait_name, object, problems),
        (None, None) => {
            problems.push(format!(
                "{at}: needs `event` (with optional `min_count`) or `trait` (with `op`)"
            ));
            None
        }
    };
    (name, test)
}

fn parse_event_test(
    at: &str,
    event: &Value,
    min_count: Option<&Value>,
    problems: &mut Problems,
) -> Option<CriterionTest> {
    let event = match event.as_str().map(EventName::parse) {
        Some(Ok(event)) => Some(event.as_str().to_string()),
        _ => {
            problems.push(format!("{at}.event: must be an event name"));
            None
        }
    };
    let min_count = match min_count {
        None | Some(Value::Null) => Some(1),
        Some(value) => match value.as_u64() {
            Some(count) if count >= 1 => Some(count),
            _ => {
                problems.push(format!(
                    "{at}.min_count: must be a whole number ≥ 1 (got {value})"
                ));
                None
            }
        },
    };
    Some(CriterionTest::Event {
        event: event?,
        min_count: min_count?,
    })
}

fn parse_trait_test(
    at: &str,
    trait_name: &Value,
    object: &Map<String, Value>,
    problems: &mut Problems,
) -> Option<CriterionTest> {
    let trait_name = match trait_name.as_str() {
        Some(name) if !name.is_empty() => Some(name.to_string()),
        _ => {
            problems.push(format!("{at}.trait: must be a trait name"));
            None
        }
    };
    if object.contains_key("min_count") {
        problems.push(format!(
            "{at}.min_count: only event criteria take `min_count`"
        ));
    }
    let op = match object.get("op") {
        None | Some(Value::Null) => Some(TraitOp::Exists),
        Some(value) => match value.as_str().and_then(TraitOp::parse) {
            Some(op) => Some(op),
            None => {
                problems.push(format!(
                    "{at}.op: must be one of exists, eq, ne, gt, gte, lt, lte, contains (got {value})"
                ));
                None
            }
        },
    };
    let value = object
        .get("value")
        .filter(|value| !value.is_null())
        .cloned();
    match (op, &value) {
        (Some(TraitOp::Exists), Some(_)) => {
            problems.push(format!("{at}.value: `exists` takes no value"))
        }
        (Some(TraitOp::Exists), None) | (None, _) => {}
        (Some(op @ (TraitOp::Gt | TraitOp::Gte | TraitOp::Lt | TraitOp::Lte)), value) => {
            if !value.as_ref().is_some_and(Value::is_number) {
                problems.push(format!("{at}.value: `{}` needs a number", op.as_str()));
            }
        }
        (Some(_), None) => {
            problems.push(format!("{at}.value: missing (the value to compare with)"))
        }
        (Some(_), Some(_)) => {}
    }
    Some(CriterionTest::Trait {
        trait_name: trait_name?,
        op: op?,
        value,
    })
}

#[cfg(test)]
#[path = "profile_tests.rs"]
mod tests;
