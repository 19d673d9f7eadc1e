//! A seeded simulation of a small SaaS product, as the raw Segment calls its apps would
//! send: accounts with `group` traits, users who sign up (some first anonymous, then
//! `identify`d or `alias`ed), users in two accounts, trait updates, plan upgrades, daily
//! usage of a handful of events, page and screen calls, clock-skewed devices (`sentAt`),
//! retried calls (same `messageId`), late-arriving events and events placed on the exact
//! boundaries of the days the check computes.

use chrono::{DateTime, Duration, DurationRound, FixedOffset, NaiveDate, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

mod edges;

/// One call as the client sent it, with the moment Pulse received it.
#[derive(Clone, Debug)]
pub struct RawCall {
    pub received_at: DateTime<Utc>,
    pub body: Value,
}

/// The simulated data set: every call in the order it was received.
pub struct Product {
    pub calls: Vec<RawCall>,
}

/// The first day of simulated usage; usage runs for [`SPAN_DAYS`] days.
pub fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 5).expect("valid date")
}
pub const SPAN_DAYS: i64 = 60;

pub fn last_day() -> NaiveDate {
    first_day() + Duration::days(SPAN_DAYS - 1)
}

/// Event names and how often users do them. `Viewed Page`/`Viewed Screen` are sent as
/// `page`/`screen` calls; the profiles score some, list some with weight 0 and leave
/// others out.
const EVENT_MIX: [(&str, u32); 10] = [
    ("Viewed Page", 30),
    ("Filter Applied", 12),
    ("Report Created", 12),
    ("Comment Added", 10),
    ("Viewed Screen", 10),
    ("Export Downloaded", 8),
    ("Dashboard Shared", 6),
    ("Invite Sent", 5),
    ("Settings Changed", 4),
    ("Source Connected", 3),
];
const PLANS: [&str; 4] = ["trial", "starter", "pro", "enterprise"];
const CITIES: [&str; 4] = ["Berlin", "Lyon", "Austin", "Osaka"];

struct Account {
    id: String,
    traits: Map<String, Value>,
}

struct User {
    id: String,
    home: usize,
    signup: DateTime<Utc>,
    anonymous: Option<(String, bool)>,
    /// Probability of being active on a day, and events per active day.
    activity: (f64, u32),
    stops: Option<NaiveDate>,
    skew: Option<Duration>,
    mobile: bool,
}

struct Gen {
    rng: StdRng,
    seed: u64,
    counter: u64,
    calls: Vec<RawCall>,
}

/// Simulates the product for `seed`. `boundaries` are the `(day, window_days)` pairs the
/// check computes: events are placed on the first instant and the last millisecond of
/// each period and of the 90-day "total users" span, arriving late.
pub fn generate(seed: u64, boundaries: &[(NaiveDate, i64)]) -> Product {
    let mut sim = Gen {
        rng: StdRng::seed_from_u64(seed),
        seed,
        counter: 0,
        calls: Vec::new(),
    };
    let accounts = sim.accounts(15);
    let users = sim.users(80, accounts.len());
    for user in &users {
        sim.user_life(user, &accounts);
    }
    sim.account_changes(&accounts, &users);
    sim.anonymous_visitors(6);
    sim.spin_off(&users);
    sim.boundary_events(&users, &accounts, boundaries);
    sim.calls.sort_by_key(|call| call.received_at);
    Product { calls: sim.calls }
}

impl Gen {
    fn day_start(day: NaiveDate) -> DateTime<Utc> {
        Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
    }

    fn instant_on(&mut self, day: NaiveDate) -> DateTime<Utc> {
        Self::day_start(day) + Duration::milliseconds(self.rng.random_range(0..86_400_000))
    }

    fn accounts(&mut self, count: usize) -> Vec<Account> {
        (0..count)
            .map(|index| {
                let mut traits = Map::new();
                traits.insert("name".into(), json!(format!("Company {index}")));
                traits.insert("plan".into(), json!(PLANS.choose(&mut self.rng)));
                if self.rng.random_bool(0.7) {
                    traits.insert("employees".into(), json!(self.rng.random_range(2..400u64)));
                }
                let created_ago = [400, 250, 190, 120, 30, 3][self.rng.random_range(0..6)];
                let created = first_day() + Duration::days(SPAN_DAYS - created_ago);
                match self.rng.random_range(0..3) {
                    0 => {}
                    1 => {
                        traits.insert("createdAt".into(), json!(created.to_string()));
                    }
                    _ => {
                        let at = Self::day_start(created) + Duration::hours(9);
                        traits.insert("createdAt".into(), json!(at.to_rfc3339()));
                    }
                }
                traits.insert(
                    "address".into(),
                    json!({"city": CITIES.choose(&mut self.rng)}),
                );
                Account {
                    id: format!("acct-{index:02}"),
                    traits,
                }
            })
            .collect()
    }

