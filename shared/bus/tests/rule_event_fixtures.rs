//! The EventBridge rule envelopes committed in infra/events/ hold Pulse events the functions
//! can read: each parses as a `RuleEvent` whose detail is a `DomainEvent` of its detail-type.

use pulse_bus::DomainEvent;
use pulse_bus::eventbridge::RuleEvent;

fn fixture(name: &str) -> RuleEvent {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../infra/events")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{name}: {error}"))
}

#[test]
fn the_scores_recomputed_fixture_carries_a_scores_recomputed_event() {
    let event = fixture("eventbridge-scores-recomputed.json")
        .into_domain_event()
        .expect("a Pulse event");
    assert!(
        matches!(&event, DomainEvent::ScoresRecomputed { profile, previous_day: Some(_), .. } if profile == "cs"),
        "{event:?}"
    );
}

#[test]
fn the_alert_raised_fixture_carries_an_alert_raised_event() {
    let event = fixture("eventbridge-alert-raised.json")
        .into_domain_event()
        .expect("a Pulse event");
    assert!(
        matches!(&event, DomainEvent::AlertRaised { alert_ids, channel: Some(channel), .. } if alert_ids.len() == 2 && channel == "cs-alerts"),
        "{event:?}"
    );
}
