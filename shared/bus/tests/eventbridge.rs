//! The EventBridge adapter against moto_server: events reach a real SQS queue through a
//! real rule, only the routed detail-types arrive, failed entries are retried (and only
//! they), and what cannot be delivered is reported with how many failed.

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use pulse_bus::eventbridge::{EventBridgeBus, RetryPolicy};
use pulse_bus::{BusError, DomainEvent, EventBus, SOURCE};
use pulse_e2e::moto::{free_port, moto};
use support::{
    Fault, FaultProxy, bus_routed_to_queue, created, drain_queue, identity_of, joined, sdk_config,
};

fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
    }
}

async fn bus_at(endpoint: &str, name: &str) -> EventBridgeBus {
    let client = aws_sdk_eventbridge::Client::new(&sdk_config(endpoint).await);
    EventBridgeBus::new(client, name).with_retry_policy(quick_retries())
}

#[tokio::test]
async fn twenty_three_events_arrive_in_the_routed_queue_and_other_detail_types_do_not() {
    let endpoint = &moto().endpoint;
    let queue = bus_routed_to_queue(endpoint, "pulse-routing", &["UserJoinedAccount"]).await;
    let bus = bus_at(endpoint, "pulse-routing").await;
    let mut events: Vec<DomainEvent> = (0..23).map(|i| joined(&format!("u:{i}"))).collect();
    events.insert(5, created("not-routed-1"));
    events.push(created("not-routed-2"));

    bus.publish(events).await.expect("every event accepted");

    let received = drain_queue(endpoint, &queue, 23).await;
    assert_eq!(received.len(), 23, "exactly the routed events arrive");
    let mut identities = BTreeSet::new();
    for envelope in received {
        assert_eq!(envelope.source, SOURCE);
        assert_eq!(envelope.detail_type, "UserJoinedAccount");
        let event = envelope.into_domain_event().expect("a Pulse event");
        identities.insert(identity_of(&event).to_string());
    }
    let expected: BTreeSet<String> = (0..23).map(|i| format!("u:{i}")).collect();
    assert_eq!(identities, expected);
}

#[tokio::test]
async fn an_entry_that_failed_inside_a_successful_put_events_is_sent_again_alone() {
    let endpoint = &moto().endpoint;
    let queue = bus_routed_to_queue(endpoint, "pulse-partial", &["UserJoinedAccount"]).await;
    let proxy = FaultProxy::start(
        endpoint,
        Fault::FailEntries {
            containing: "\"u:flaky".into(),
            times: 2,
        },
    )
    .await;
    let bus = bus_at(&proxy.endpoint, "pulse-partial").await;
    let mut events: Vec<DomainEvent> = (0..12).map(|i| joined(&format!("u:{i}"))).collect();
    events.insert(3, joined("u:flaky-a"));
    events.insert(11, joined("u:flaky-b"));

    bus.publish(events).await.expect("delivered after retries");

    // 14 entries: 2 requests, then the 2 failed entries twice more in one request each time.
    assert_eq!(proxy.put_events_requests(), 4);
    let received = drain_queue(endpoint, &queue, 14).await;
    assert_eq!(
        received.len(),
        14,
        "each event exactly once: only failed entries were resent"
    );
    let identities: BTreeSet<String> = received
        .into_iter()
        .map(|envelope| identity_of(&envelope.detail).to_string())
        .collect();
    assert!(identities.contains("u:flaky-a") && identities.contains("u:flaky-b"));
    assert_eq!(identities.len(), 14);
}

