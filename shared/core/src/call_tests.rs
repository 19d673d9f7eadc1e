use chrono::TimeZone;
use serde_json::json;

use super::*;

fn received() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
}

fn parse(value: Value) -> Result<Call, CallError> {
    parse_call(&value, None, &BatchDefaults::default(), received())
}

#[test]
fn a_track_call_keeps_its_event_ids_and_message_id() {
    let call = parse(
        json!({"type":"track","userId":"u1","event":"Report Created","messageId":"m1",
        "timestamp":"2026-12-01T10:00:00Z"}),
    )
    .unwrap();
    assert_eq!(call.call_type, CallType::Track);
    assert_eq!(call.event.as_ref().unwrap().as_str(), "Report Created");
    assert_eq!(call.message_id.as_deref(), Some("m1"));
    assert_eq!(call.identity(), IdentityKey::User("u1".into()));
    assert_eq!(
        call.timestamp,
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
    );
}

#[test]
fn page_and_screen_calls_are_named_viewed_page_and_viewed_screen() {
    let page = parse(json!({"type":"page","anonymousId":"a1","name":"Home"})).unwrap();
    let screen = parse(json!({"type":"screen","userId":"u1"})).unwrap();
    assert_eq!(page.event.as_ref().unwrap().as_str(), "Viewed Page");
    assert_eq!(screen.event.unwrap().as_str(), "Viewed Screen");
    assert_eq!(page.identity(), IdentityKey::Anonymous("a1".into()));
}

#[test]
fn explicit_null_ids_count_as_missing() {
    let call = parse(json!({"type":"track","userId":null,"anonymousId":"a1","event":"X"})).unwrap();
    assert_eq!(call.user_id, None);
    assert_eq!(
        parse(json!({"type":"track","userId":null,"anonymousId":null,"event":"X"})),
        Err(CallError::MissingIdentity)
    );
}

#[test]
fn numeric_ids_become_strings_and_long_or_odd_ids_are_refused() {
    let call = parse(json!({"type":"identify","userId":42})).unwrap();
    assert_eq!(call.user_id.as_deref(), Some("42"));
    let long = "x".repeat(256);
    assert!(matches!(
        parse(json!({"type":"identify","userId":long})),
        Err(CallError::InvalidId {
            field: "userId",
            ..
        })
    ));
    assert!(matches!(
        parse(json!({"type":"identify","userId":{"a":1}})),
        Err(CallError::InvalidId { .. })
    ));
}

#[test]
fn each_call_type_requires_its_own_fields() {
    assert_eq!(
        parse(json!({"type":"track","userId":"u"})),
        Err(CallError::MissingEvent)
    );
    assert_eq!(
        parse(json!({"type":"track","userId":"u","event":""})),
        Err(CallError::MissingEvent)
    );
    assert_eq!(
        parse(json!({"type":"group","userId":"u"})),
        Err(CallError::MissingGroupId)
    );
    assert_eq!(
        parse(json!({"type":"alias","previousId":"a"  ,"anonymousId":"x"})),
        Err(CallError::MissingAliasIds)
    );
    assert_eq!(
        parse(json!({"type":"jump","userId":"u"})),
        Err(CallError::UnknownType)
    );
    assert_eq!(parse(json!(["track"])), Err(CallError::NotAnObject));
}

#[test]
fn a_single_call_endpoint_fixes_the_type() {
    let call = parse_call(
        &json!({"userId":"u","event":"X"}),
        Some(CallType::Track),
        &BatchDefaults::default(),
        received(),
    )
    .unwrap();
    assert_eq!(call.call_type, CallType::Track);
}

#[test]
fn message_ids_longer_than_100_characters_are_refused() {
    let id = "m".repeat(101);
    assert_eq!(
        parse(json!({"type":"identify","userId":"u","messageId":id})),
        Err(CallError::InvalidMessageId)
    );
    let ok = "m".repeat(100);
    assert!(parse(json!({"type":"identify","userId":"u","messageId":ok})).is_ok());
}

#[test]
fn clock_skew_is_corrected_with_sent_at() {
    // The device clock is 2 hours fast: it says the event happened at 13:00 and was sent at 13:05.
    let call = parse(json!({"type":"track","userId":"u","event":"X",
        "timestamp":"2026-12-01T13:00:00Z","sentAt":"2026-12-01T13:05:00Z"}))
    .unwrap();
    assert_eq!(call.timestamp, received() - Duration::minutes(5));
}