    fn users(&mut self, count: usize, accounts: usize) -> Vec<User> {
        (0..count)
            .map(|index| {
                let pre_existing = self.rng.random_bool(0.5);
                let signup_day = if pre_existing {
                    first_day() + Duration::days(self.rng.random_range(0..3))
                } else {
                    first_day() + Duration::days(self.rng.random_range(0..SPAN_DAYS - 2))
                };
                let signup = self.instant_on(signup_day);
                let anonymous = (!pre_existing && self.rng.random_bool(0.6)).then(|| {
                    (
                        format!("anon-{}-{index}", self.seed),
                        self.rng.random_bool(0.35),
                    )
                });
                let activity = match self.rng.random_range(0..10) {
                    0..=1 => (0.85, 9),
                    2..=4 => (0.5, 4),
                    5..=7 => (0.25, 2),
                    _ => (0.08, 1),
                };
                let stops = self
                    .rng
                    .random_bool(0.25)
                    .then(|| signup_day + Duration::days(self.rng.random_range(1..SPAN_DAYS)));
                User {
                    id: format!("user-{index:03}"),
                    home: index % accounts,
                    signup,
                    anonymous,
                    activity,
                    stops,
                    skew: self
                        .rng
                        .random_bool(0.1)
                        .then(|| Duration::minutes(self.rng.random_range(-600..600))),
                    mobile: self.rng.random_bool(0.3),
                }
            })
            .collect()
    }

    fn user_traits(&mut self, user: &User, account: &Account) -> Value {
        let mut traits = json!({
            "name": format!("Person {}", user.id),
            "email": format!("{}@example.com", user.id),
            "role": if self.rng.random_bool(0.3) { "admin" } else { "member" },
            "prefs": {"theme": if self.rng.random_bool(0.5) { "dark" } else { "light" }},
        });
        if self.rng.random_bool(0.85) {
            traits["plan"] = account.traits["plan"].clone();
        }
        match self.rng.random_range(0..4) {
            0 => {}
            1 => traits["createdAt"] = json!(user.signup.to_rfc3339()),
            2 => {
                let old = first_day() - Duration::days(self.rng.random_range(20..400));
                traits["createdAt"] = json!(old.to_string());
            }
            _ => {
                let old = Self::day_start(first_day()) - Duration::hours(24 * 200 + 5);
                traits["createdAt"] = json!(old.to_rfc3339());
            }
        }
        traits
    }

    fn user_life(&mut self, user: &User, accounts: &[Account]) {
        let home = &accounts[user.home];
        let signup_day = user.signup.date_naive();
        let mut ids = json!({"userId": user.id});
        if let Some((anonymous, aliased)) = &user.anonymous {
            for _ in 0..self.rng.random_range(1..4) {
                let at = user.signup - Duration::minutes(self.rng.random_range(5..4000));
                self.emit(
                    user,
                    at,
                    json!({"type": "page", "anonymousId": anonymous, "name": "Pricing"}),
                );
            }
            let traits = self.user_traits(user, home);
            if *aliased {
                let alias = json!({"type": "alias", "previousId": anonymous, "userId": user.id});
                self.emit(user, user.signup, alias);
                let identify = json!({"type": "identify", "userId": user.id, "traits": traits});
                self.emit(user, user.signup + Duration::seconds(1), identify);
            } else {
                let identify = json!({"type": "identify", "userId": user.id, "anonymousId": anonymous, "traits": traits});
                self.emit(user, user.signup, identify);
            }
            ids["anonymousId"] = json!(anonymous);
        } else {
            let traits = self.user_traits(user, home);
            let identify = json!({"type": "identify", "userId": user.id, "traits": traits});
            self.emit(user, user.signup, identify);
        }
        let group =
            json!({"type": "group", "userId": user.id, "groupId": home.id, "traits": home.traits});
        self.emit(user, user.signup + Duration::seconds(2), group);

        // One user in eight also works in a second account, joined later by a group call
        // or by calls carrying context.groupId.
        let second = self.rng.random_bool(0.125).then(|| {
            let other =
                (user.home + 1 + self.rng.random_range(0..accounts.len() - 1)) % accounts.len();
            let join = signup_day + Duration::days(self.rng.random_range(0..30));
            (other, join, self.rng.random_bool(0.5))
        });
        if let Some((other, join, by_group)) = second {
            let at = self
                .instant_on(join)
                .max(user.signup + Duration::seconds(3));
            let call = if by_group {
                json!({"type": "group", "userId": user.id, "groupId": accounts[other].id, "traits": {"plan": accounts[other].traits["plan"]}})
            } else {
                json!({"type": "page", "userId": user.id, "name": "Switch", "context": {"groupId": accounts[other].id}})
            };
            self.emit(user, at, call);
        }
        if self.rng.random_bool(0.2) {
            let day = signup_day + Duration::days(self.rng.random_range(1..40));
            let at = self.instant_on(day);
            let traits = json!({"role": "admin", "plan": PLANS.choose(&mut self.rng)});
            self.emit(
                user,
                at,
                json!({"type": "identify", "userId": user.id, "traits": traits}),
            );
        }

        let mut day = signup_day;
        while day <= last_day() && user.stops.is_none_or(|stop| day < stop) {
            if self.rng.random_bool(user.activity.0) {
                for _ in 0..self.rng.random_range(1..=user.activity.1 * 2) {
                    let at = self.instant_on(day).max(user.signup + Duration::seconds(5));
                    let mut call = self.usage_call(user);
                    merge(&mut call, &ids);
                    if self.rng.random_bool(0.25) {
                        call["context"] = json!({"groupId": home.id});
                    } else if let Some((other, join, false)) = second
                        && day >= join
                        && self.rng.random_bool(0.3)
                    {
                        call["context"] = json!({"groupId": accounts[other].id});
                    }
                    self.emit(user, at, call);
                }
            }
            day += Duration::days(1);
        }
    }

