//! The reference's reading of the raw call list (SPEC §1–§2), written without pulse-core:
//! `messageId` de-duplication, the stored time (clock-skew correction), event names of
//! page/screen calls, flattened traits, and who owns each call once `identify` (both ids)
//! and `alias` have linked anonymous ids to users.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::generator::RawCall;

/// One accepted call, reduced to what the metrics need.
#[derive(Clone, Debug)]
pub struct Call {
    pub kind: String,
    pub user_id: Option<String>,
    pub anonymous_id: Option<String>,
    /// The usage event: track `event`, `Viewed Page`, `Viewed Screen`.
    pub event: Option<String>,
    /// `groupId` of a group call, else `context.groupId`.
    pub group_id: Option<String>,
    pub previous_id: Option<String>,
    pub traits: BTreeMap<String, Value>,
    pub at: DateTime<Utc>,
    /// The subject the call counts for (filled by [`World::new`]).
    pub owner: String,
}

impl Call {
    pub fn day(&self) -> NaiveDate {
        self.at.date_naive()
    }
}

/// Every accepted call in the order received, each with its owner.
pub struct World {
    pub calls: Vec<Call>,
}

impl World {
    pub fn new(raw: &[RawCall]) -> World {
        let mut accepted_at: HashMap<String, DateTime<Utc>> = HashMap::new();
        let mut calls = Vec::new();
        for raw in raw {
            if let Some(id) = raw.body.get("messageId").and_then(Value::as_str) {
                if let Some(before) = accepted_at.get(id)
                    && raw.received_at - *before < Duration::days(7)
                {
                    continue;
                }
                accepted_at.insert(id.to_string(), raw.received_at);
            }
            calls.push(read_call(raw));
        }
        // identify with both ids, and alias, give an anonymous id to a user.
        let mut links: HashMap<String, String> = HashMap::new();
        for call in &calls {
            match (call.kind.as_str(), &call.user_id) {
                ("identify", Some(user)) => {
                    if let Some(anonymous) = &call.anonymous_id {
                        links.insert(anonymous.clone(), user.clone());
                    }
                }
                ("alias", Some(user)) => {
                    let previous = call.previous_id.clone().expect("alias has previousId");
                    links.insert(previous, user.clone());
                }
                _ => {}
            }
        }
        for call in &mut calls {
            call.owner = match (&call.user_id, &call.anonymous_id) {
                (Some(user), _) => user.clone(),
                (None, Some(anonymous)) => links
                    .get(anonymous)
                    .cloned()
                    .unwrap_or_else(|| format!("anonymous:{anonymous}")),
                (None, None) => panic!("generated calls always carry an id"),
            };
        }
        World { calls }
    }

    /// Every subject that made a call, with the calls it owns (in received order).
    pub fn subjects(&self) -> BTreeMap<&str, Vec<&Call>> {
        let mut subjects: BTreeMap<&str, Vec<&Call>> = BTreeMap::new();
        for call in &self.calls {
            subjects.entry(call.owner.as_str()).or_default().push(call);
        }
        subjects
    }

    /// A user's traits: identify calls' traits, the latest received winning per key.
    pub fn user_traits(calls: &[&Call]) -> BTreeMap<String, Value> {
        let mut traits = BTreeMap::new();
        for call in calls.iter().filter(|call| call.kind == "identify") {
            traits.extend(call.traits.clone());
        }
        traits
    }

    /// The accounts a user's calls on or before `day` name (group calls and
    /// `context.groupId`): a user joins an account with the first call that names it.
    pub fn user_accounts(calls: &[&Call], day: NaiveDate) -> BTreeSet<String> {
        calls
            .iter()
            .filter(|call| call.day() <= day)
            .filter_map(|call| call.group_id.clone())
            .collect()
    }

    /// An account's traits from its group calls, and when a call first named it.
    pub fn account(&self, id: &str) -> (BTreeMap<String, Value>, DateTime<Utc>) {
        let mut traits = BTreeMap::new();
        let mut first = None::<DateTime<Utc>>;
        for call in &self.calls {
            if call.group_id.as_deref() != Some(id) {
                continue;
            }
            first = Some(first.map_or(call.at, |first| first.min(call.at)));
            if call.kind == "group" {
                traits.extend(call.traits.clone());
            }
        }
        (traits, first.expect("an account is named by a call"))
    }
}

fn read_call(raw: &RawCall) -> Call {
    let body = raw.body.as_object().expect("calls are objects");
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_string);
    let kind = text("type").expect("calls have a type");
    let event = match kind.as_str() {
        "track" => text("event"),
        "page" => Some("Viewed Page".to_string()),
        "screen" => Some("Viewed Screen".to_string()),
        _ => None,
    };
    let group_id = match kind.as_str() {
        "group" => text("groupId"),
        _ => body
            .get("context")
            .and_then(|context| context.get("groupId"))
            .and_then(Value::as_str)
            .map(str::to_string),
    };
    let mut traits = BTreeMap::new();
    if (kind == "identify" || kind == "group")
        && let Some(Value::Object(object)) = body.get("traits")
    {
        flatten("", object, &mut traits);
    }
    Call {
        user_id: text("userId"),
        anonymous_id: text("anonymousId"),
        previous_id: text("previousId"),
        at: stored_time(
            text("timestamp").as_deref(),
            text("sentAt").as_deref(),
            raw.received_at,
        ),
        kind,
        event,
        group_id,
        traits,
        owner: String::new(),
    }
}

/// SPEC §2 "Time": `receivedAt − (sentAt − timestamp)`, or `timestamp`, or `receivedAt`;
/// never more than 24 h after `receivedAt`.
fn stored_time(
    timestamp: Option<&str>,
    sent_at: Option<&str>,
    received_at: DateTime<Utc>,
) -> DateTime<Utc> {
    let parse = |text: &str| {
        DateTime::parse_from_rfc3339(text)
            .expect("generated times are RFC 3339")
            .with_timezone(&Utc)
    };
    let stored = match (timestamp.map(parse), sent_at.map(parse)) {
        (Some(timestamp), Some(sent_at)) => received_at - (sent_at - timestamp),
        (Some(timestamp), None) => timestamp,
        (None, _) => received_at,
    };
    if stored - received_at > Duration::hours(24) {
        received_at
    } else {
        stored
    }
}

fn flatten(prefix: &str, object: &Map<String, Value>, into: &mut BTreeMap<String, Value>) {
    for (key, value) in object {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Object(inner) => flatten(&path, inner, into),
            other => {
                into.insert(path, other.clone());
            }
        }
    }
}
