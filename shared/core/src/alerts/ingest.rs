//! Decisions from ingestion: `new_user` and `core_feature_adopted` (SPEC §6), within a
//! minute of the event. The semantics are written down in [`super`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::decide::{LastFired, cooling_down};
use super::message::{FactKind, Facts, Scored, display, name_trait};
use super::rule::AlertRule;
use super::trigger::Trigger;
use super::{Alert, alert_id};
use crate::call::FlatMap;
use crate::ids::IdentityKey;
use crate::profile::Profile;
use crate::rules::{Field, Rule, Scope, Subject, Value};
use crate::snapshot::{AccountScore, SubjectKind};
use crate::subjects::ScoredAccount;

/// Something ingestion noticed that `new_user` and `core_feature_adopted` rules react to.
/// Identities are storage keys (`u:<userId>`, `a:<anonymousId>`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum IngestFact {
    AccountCreated {
        account: String,
        identity: String,
        at: DateTime<Utc>,
    },
    UserJoinedAccount {
        account: String,
        identity: String,
        /// `false` when this membership created the account.
        account_existed: bool,
        at: DateTime<Utc>,
    },
    FeatureFirstUsed {
        account: String,
        event: String,
        identity: String,
        at: DateTime<Utc>,
    },
}

impl IngestFact {
    pub fn account(&self) -> &str {
        match self {
            IngestFact::AccountCreated { account, .. }
            | IngestFact::UserJoinedAccount { account, .. }
            | IngestFact::FeatureFirstUsed { account, .. } => account,
        }
    }
}

/// What an ingestion decision reads besides the rules and the fact.
pub struct IngestContext<'a> {
    pub profiles: &'a [Profile],
    /// The account's traits as stored now; a brand-new account's may be empty.
    pub account_traits: &'a FlatMap,
    /// The account's latest snapshot in each profile that has scored it (any order).
    pub snapshots: &'a [AccountScore],
    /// The `name` trait of the fact's identity, when known.
    pub user_name: Option<&'a str>,
    pub last_fired: &'a LastFired,
    pub now: DateTime<Utc>,
}

pub fn decide_from_ingestion(
    rules: &[AlertRule],
    fact: &IngestFact,
    context: &IngestContext,
) -> Vec<Alert> {
    let account = fact.account();
    let mut alerts = Vec::new();
    for rule in rules
        .iter()
        .filter(|rule| rule.scope == SubjectKind::Accounts)
    {
        let Some(profile) = context.profiles.iter().find(|p| p.id == rule.profile) else {
            continue;
        };
        let snapshot = context
            .snapshots
            .iter()
            .find(|snapshot| snapshot.profile == rule.profile.as_str() && snapshot.id == account);
        let name = name_trait(context.account_traits)
            .or_else(|| snapshot.and_then(|s| name_trait(&s.traits)));
        let account_display = display(SubjectKind::Accounts, account, name.as_deref());
        let user = |identity: &str| {
            let public = IdentityKey::from_storage_key(identity)
                .map_or_else(|| identity.to_string(), |key| key.public_id());
            display(SubjectKind::Users, &public, context.user_name)
        };
        let (occurrence, headline, mut facts, kinds): (
            String,
            String,
            Vec<(String, String)>,
            &[FactKind],
        ) = match (&rule.trigger, fact) {
            (Trigger::NewUser, IngestFact::AccountCreated { identity, .. }) => (
                "account".into(),
                format!("New account: {account_display}"),
                vec![("First user".into(), user(identity))],
                &[FactKind::Segments],
            ),
            (
                Trigger::NewUser,
                IngestFact::UserJoinedAccount {
                    identity,
                    account_existed: true,
                    ..
                },
            ) => (
                identity.clone(),
                format!("{} joined {account_display}", user(identity)),
                Vec::new(),
                &[FactKind::ActiveUsers, FactKind::Score, FactKind::Segments],
            ),
            (
                Trigger::CoreFeatureAdopted,
                IngestFact::FeatureFirstUsed {
                    event, identity, ..
                },
            ) if profile.core_features.contains(event) => (
                event.clone(),
                format!("{account_display} used {event} for the first time"),
                vec![("First used by".into(), user(identity))],
                &[FactKind::Adoption, FactKind::Score, FactKind::ActiveUsers],
            ),
            _ => continue,
        };
        let subject = IngestedAccount {
            snapshot: snapshot.map(ScoredAccount::new),
            traits: context.account_traits,
        };
        let where_holds = rule.where_rule.as_ref().is_none_or(|source| {
            Rule::parse(source, Scope::Accounts).is_ok_and(|rule| rule.eval(&subject))
        });
        if !where_holds || cooling_down(rule, account, context.last_fired, context.now) {
            continue;
        }
        if let Some(snapshot) = snapshot {
            let about = Facts {
                subject: Scored::Account(snapshot),
                window_days: profile.window_days,
                custom_segments: &[],
                change: None,
            };
            facts.extend(about.list(kinds));
        }
        alerts.push(Alert {
            id: alert_id(
                rule.id.as_str(),
                SubjectKind::Accounts,
                account,
                &occurrence,
            ),
            rule: rule.id.to_string(),
            trigger: rule.trigger.name().to_string(),
            profile: rule.profile.to_string(),
            kind: SubjectKind::Accounts,
            subject: account.to_string(),
            subject_name: name,
            occurrence,
            headline,
            facts,
            channel: rule.channel.clone(),
            raised_at: context.now,
        });
    }
    alerts
}

/// An account at ingestion time, for a rule's `where`: its current traits, and the numbers
/// of its latest snapshot when it has one. Event counts are not at hand: missing.
struct IngestedAccount<'a> {
    snapshot: Option<ScoredAccount<'a>>,
    traits: &'a FlatMap,
}

impl Subject for IngestedAccount<'_> {
    fn field(&self, field: &Field) -> Option<Value> {
        match field {
            Field::Trait(name) if self.traits.contains_key(name) => {
                self.traits.get(name).map(Value::from_json)
            }
            _ => self.snapshot.as_ref()?.field(field),
        }
    }

    fn in_segment(&self, segment_id: &str) -> Option<bool> {
        self.snapshot.as_ref()?.in_segment(segment_id)
    }

    fn event_count(&self, _event: &str, _days: Option<u32>) -> Option<f64> {
        None
    }
}
