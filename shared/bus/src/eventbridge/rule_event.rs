//! The envelope an EventBridge rule hands its targets (the evaluate and notify functions, a
//! dead-letter queue) around a Pulse event.

use serde::{Deserialize, Serialize};

use crate::{DomainEvent, SOURCE};

/// What an EventBridge rule hands its target (a Lambda function, an SQS queue): the envelope
/// around a Pulse event. `ScheduleV2` targets get their `Input` as-is instead, with no envelope.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleEvent {
    pub id: String,
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub source: String,
    #[serde(default)]
    pub account: String,
    #[serde(default)]
    pub time: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub resources: Vec<String>,
    pub detail: DomainEvent,
}

impl RuleEvent {
    /// The Pulse event inside, once the envelope is checked to be one of ours.
    pub fn into_domain_event(self) -> Result<DomainEvent, String> {
        if self.source != SOURCE {
            return Err(format!(
                "event {} comes from source {:?}, not {SOURCE:?}",
                self.id, self.source
            ));
        }
        if self.detail_type != self.detail.detail_type() {
            return Err(format!(
                "event {} says detail-type {:?} but carries a {}",
                self.id,
                self.detail_type,
                self.detail.detail_type()
            ));
        }
        Ok(self.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_envelope_yields_its_pulse_event() {
        let envelope = serde_json::json!({
            "version": "0", "id": "6a7e8feb", "detail-type": "AlertRaised", "source": "pulse",
            "account": "123456789012", "time": "2026-12-01T10:00:00Z", "region": "eu-west-1",
            "resources": [],
            "detail": {"type": "AlertRaised", "workspace": "ws", "channel": null, "alert_ids": ["a1"]}
        });
        let event: RuleEvent = serde_json::from_value(envelope.clone()).unwrap();
        assert_eq!(
            event.into_domain_event().unwrap(),
            DomainEvent::AlertRaised {
                workspace: "ws".into(),
                channel: None,
                alert_ids: vec!["a1".into()]
            }
        );
        let mut foreign = envelope;
        foreign["source"] = "aws.s3".into();
        let event: RuleEvent = serde_json::from_value(foreign).unwrap();
        assert!(event.into_domain_event().unwrap_err().contains("aws.s3"));
    }
}
