//! What an alert says: a headline and a few labelled facts a CS person reads at a glance
//! ("Acme is cooling off: average score fell 14.0 points (63.4 → 49.4)"). Users show as
//! "Jane (u-42)", accounts by their `name` trait; numbers as the API reports them.

use crate::call::FlatMap;
use crate::segment_defs::SegmentDefinition;
use crate::segments::default_segment;
use crate::snapshot::{AccountScore, SubjectKind, UserScore};

/// A scored subject an alert is about.
#[derive(Clone, Copy)]
pub(super) enum Scored<'a> {
    User(&'a UserScore),
    Account(&'a AccountScore),
}

impl<'a> Scored<'a> {
    pub(super) fn id(self) -> &'a str {
        match self {
            Scored::User(user) => &user.id,
            Scored::Account(account) => &account.id,
        }
    }

    pub(super) fn kind(self) -> SubjectKind {
        match self {
            Scored::User(_) => SubjectKind::Users,
            Scored::Account(_) => SubjectKind::Accounts,
        }
    }

    fn traits(self) -> &'a FlatMap {
        match self {
            Scored::User(user) => &user.traits,
            Scored::Account(account) => &account.traits,
        }
    }

    /// The user's score, or the account's average: what `score` means in rules.
    pub(super) fn score(self) -> f64 {
        match self {
            Scored::User(user) => f64::from(user.score),
            Scored::Account(account) => account.score.average,
        }
    }

    pub(super) fn activation(self) -> Option<f64> {
        match self {
            Scored::User(user) => user.activation.rate,
            Scored::Account(account) => account.activation.rate,
        }
    }

    fn window_change(self) -> Option<f64> {
        match self {
            Scored::User(user) => user.score_change.map(|change| change as f64),
            Scored::Account(account) => account.score.change,
        }
    }

    fn adoption(self) -> f64 {
        match self {
            Scored::User(user) => user.adoption.period,
            Scored::Account(account) => account.adoption.period,
        }
    }

    fn segments(self) -> &'a [String] {
        match self {
            Scored::User(user) => &user.segments,
            Scored::Account(account) => &account.segments,
        }
    }

    pub(super) fn name(self) -> Option<String> {
        name_trait(self.traits())
    }

    /// How a message names the subject.
    pub(super) fn display(self) -> String {
        display(self.kind(), self.id(), self.name().as_deref())
    }

    /// A score as the API shows it: users' whole, accounts' to one decimal.
    pub(super) fn format_score(self, score: f64) -> String {
        match self {
            Scored::User(_) => format!("{score:.0}"),
            Scored::Account(_) => format!("{score:.1}"),
        }
    }
}

/// The `name` trait, when it is non-blank text.
pub(super) fn name_trait(traits: &FlatMap) -> Option<String> {
    traits
        .get("name")
        .and_then(|name| name.as_str())
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_string)
}

/// "Jane (u-42)" or "u-42" for a user; "Acme" or "acme" for an account, whose id
/// rarely means anything to a reader when a name is known.
pub(super) fn display(kind: SubjectKind, id: &str, name: Option<&str>) -> String {
    match (kind, name) {
        (SubjectKind::Users, Some(name)) if name != id => format!("{name} ({id})"),
        (SubjectKind::Accounts, Some(name)) => name.to_string(),
        _ => id.to_string(),
    }
}

/// `100 %`, `58.3 %`.
pub(super) fn percent(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0} %")
    } else {
        format!("{value:.1} %")
    }
}

/// A signed change with a real minus sign: `+12.1`, `−14`.
fn signed(value: f64, decimals: usize) -> String {
    let magnitude = format!("{:.*}", decimals, value.abs());
    if value < 0.0 {
        format!("−{magnitude}")
    } else {
        format!("+{magnitude}")
    }
}

/// A segment's display name: a default's, a custom one's, else its id.
pub(super) fn segment_name(kind: SubjectKind, id: &str, custom: &[SegmentDefinition]) -> String {
    if let Some(default) = default_segment(id, kind) {
        return default.name.to_string();
    }
    custom
        .iter()
        .find(|def| def.kind == kind && def.id.as_str() == id)
        .map_or_else(|| id.to_string(), |def| def.name.clone())
}

/// The facts a message may show, picked and ordered per trigger.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum FactKind {
    Score,
    Change,
    ActiveUsers,
    Activation,
    Adoption,
    Segments,
}

/// Builds labelled facts about a subject; `change` overrides the snapshot's window change
/// (a `score_change` alert reports the change between recomputes).
pub(super) struct Facts<'a> {
    pub subject: Scored<'a>,
    pub window_days: u32,
    pub custom_segments: &'a [SegmentDefinition],
    pub change: Option<(f64, String)>,
}

impl Facts<'_> {
    pub(super) fn list(&self, kinds: &[FactKind]) -> Vec<(String, String)> {
        kinds
            .iter()
            .filter_map(|kind| self.fact(*kind))
            .map(|(label, value)| (label.to_string(), value))
            .collect()
    }

    fn fact(&self, kind: FactKind) -> Option<(&'static str, String)> {
        let subject = self.subject;
        let decimals = match subject {
            Scored::User(_) => 0,
            Scored::Account(_) => 1,
        };
        match kind {
            FactKind::Score => {
                let label = match subject {
                    Scored::User(_) => "Score",
                    Scored::Account(_) => "Average score",
                };
                Some((label, subject.format_score(subject.score())))
            }
            FactKind::Change => match &self.change {
                Some((change, since)) => {
                    Some(("Change", format!("{} {since}", signed(*change, decimals))))
                }
                None => subject.window_change().map(|change| {
                    let days = self.window_days;
                    (
                        "Change",
                        format!("{} over {days} days", signed(change, decimals)),
                    )
                }),
            },
            FactKind::ActiveUsers => match subject {
                Scored::User(_) => None,
                Scored::Account(account) => Some((
                    "Active users",
                    format!(
                        "{} of {} ({})",
                        account.users.active,
                        account.users.total,
                        percent(account.users.active_pct)
                    ),
                )),
            },
            FactKind::Activation => subject
                .activation()
                .map(|rate| ("Activation", percent(rate))),
            FactKind::Adoption => Some((
                "Adoption",
                format!("{} of scored events", percent(subject.adoption())),
            )),
            FactKind::Segments => {
                let names: Vec<String> = subject
                    .segments()
                    .iter()
                    .map(|id| segment_name(subject.kind(), id, self.custom_segments))
                    .collect();
                (!names.is_empty()).then(|| ("Segments", names.join(", ")))
            }
        }
    }
}