#[tokio::test]
async fn entries_that_keep_failing_are_rejected_after_bounded_attempts_naming_how_many() {
    let endpoint = &moto().endpoint;
    let queue = bus_routed_to_queue(endpoint, "pulse-stubborn", &["UserJoinedAccount"]).await;
    let proxy = FaultProxy::start(
        endpoint,
        Fault::FailEntries {
            containing: "\"u:broken".into(),
            times: usize::MAX,
        },
    )
    .await;
    let bus = bus_at(&proxy.endpoint, "pulse-stubborn").await;
    let events = vec![
        joined("u:1"),
        joined("u:broken-1"),
        joined("u:2"),
        joined("u:broken-2"),
        joined("u:broken-3"),
    ];

    let error = bus.publish(events).await.expect_err("three never accepted");

    match &error {
        BusError::Rejected {
            failed,
            total,
            reason,
        } => {
            assert_eq!((*failed, *total), (3, 5));
            assert!(reason.contains("InternalFailure"), "{reason}");
            assert!(reason.contains("after 4 attempts"), "{reason}");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert!(
        error
            .to_string()
            .starts_with("3 of 5 events were not accepted")
    );
    assert_eq!(
        proxy.put_events_requests(),
        4,
        "one request per attempt, no more"
    );
    let received = drain_queue(endpoint, &queue, 2).await;
    assert_eq!(received.len(), 2, "the healthy entries were delivered once");
}

#[tokio::test]
async fn an_entry_over_256_kb_is_rejected_while_the_others_are_delivered() {
    let endpoint = &moto().endpoint;
    let queue = bus_routed_to_queue(endpoint, "pulse-oversize", &["AlertRaised"]).await;
    let bus = bus_at(endpoint, "pulse-oversize").await;
    let raised = |ids: Vec<String>| DomainEvent::AlertRaised {
        workspace: "ws".into(),
        channel: Some("cs-alerts".into()),
        alert_ids: ids,
    };
    let huge: Vec<String> = (0..12_000).map(|i| format!("alert-{i:016}")).collect();
    let events = vec![
        raised(vec!["a".into()]),
        raised(huge),
        raised(vec!["b".into()]),
    ];

    let error = bus.publish(events).await.expect_err("the huge one fails");

    match error {
        BusError::Rejected {
            failed,
            total,
            reason,
        } => {
            assert_eq!((failed, total), (1, 3));
            assert!(reason.contains("256 KB"), "{reason}");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    let received = drain_queue(endpoint, &queue, 2).await;
    assert_eq!(received.len(), 2);
}

#[tokio::test]
async fn throttled_requests_are_retried_with_back_off() {
    let endpoint = &moto().endpoint;
    let queue = bus_routed_to_queue(endpoint, "pulse-throttled", &["UserJoinedAccount"]).await;
    let proxy = FaultProxy::start(endpoint, Fault::Throttle { requests: 2 }).await;
    let bus = bus_at(&proxy.endpoint, "pulse-throttled").await;

    bus.publish(vec![joined("u:1"), joined("u:2")])
        .await
        .expect("accepted on the third request");

    assert_eq!(proxy.put_events_requests(), 3);
    assert_eq!(drain_queue(endpoint, &queue, 2).await.len(), 2);
}

#[tokio::test]
async fn a_bus_that_stays_throttled_is_reported_unavailable() {
    let endpoint = &moto().endpoint;
    bus_routed_to_queue(endpoint, "pulse-always-throttled", &["UserJoinedAccount"]).await;
    let proxy = FaultProxy::start(endpoint, Fault::Throttle { requests: 100 }).await;
    let bus = bus_at(&proxy.endpoint, "pulse-always-throttled").await;

    let error = bus.publish(vec![joined("u:1")]).await.unwrap_err();

    assert!(
        matches!(&error, BusError::Unavailable(reason) if reason.contains("ThrottlingException")),
        "{error:?}"
    );
    assert_eq!(proxy.put_events_requests(), 4);
}

#[tokio::test]
async fn an_unreachable_endpoint_is_unavailable_after_bounded_attempts() {
    let nobody = format!("http://127.0.0.1:{}", free_port());
    let bus = bus_at(&nobody, "pulse-nowhere").await;
    let started = Instant::now();

    let error = bus.publish(vec![joined("u:1")]).await.unwrap_err();

    assert!(matches!(error, BusError::Unavailable(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn publishing_to_a_bus_that_does_not_exist_is_rejected_without_retrying() {
    let endpoint = &moto().endpoint;
    let proxy = FaultProxy::start(endpoint, Fault::Throttle { requests: 0 }).await;
    let bus = bus_at(&proxy.endpoint, "pulse-missing-bus").await;
    let events: Vec<DomainEvent> = (0..12).map(|i| joined(&format!("u:{i}"))).collect();

    let error = bus.publish(events).await.unwrap_err();

    match error {
        BusError::Rejected {
            failed,
            total,
            reason,
        } => {
            assert_eq!((failed, total), (12, 12));
            assert!(reason.contains("ResourceNotFoundException"), "{reason}");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert_eq!(
        proxy.put_events_requests(),
        2,
        "one request per batch, no retries"
    );
}

#[tokio::test]
async fn publishing_nothing_sends_nothing() {
    let proxy = FaultProxy::start(&moto().endpoint, Fault::Throttle { requests: 100 }).await;
    let bus = bus_at(&proxy.endpoint, "pulse-idle").await;

    bus.publish(Vec::new()).await.expect("nothing to do");

    assert_eq!(proxy.put_events_requests(), 0);
}