    fn usage_call(&mut self, user: &User) -> Value {
        let total: u32 = EVENT_MIX.iter().map(|(_, weight)| weight).sum();
        let mut pick = self.rng.random_range(0..total);
        let mut name = EVENT_MIX[0].0;
        for (event, weight) in EVENT_MIX {
            if pick < weight {
                name = event;
                break;
            }
            pick -= weight;
        }
        match name {
            "Viewed Page" => {
                json!({"type": "page", "name": "Home", "properties": {"path": "/home"}})
            }
            "Viewed Screen" if user.mobile => json!({"type": "screen", "name": "Feed"}),
            "Viewed Screen" => json!({"type": "page", "name": "Feed"}),
            event => {
                json!({"type": "track", "event": event, "properties": {"source": {"kind": "web"}, "tags": ["a", "b"]}})
            }
        }
    }

    /// Plan upgrades and employee counts learned later, sent by a member.
    fn account_changes(&mut self, accounts: &[Account], users: &[User]) {
        for (index, account) in accounts.iter().enumerate() {
            let members: Vec<&User> = users.iter().filter(|user| user.home == index).collect();
            let Some(member) = members.choose(&mut self.rng).copied() else {
                continue;
            };
            let day = member.signup.date_naive() + Duration::days(self.rng.random_range(1..50));
            let at = self.instant_on(day);
            let traits = match self.rng.random_range(0..3) {
                0 => json!({"plan": "pro"}),
                1 if !account.traits.contains_key("employees") => json!({"employees": 55}),
                _ => continue,
            };
            let call = json!({"type": "group", "userId": member.id, "groupId": account.id, "traits": traits});
            self.emit(member, at, call);
        }
    }

    fn next_message_id(&mut self) -> String {
        self.counter += 1;
        format!("m-{}-{}", self.seed, self.counter)
    }

    /// Sends one call that happened at `at`: batched every six hours, sometimes days
    /// late, sometimes retried, with the device's clock skew and `sentAt`.
    fn emit(&mut self, user: &User, at: DateTime<Utc>, mut body: Value) {
        let flush = at.duration_trunc(Duration::hours(6)).expect("truncates") + Duration::hours(6);
        let late = self.rng.random_bool(0.05);
        let received_at = if late {
            flush + Duration::days(self.rng.random_range(1..6))
        } else {
            flush
        };
        if self.rng.random_bool(0.95) {
            body["messageId"] = json!(self.next_message_id());
        }
        match user.skew {
            Some(skew) => {
                body["timestamp"] = json!(self.render(at + skew));
                body["sentAt"] = json!(self.render(received_at + skew));
            }
            None => body["timestamp"] = json!(self.render(at)),
        }
        let retried = body.get("messageId").is_some() && self.rng.random_bool(0.02);
        if retried {
            self.calls.push(RawCall {
                received_at: received_at + Duration::hours(1),
                body: body.clone(),
            });
        }
        self.calls.push(RawCall { received_at, body });
    }

    /// Timestamps as client libraries write them: `Z` with milliseconds or none, an
    /// offset, or microseconds.
    fn render(&mut self, at: DateTime<Utc>) -> String {
        match self.rng.random_range(0..10) {
            0 if at.timestamp_subsec_millis() == 0 => at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            1 => {
                let offset = FixedOffset::east_opt(5 * 3600 + 1800).expect("valid offset");
                at.with_timezone(&offset)
                    .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
                    .to_string()
            }
            2 => {
                let offset = FixedOffset::west_opt(8 * 3600).expect("valid offset");
                at.with_timezone(&offset)
                    .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
                    .to_string()
            }
            3 => at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
            _ => stamp(at),
        }
    }
}

fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn merge(call: &mut Value, ids: &Value) {
    if let (Value::Object(call), Value::Object(ids)) = (call, ids) {
        for (key, value) in ids {
            call.insert(key.clone(), value.clone());
        }
    }
}
