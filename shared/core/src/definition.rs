//! What segment definitions and alert rules have in common: the error that lists every
//! problem of a definition a person saved, and the checks of the fields both carry (an id
//! from the body or the path, slugs, a subject kind, rule expressions with positions).

use std::fmt;

use serde_json::{Map, Value};

use crate::ids::Slug;
use crate::profile::{Problems, parse_document};
use crate::rules::{Rule, Scope};
use crate::snapshot::SubjectKind;

/// Which kind of definition was refused, so the message names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefinitionKind {
    Segment,
    AlertRule,
}

impl fmt::Display for DefinitionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DefinitionKind::Segment => "segment",
            DefinitionKind::AlertRule => "alert rule",
        })
    }
}

/// Every problem found in a segment definition or an alert rule, each prefixed with the
/// field it is about (`rule: unknown field `scroe` at 1:1 — did you mean `score`?`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {definition}: {}", .problems.join("; "))]
pub struct DefinitionError {
    pub definition: DefinitionKind,
    pub problems: Vec<String>,
}

impl DefinitionError {
    pub(crate) fn new(definition: DefinitionKind, problems: Vec<String>) -> DefinitionError {
        DefinitionError {
            definition,
            problems,
        }
    }
}

/// The top-level mapping of a YAML or JSON definition.
pub(crate) fn document(
    text: &str,
    definition: DefinitionKind,
    expected: &str,
) -> Result<Map<String, Value>, DefinitionError> {
    match parse_document(text) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(DefinitionError::new(
            definition,
            vec![format!("a {definition} must be a mapping with {expected}")],
        )),
        Err(problem) => Err(DefinitionError::new(definition, vec![problem])),
    }
}

/// The id from the body, or from the path (`PUT /v1/…/{id}`) when the body has none; when
/// both are given they must agree, so a PUT never saves under an id other than its URL's.
pub(crate) fn id_field(
    value: Option<&Value>,
    path_id: Option<&str>,
    example: &str,
    problems: &mut Problems,
) -> Option<Slug> {
    let from_path = path_id.and_then(|id| {
        Slug::parse(id)
            .map_err(|error| problems.push(format!("id in the path: {error}")))
            .ok()
    });
    match value {
        None | Some(Value::Null) if path_id.is_some() => from_path,
        None | Some(Value::Null) => {
            problems.push(format!("id: missing (a slug such as `{example}`)"));
            None
        }
        Some(Value::String(text)) => {
            let id = Slug::parse(text)
                .map_err(|error| problems.push(format!("id: {error}")))
                .ok()?;
            match path_id {
                Some(path_id) if path_id != id.as_str() => {
                    problems.push(format!(
                        "id: `{id}` does not match `{path_id}` in the path; leave it out or make them equal"
                    ));
                    None
                }
                _ => Some(id),
            }
        }
        Some(_) => {
            problems.push(format!("id: must be a string such as `{example}`"));
            None
        }
    }
}

/// A required slug field such as `profile`.
pub(crate) fn slug_field(
    at: &str,
    value: Option<&Value>,
    example: &str,
    problems: &mut Problems,
) -> Option<Slug> {
    match value {
        Some(Value::String(text)) => Slug::parse(text)
            .map_err(|error| problems.push(format!("{at}: {error}")))
            .ok(),
        None | Some(Value::Null) => {
            problems.push(format!("{at}: missing (a slug such as `{example}`)"));
            None
        }
        Some(_) => {
            problems.push(format!("{at}: must be a string such as `{example}`"));
            None
        }
    }
}

/// A required `users` | `accounts` field (`kind` of a segment, `scope` of an alert rule).
pub(crate) fn kind_field(
    at: &str,
    value: Option<&Value>,
    problems: &mut Problems,
) -> Option<SubjectKind> {
    let kind = value.and_then(Value::as_str).and_then(SubjectKind::parse);
    if kind.is_none() {
        let got = match value {
            None | Some(Value::Null) => "nothing".to_string(),
            Some(value) => value.to_string(),
        };
        problems.push(format!("{at}: must be `users` or `accounts` (got {got})"));
    }
    kind
}

/// The rule scope of a subject kind.
pub(crate) fn scope_of(kind: SubjectKind) -> Scope {
    match kind {
        SubjectKind::Users => Scope::Users,
        SubjectKind::Accounts => Scope::Accounts,
    }
}

/// A rule expression in a string, checked for `kind` with each error (and its line and
/// column) listed. With no valid kind to check against, only the errors the rule has in
/// both scopes are reported: a syntax error is worth fixing whatever the kind will be.
pub(crate) fn rule_field(
    at: &str,
    value: Option<&Value>,
    kind: Option<SubjectKind>,
    problems: &mut Problems,
) -> Option<String> {
    let text = match value {
        Some(Value::String(text)) if !text.trim().is_empty() => text,
        None | Some(Value::Null) => {
            problems.push(format!(
                "{at}: missing (a rule expression such as \"score < 40\")"
            ));
            return None;
        }
        Some(_) => {
            problems.push(format!(
                "{at}: must be a rule expression in a string, such as \"score < 40\""
            ));
            return None;
        }
    };
    let errors = match kind {
        Some(kind) => Rule::parse(text, scope_of(kind))
            .err()
            .map(|errors| errors.0),
        None => {
            let users = Rule::parse(text, Scope::Users).err();
            let accounts = Rule::parse(text, Scope::Accounts).err();
            users.zip(accounts).map(|(users, accounts)| {
                users
                    .0
                    .into_iter()
                    .filter(|error| accounts.0.contains(error))
                    .collect()
            })
        }
    };
    match errors {
        Some(errors) => {
            for error in errors {
                problems.push(format!("{at}: {error}"));
            }
            None
        }
        None => Some(text.clone()),
    }
}
