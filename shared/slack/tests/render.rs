//! Rendering: message shape, escaping, and that extreme inputs still fit Slack's limits.

use chrono::{TimeZone, Utc};
use pulse_slack::{
    AlertNotice, Fact, LimitError, SubjectKind, check_limits, escape_mrkdwn, render_alert,
    render_digest,
};
use serde_json::{Value, json};

fn notice() -> AlertNotice {
    AlertNotice {
        alert_id: "cooling-off:acc_1:2024-05-01".into(),
        rule_id: "cooling-off".into(),
        headline: "Acme is cooling off: average score fell 14 points".into(),
        subject_kind: SubjectKind::Account,
        subject_id: "acc_1".into(),
        subject_name: Some("Acme".into()),
        profile: "cs".into(),
        facts: vec![
            Fact::new("Score", "42 (−14)"),
            Fact::new("Active users", "3 of 12"),
        ],
        link: Some("https://pulse.example.com/accounts/acc_1".into()),
        occurred_at: Utc.with_ymd_and_hms(2024, 5, 1, 12, 30, 0).unwrap(),
    }
}

fn blocks(payload: &Value) -> &Vec<Value> {
    payload["blocks"].as_array().expect("blocks array")
}

fn of_type<'a>(payload: &'a Value, kind: &str) -> Vec<&'a Value> {
    blocks(payload)
        .iter()
        .filter(|b| b["type"] == kind)
        .collect()
}