#[test]
fn a_batch_sent_at_applies_and_a_calls_own_sent_at_wins() {
    let defaults = BatchDefaults {
        context: None,
        sent_at: Some(json!("2026-12-01T13:05:00Z")),
    };
    let from_batch = parse_call(
        &json!({"type":"track","userId":"u","event":"X","timestamp":"2026-12-01T13:00:00Z"}),
        None,
        &defaults,
        received(),
    )
    .unwrap();
    assert_eq!(from_batch.timestamp, received() - Duration::minutes(5));
    let own = parse_call(
        &json!({"type":"track","userId":"u","event":"X","timestamp":"2026-12-01T13:00:00Z",
            "sentAt":"2026-12-01T13:01:00Z"}),
        None,
        &defaults,
        received(),
    )
    .unwrap();
    assert_eq!(own.timestamp, received() - Duration::minutes(1));
}

#[test]
fn without_sent_at_the_timestamp_is_used_and_without_both_received_at() {
    let call = parse(
        json!({"type":"track","userId":"u","event":"X","timestamp":"2026-11-20T08:00:00+02:00"}),
    )
    .unwrap();
    assert_eq!(
        call.timestamp,
        Utc.with_ymd_and_hms(2026, 11, 20, 6, 0, 0).unwrap()
    );
    let call = parse(json!({"type":"track","userId":"u","event":"X"})).unwrap();
    assert_eq!(call.timestamp, received());
}

#[test]
fn a_time_more_than_a_day_ahead_is_replaced_by_received_at() {
    let call =
        parse(json!({"type":"track","userId":"u","event":"X","timestamp":"2026-12-02T12:00:01Z"}))
            .unwrap();
    assert_eq!(call.timestamp, received());
    let call =
        parse(json!({"type":"track","userId":"u","event":"X","timestamp":"2026-12-02T11:59:59Z"}))
            .unwrap();
    assert_eq!(
        call.timestamp,
        Utc.with_ymd_and_hms(2026, 12, 2, 11, 59, 59).unwrap()
    );
}

#[test]
fn times_accept_offsets_without_colons_and_long_fractions() {
    assert_eq!(
        parse_time("2026-12-01T10:00:00.123456789012+0000"),
        Some(
            Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
                + Duration::nanoseconds(123_456_789)
        )
    );
    assert!(parse_time("2026-12-01T10:00:00.5+00:00").is_some());
    assert_eq!(
        parse_time("2026-12-01T10:00:00"),
        None,
        "a time without zone is ambiguous"
    );
    assert!(matches!(
        parse(json!({"type":"track","userId":"u","event":"X","timestamp":"yesterday"})),
        Err(CallError::InvalidTime {
            field: "timestamp",
            ..
        })
    ));
}

#[test]
fn context_group_id_makes_a_membership_and_the_batch_context_merges_in() {
    let defaults = BatchDefaults {
        context: Some(
            json!({"groupId":"acme","library":{"name":"x"}})
                .as_object()
                .unwrap()
                .clone(),
        ),
        sent_at: None,
    };
    let call = parse_call(
        &json!({"type":"track","userId":"u","event":"X"}),
        None,
        &defaults,
        received(),
    )
    .unwrap();
    assert_eq!(call.group_id.as_deref(), Some("acme"));
    let own = parse_call(
        &json!({"type":"track","userId":"u","event":"X","context":{"groupId":"globex"}}),
        None,
        &defaults,
        received(),
    )
    .unwrap();
    assert_eq!(own.group_id.as_deref(), Some("globex"));
}

#[test]
fn traits_are_flattened_arrays_kept_and_properties_checked() {
    let call = parse(json!({"type":"group","userId":"u","groupId":"acme",
        "traits":{"name":"Acme","billing":{"plan":"pro","seats":{"max":10}},"tags":["a","b"]}}))
    .unwrap();
    assert_eq!(call.traits.get("billing.plan"), Some(&json!("pro")));
    assert_eq!(call.traits.get("billing.seats.max"), Some(&json!(10)));
    assert_eq!(call.traits.get("tags"), Some(&json!(["a", "b"])));
    assert_eq!(call.group_id.as_deref(), Some("acme"));
    let track =
        parse(json!({"type":"track","userId":"u","event":"X","properties":{"a":{"b":1}}})).unwrap();
    assert!(
        track.traits.is_empty(),
        "a track call's properties are not traits"
    );
    assert_eq!(
        parse(json!({"type":"track","userId":"u","event":"X","properties":[1]})),
        Err(CallError::NotAnObjectField("properties"))
    );
}

#[test]
fn alias_links_previous_id_to_user_id() {
    let call = parse(json!({"type":"alias","previousId":"anon-1","userId":"u1"})).unwrap();
    assert_eq!(call.previous_id.as_deref(), Some("anon-1"));
    assert_eq!(call.identity(), IdentityKey::User("u1".into()));
}
