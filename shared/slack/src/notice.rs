//! The alert as the rest of Pulse hands it to Slack delivery: plain data, no formatting.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One alert occurrence, ready to be rendered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertNotice {
    /// Stable id derived from (rule, subject, occurrence); shown so support can trace a post.
    pub alert_id: String,
    pub rule_id: String,
    /// One sentence saying what happened, e.g. "Acme is cooling off: average score fell 14 points".
    pub headline: String,
    pub subject_kind: SubjectKind,
    pub subject_id: String,
    /// A human name for the subject (e.g. the account's `name` trait) when one is known.
    pub subject_name: Option<String>,
    pub profile: String,
    /// The numbers that matter, in the order they should be shown.
    pub facts: Vec<Fact>,
    /// A URL to the subject, present when Pulse has a public URL configured.
    pub link: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// Whether an alert is about a single user or a customer account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    User,
    Account,
}

impl SubjectKind {
    /// The word used in messages ("User", "Account").
    pub fn label(self) -> &'static str {
        match self {
            SubjectKind::User => "User",
            SubjectKind::Account => "Account",
        }
    }
}

/// A labelled number, e.g. `Fact { label: "Score", value: "42 (−14)" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    pub label: String,
    pub value: String,
}

impl Fact {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            value: value.into(),
        }
    }
}

impl AlertNotice {
    /// "Acme (acc_42)" when a name is known, otherwise just the id.
    pub(crate) fn subject_display(&self) -> String {
        match self.subject_name.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() && name != self.subject_id => {
                format!("{name} ({})", self.subject_id)
            }
            _ => self.subject_id.clone(),
        }
    }
}
