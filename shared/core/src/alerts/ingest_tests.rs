//! Decisions from ingestion: new accounts and members, first use of a core feature.

use std::collections::HashMap;

use serde_json::json;

use super::fixtures::{account, at, profile, rule};
use super::*;
use crate::call::FlatMap;
use crate::profile::Profile;
use crate::snapshot::AccountScore;

struct Fixture {
    profiles: Vec<Profile>,
    traits: FlatMap,
    snapshots: Vec<AccountScore>,
    last_fired: LastFired,
}

impl Fixture {
    /// Acme, known by name, not scored yet.
    fn new() -> Self {
        Fixture {
            profiles: vec![profile()],
            traits: [("name".to_string(), json!("Acme"))].into_iter().collect(),
            snapshots: Vec::new(),
            last_fired: HashMap::new(),
        }
    }

    fn decide(&self, rules: &[AlertRule], fact: &IngestFact) -> Vec<Alert> {
        decide_from_ingestion(
            rules,
            fact,
            &IngestContext {
                profiles: &self.profiles,
                account_traits: &self.traits,
                snapshots: &self.snapshots,
                user_name: Some("Jane"),
                last_fired: &self.last_fired,
                now: at("2026-12-01T10:00:05Z"),
            },
        )
    }
}

fn new_user() -> AlertRule {
    rule("scope: accounts\ntrigger: new_user\nchannel: sales")
}

fn adopted() -> AlertRule {
    rule("scope: accounts\ntrigger: core_feature_adopted")
}

fn created() -> IngestFact {
    IngestFact::AccountCreated {
        account: "acme".into(),
        identity: "u:u-42".into(),
        at: at("2026-12-01T10:00:00Z"),
    }
}

fn joined(account_existed: bool) -> IngestFact {
    IngestFact::UserJoinedAccount {
        account: "acme".into(),
        identity: "u:u-42".into(),
        account_existed,
        at: at("2026-12-01T10:00:00Z"),
    }
}

fn first_use(event: &str) -> IngestFact {
    IngestFact::FeatureFirstUsed {
        account: "acme".into(),
        event: event.into(),
        identity: "u:u-42".into(),
        at: at("2026-12-01T10:00:00Z"),
    }
}

#[test]
fn a_new_account_raises_a_new_user_alert() {
    let alerts = Fixture::new().decide(&[new_user()], &created());
    assert_eq!(alerts.len(), 1);
    let alert = &alerts[0];
    assert_eq!(alert.headline, "New account: Acme");
    assert_eq!(alert.occurrence, "account");
    assert_eq!(alert.kind, SubjectKind::Accounts);
    assert_eq!(alert.subject, "acme");
    assert_eq!(alert.channel.as_deref(), Some("sales"));
    assert_eq!(
        alert.facts,
        vec![("First user".into(), "Jane (u-42)".into())]
    );
}

#[test]
fn a_user_joining_an_existing_account_raises_one_and_joining_a_brand_new_one_does_not() {
    let fixture = Fixture::new();
    let alerts = fixture.decide(&[new_user()], &joined(true));
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].headline, "Jane (u-42) joined Acme");
    assert_eq!(alerts[0].occurrence, "u:u-42");
    assert!(
        fixture.decide(&[new_user()], &joined(false)).is_empty(),
        "the account's creation already raised the alert"
    );
}

#[test]
fn a_known_account_shows_its_latest_numbers() {
    let mut fixture = Fixture::new();
    fixture.snapshots = vec![account("acme", 63.4, Some(75.0), &["engaged"])];
    let alert = &fixture.decide(&[new_user()], &joined(true))[0];
    let labels: Vec<&str> = alert
        .facts
        .iter()
        .map(|(label, _)| label.as_str())
        .collect();
    assert_eq!(labels, vec!["Active users", "Average score", "Segments"]);
}

#[test]
fn the_first_use_of_a_core_feature_raises_an_alert_and_of_another_event_does_not() {
    let fixture = Fixture::new();
    let alerts = fixture.decide(&[adopted()], &first_use("Dashboard Shared"));
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        alerts[0].headline,
        "Acme used Dashboard Shared for the first time"
    );
    assert_eq!(alerts[0].occurrence, "Dashboard Shared");
    assert!(
        fixture
            .decide(&[adopted()], &first_use("Viewed Page"))
            .is_empty()
    );
}

#[test]
fn each_trigger_reacts_only_to_its_own_facts() {
    let fixture = Fixture::new();
    assert!(fixture.decide(&[adopted()], &created()).is_empty());
    assert!(
        fixture
            .decide(&[new_user()], &first_use("Report Created"))
            .is_empty()
    );
    let recompute_rule = rule("scope: accounts\ntrigger: {score_change: {by: -10}}");
    assert!(fixture.decide(&[recompute_rule], &created()).is_empty());
}

#[test]
fn where_reads_a_new_accounts_traits_and_a_known_accounts_snapshot() {
    let not_trial = rule("scope: accounts\ntrigger: new_user\nwhere: \"traits.plan != 'trial'\"");
    let mut fixture = Fixture::new();
    fixture.traits.insert("plan".into(), json!("trial"));
    assert!(
        fixture
            .decide(std::slice::from_ref(&not_trial), &created())
            .is_empty()
    );
    fixture.traits.insert("plan".into(), json!("pro"));
    assert_eq!(fixture.decide(&[not_trial], &created()).len(), 1);

    let engaged = rule("scope: accounts\ntrigger: new_user\nwhere: \"score > 50\"");
    assert!(
        fixture
            .decide(std::slice::from_ref(&engaged), &joined(true))
            .is_empty(),
        "no snapshot: the score is missing"
    );
    fixture.snapshots = vec![account("acme", 63.4, None, &[])];
    assert_eq!(fixture.decide(&[engaged], &joined(true)).len(), 1);
}

#[test]
fn a_cooldown_keeps_a_busy_account_quiet() {
    let cooled = rule("scope: accounts\ntrigger: new_user\ncooldown: 1h");
    let mut fixture = Fixture::new();
    fixture
        .last_fired
        .insert(("r".into(), "acme".into()), at("2026-12-01T09:30:00Z"));
    assert!(
        fixture
            .decide(std::slice::from_ref(&cooled), &joined(true))
            .is_empty()
    );
    fixture
        .last_fired
        .insert(("r".into(), "acme".into()), at("2026-12-01T09:00:05Z"));
    assert_eq!(fixture.decide(&[cooled], &joined(true)).len(), 1);
}

#[test]
fn an_anonymous_member_is_shown_by_its_public_id_and_a_rule_of_an_unknown_profile_is_ignored() {
    let mut fixture = Fixture::new();
    let anonymous = IngestFact::UserJoinedAccount {
        account: "acme".into(),
        identity: "a:x9".into(),
        account_existed: true,
        at: at("2026-12-01T10:00:00Z"),
    };
    let alerts = fixture.decide(&[new_user()], &anonymous);
    assert_eq!(alerts[0].headline, "Jane (anonymous:x9) joined Acme");
    fixture.profiles.clear();
    assert!(fixture.decide(&[new_user()], &anonymous).is_empty());
}
