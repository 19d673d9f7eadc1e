//! A whole simulated run condensed, in one pass over its calls, into what the tests
//! check. It reads only the emitted calls, never the simulation's internals, so the
//! checks hold for what Pulse will actually ingest.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Days, Weekday};
use serde_json::Value;

use super::{SimAccount, SimConfig, Simulation};

const SCORED_EVENTS: [&str; 5] = [
    "Report Created",
    "Dashboard Shared",
    "Invite Sent",
    "Source Connected",
    "Alert Configured",
];
const CORE_FEATURES: [&str; 2] = ["Report Created", "Dashboard Shared"];

/// What a well-formed call must satisfy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Rule {
    ValidType,
    UniqueMessageId,
    HasAnId,
    TrackHasEvent,
    TimestampOnItsDay,
    TimeOrder,
    KnownAccount,
    /// A user's first call is their `identify`.
    IdentifiedFirst,
}

/// What the tests need to know about a whole run, gathered in one pass.
#[derive(Default)]
pub(super) struct RunDigest {
    pub(super) accounts: Vec<SimAccount>,
    pub(super) users_total: usize,
    pub(super) calls_total: usize,
    /// Malformed calls, by the rule they break.
    pub(super) problems: HashMap<Rule, Vec<String>>,
    /// Per account, per day: usage calls (track and page) made in the account.
    pub(super) events: Vec<Vec<u32>>,
    /// Per account, per day: distinct users with usage calls in the account.
    pub(super) active_users: Vec<Vec<u32>>,
    /// Per account and core feature: the first day it was used in the account.
    pub(super) first_core_use: Vec<[Option<u32>; 2]>,
    /// Per account: the first day any call named it.
    pub(super) first_seen: Vec<Option<u32>>,
    /// Per user: the accounts they joined, and the last day they made any call.
    pub(super) memberships: HashMap<String, HashSet<usize>>,
    pub(super) last_call_day: HashMap<String, u32>,
    /// Scored events per account over the run, by name.
    pub(super) scored: Vec<HashMap<String, u32>>,
    /// Anonymous page views and the identify calls that link them: id → timestamps.
    pub(super) anonymous_views: HashMap<String, String>,
    pub(super) linked_anonymous_ids: HashMap<String, String>,
    pub(super) weekday_calls: (u64, u32),
    pub(super) weekend_calls: (u64, u32),
}

/// The default 90-day run, generated once for all tests.
pub(super) fn default_run() -> &'static RunDigest {
    static DIGEST: OnceLock<RunDigest> = OnceLock::new();
    DIGEST.get_or_init(|| digest(SimConfig::default()))
}

fn digest(config: SimConfig) -> RunDigest {
    let mut simulation = Simulation::new(config);
    let accounts = simulation.accounts().to_vec();
    let index: HashMap<String, usize> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.clone(), i))
        .collect();
    let days = config.days as usize;
    let mut digest = RunDigest {
        events: vec![vec![0; days]; accounts.len()],
        active_users: vec![vec![0; days]; accounts.len()],
        first_core_use: vec![[None; 2]; accounts.len()],
        first_seen: vec![None; accounts.len()],
        scored: vec![HashMap::new(); accounts.len()],
        users_total: simulation.users_total(),
        accounts,
        ..RunDigest::default()
    };
    let mut message_ids = HashSet::new();
    let mut identified = HashSet::new();
    for day in 0..config.days {
        let date = config.start + Days::new(u64::from(day));
        let calls = simulation.day_calls(day);
        digest.calls_total += calls.len();
        let tally = if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            &mut digest.weekend_calls
        } else {
            &mut digest.weekday_calls
        };
        *tally = (tally.0 + calls.len() as u64, tally.1 + 1);
        let mut active_today: HashSet<(usize, &str)> = HashSet::new();
        let mut previous_time = String::new();
        for call in &calls {
            let text = |key: &str| call.get(key).and_then(Value::as_str);
            let mut problem = |rule: Rule| {
                digest
                    .problems
                    .entry(rule)
                    .or_default()
                    .push(call.to_string())
            };
            let call_type = text("type").unwrap_or_default();
            if !["track", "page", "identify", "group"].contains(&call_type) {
                problem(Rule::ValidType);
            }
            if !text("messageId").is_some_and(|id| message_ids.insert(id.to_string())) {
                problem(Rule::UniqueMessageId);
            }
            let user = text("userId").filter(|id| !id.is_empty());
            let anonymous = text("anonymousId").filter(|id| !id.is_empty());
            if user.is_none() && anonymous.is_none() {
                problem(Rule::HasAnId);
            }
            if call_type == "track" && text("event").is_none_or(str::is_empty) {
                problem(Rule::TrackHasEvent);
            }
            let timestamp = text("timestamp").unwrap_or_default();
            let parsed = DateTime::parse_from_rfc3339(timestamp);
            if !timestamp.ends_with('Z') || parsed.map(|t| t.date_naive()) != Ok(date) {
                problem(Rule::TimestampOnItsDay);
            }
            if timestamp < previous_time.as_str() {
                problem(Rule::TimeOrder);
            }
            previous_time = timestamp.to_string();

            let account_id = match call_type {
                "group" => text("groupId"),
                _ => call.pointer("/context/groupId").and_then(Value::as_str),
            };
            let account = account_id.map(|id| index.get(id).copied());
            if account == Some(None) {
                problem(Rule::KnownAccount);
            }
            if let Some(user) = user {
                digest.last_call_day.insert(user.to_string(), day);
                if call_type == "identify" {
                    identified.insert(user.to_string());
                } else if !identified.contains(user) {
                    problem(Rule::IdentifiedFirst);
                }
            }
            if let (Some(user), Some(Some(account))) = (user, account) {
                digest
                    .memberships
                    .entry(user.to_string())
                    .or_default()
                    .insert(account);
                digest.first_seen[account].get_or_insert(day);
            }
            if call_type == "page" && user.is_none() {
                digest
                    .anonymous_views
                    .entry(anonymous.unwrap_or_default().to_string())
                    .or_insert(timestamp.to_string());
            }
            if call_type == "identify"
                && let Some(anonymous) = anonymous
            {
                digest
                    .linked_anonymous_ids
                    .insert(anonymous.to_string(), timestamp.to_string());
            }
            let (Some(user), Some(Some(account)), "track" | "page") = (user, account, call_type)
            else {
                continue;
            };
            digest.events[account][day as usize] += 1;
            active_today.insert((account, user));
            let event = text("event").unwrap_or("Viewed Page");
            if SCORED_EVENTS.contains(&event) {
                *digest.scored[account].entry(event.to_string()).or_default() += 1;
            }
            if let Some(feature) = CORE_FEATURES.iter().position(|&core| core == event) {
                digest.first_core_use[account][feature].get_or_insert(day);
            }
        }
        for (account, _) in active_today {
            digest.active_users[account][day as usize] += 1;
        }
    }
    digest
}