#[test]
fn an_alert_has_a_header_who_the_facts_and_where_it_came_from() {
    let payload = render_alert(&notice());

    assert_eq!(
        payload["blocks"][0]["text"]["text"],
        "Acme is cooling off: average score fell 14 points"
    );
    let who = payload["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(who.starts_with("*Account:* Acme (acc_1)"), "{who}");
    assert!(who.contains("<https://pulse.example.com/accounts/acc_1|View account in Pulse>"));
    assert_eq!(
        payload["blocks"][2]["fields"],
        json!([
            {"type": "mrkdwn", "text": "*Score*\n42 (−14)"},
            {"type": "mrkdwn", "text": "*Active users*\n3 of 12"},
        ])
    );
    let context = serde_json::to_string(&payload["blocks"][3]).unwrap();
    assert!(context.contains("Profile *cs*") && context.contains("Rule *cooling-off*"));
    assert!(context.contains("<!date^1714566600^"), "{context}");
    assert_eq!(check_limits(&payload), Ok(()));
}

#[test]
fn the_fallback_text_says_what_happened_to_whom_and_the_numbers() {
    let text = render_alert(&notice())["text"].as_str().unwrap().to_owned();

    assert!(text.contains("Acme is cooling off"), "{text}");
    assert!(text.contains("Account Acme (acc_1)"), "{text}");
    assert!(text.contains("Score: 42 (−14)"), "{text}");
}

#[test]
fn an_alert_without_a_link_shows_no_link() {
    let payload = render_alert(&AlertNotice {
        link: None,
        ..notice()
    });

    assert!(!payload.to_string().contains("View account"));
}

#[test]
fn facts_are_split_into_sections_of_at_most_ten_fields() {
    let facts = (0..25).map(|i| Fact::new(format!("F{i}"), "1")).collect();
    let payload = render_alert(&AlertNotice { facts, ..notice() });

    let sizes: Vec<usize> = of_type(&payload, "section")
        .iter()
        .filter_map(|s| s["fields"].as_array().map(Vec::len))
        .collect();
    assert_eq!(sizes, [10, 10, 5]);
}

#[test]
fn mrkdwn_control_characters_from_outside_are_escaped() {
    let payload = render_alert(&AlertNotice {
        subject_name: Some("<!channel> & <https://evil.example|Co>".into()),
        facts: vec![Fact::new("a<b", "x>y & z")],
        ..notice()
    });

    let who = payload["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(
        who.contains("&lt;!channel&gt; &amp; &lt;https://evil.example|Co&gt;"),
        "{who}"
    );
    assert_eq!(
        payload["blocks"][2]["fields"][0]["text"],
        "*a&lt;b*\nx&gt;y &amp; z"
    );
    assert!(!payload["text"].as_str().unwrap().contains("<!channel>"));
    assert_eq!(escape_mrkdwn("a & <b>"), "a &amp; &lt;b&gt;");
}

#[test]
fn a_10000_character_headline_is_clipped_and_still_fits() {
    let payload = render_alert(&AlertNotice {
        headline: "h".repeat(10_000),
        ..notice()
    });

    let header = payload["blocks"][0]["text"]["text"].as_str().unwrap();
    assert_eq!(header.chars().count(), 150);
    assert!(header.ends_with('…'));
    assert_eq!(check_limits(&payload), Ok(()));
}

#[test]
fn an_alert_with_200_facts_fits() {
    let facts = (0..200)
        .map(|i| Fact::new(format!("Fact {i}"), "v"))
        .collect();
    let payload = render_alert(&AlertNotice { facts, ..notice() });

    assert_eq!(check_limits(&payload), Ok(()));
    assert!(payload.to_string().contains("…and 160 more facts"));
}

#[test]
fn an_alert_where_every_value_is_huge_and_full_of_markup_still_fits() {
    let huge = "&<>".repeat(5_000);
    let payload = render_alert(&AlertNotice {
        alert_id: huge.clone(),
        rule_id: huge.clone(),
        headline: huge.clone(),
        subject_id: huge.clone(),
        subject_name: Some(huge.clone()),
        profile: huge.clone(),
        facts: vec![Fact::new(huge.clone(), huge.clone()); 60],
        link: Some(format!("https://x.example/{}", "a".repeat(10_000))),
        ..notice()
    });

    assert_eq!(check_limits(&payload), Ok(()));
}

#[test]
fn a_digest_of_500_alerts_shows_twenty_and_counts_the_rest() {
    let notices: Vec<AlertNotice> = (0..500)
        .map(|i| AlertNotice {
            rule_id: if i % 5 == 0 {
                "new-user"
            } else {
                "cooling-off"
            }
            .into(),
            headline: format!("Alert {i} {}", "x".repeat(5_000)),
            ..notice()
        })
        .collect();
    let payload = render_digest("cs-alerts", &notices);

    assert_eq!(check_limits(&payload), Ok(()));
    assert_eq!(
        payload["blocks"][0]["text"]["text"],
        "500 Pulse alerts for #cs-alerts"
    );
    let last = blocks(&payload).last().unwrap()["text"]["text"]
        .as_str()
        .unwrap();
    assert_eq!(last, "…and 480 more: cooling-off ×384, new-user ×96");
    assert!(
        payload["text"]
            .as_str()
            .unwrap()
            .starts_with("500 Pulse alerts for #cs-alerts: Alert 0")
    );
}

#[test]
fn a_small_digest_shows_every_alert_with_its_numbers() {
    let payload = render_digest("#cs-alerts", &[notice(), notice(), notice()]);

    let entries = of_type(&payload, "section");
    assert_eq!(entries.len(), 3);
    let entry = entries[0]["text"]["text"].as_str().unwrap();
    assert!(
        entry.contains("Account Acme (acc_1)") && entry.contains("Score: *42 (−14)*"),
        "{entry}"
    );
    assert!(!payload.to_string().contains("more:"));
    assert_eq!(check_limits(&payload), Ok(()));
}

#[test]
fn an_empty_digest_is_still_a_valid_message() {
    assert_eq!(check_limits(&render_digest("cs-alerts", &[])), Ok(()));
}

#[test]
fn check_limits_rejects_51_blocks() {
    let block = json!({"type": "section", "text": {"type": "mrkdwn", "text": "hi"}});
    let payload = json!({"text": "hi", "blocks": vec![block; 51]});

    assert_eq!(
        check_limits(&payload),
        Err(LimitError::TooManyBlocks { count: 51, max: 50 })
    );
}

#[test]
fn check_limits_rejects_a_3001_character_text_and_accepts_3000() {
    let section = |n: usize| json!({"text": "hi", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "é".repeat(n)}}]});

    assert_eq!(check_limits(&section(3_000)), Ok(()));
    assert_eq!(
        check_limits(&section(3_001)),
        Err(LimitError::TextTooLong {
            location: "blocks[0].text.text".into(),
            chars: 3_001,
            max: 3_000
        })
    );
}

#[test]
fn check_limits_rejects_long_headers_too_many_fields_and_a_missing_fallback() {
    let header = json!({"text": "hi", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h".repeat(151)}}]});
    let field = json!({"type": "mrkdwn", "text": "f"});
    let fields = json!({"text": "hi", "blocks": [{"type": "section", "fields": vec![field; 11]}]});

    assert!(matches!(
        check_limits(&header),
        Err(LimitError::TextTooLong { max: 150, .. })
    ));
    assert!(matches!(
        check_limits(&fields),
        Err(LimitError::TooManyItems { max: 10, .. })
    ));
    assert_eq!(
        check_limits(&json!({"text": " "})),
        Err(LimitError::MissingFallbackText)
    );
    assert_eq!(check_limits(&json!([])), Err(LimitError::NotAnObject));
}
