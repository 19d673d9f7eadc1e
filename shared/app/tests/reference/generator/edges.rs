//! The parts of the simulation that aim at edge cases: visitors who never sign up, an
//! account created late by a user of another account, and late-arriving events on the
//! exact boundaries of the computed periods.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate};
use rand::Rng;
use rand::seq::IndexedRandom;
use serde_json::json;

use super::{Account, Gen, RawCall, SPAN_DAYS, User, first_day, last_day, stamp};

impl Gen {
    pub(super) fn anonymous_visitors(&mut self, count: usize) {
        let visitor = User {
            id: String::new(),
            home: 0,
            signup: Self::day_start(first_day()),
            anonymous: None,
            activity: (0.0, 0),
            stops: None,
            skew: None,
            mobile: false,
        };
        for index in 0..count {
            for _ in 0..self.rng.random_range(1..6) {
                let day = first_day() + Duration::days(self.rng.random_range(0..SPAN_DAYS));
                let at = self.instant_on(day);
                let call = json!({"type": "page", "anonymousId": format!("visitor-{index}"), "name": "Blog"});
                self.emit(&visitor, at, call);
            }
        }
    }

    /// Late-arriving events on the exact edges of each computed period and 90-day span,
    /// plus two users whose only events are an old import just inside and just outside
    /// the 90 days.
    pub(super) fn boundary_events(
        &mut self,
        users: &[User],
        accounts: &[Account],
        boundaries: &[(NaiveDate, i64)],
    ) {
        let received = Self::day_start(last_day()) + Duration::days(2) + Duration::minutes(30);
        let ms = Duration::milliseconds(1);
        let mut imported = BTreeSet::new();
        for (day, window) in boundaries {
            let edges = [
                (
                    "Report Created",
                    Self::day_start(*day - Duration::days(window - 1)),
                ),
                (
                    "Dashboard Shared",
                    Self::day_start(*day - Duration::days(window - 1)) - ms,
                ),
                (
                    "Invite Sent",
                    Self::day_start(*day + Duration::days(1)) - ms,
                ),
                ("Comment Added", Self::day_start(*day + Duration::days(1))),
            ];
            for (event, at) in edges {
                let user = users.choose(&mut self.rng).expect("users exist");
                let call = json!({"type": "track", "userId": user.id, "event": event,
                    "messageId": self.next_message_id(), "timestamp": stamp(at)});
                self.calls.push(RawCall {
                    received_at: received,
                    body: call,
                });
            }
            if !imported.insert(*day) {
                continue;
            }
            for (index, at) in [
                (0, Self::day_start(*day - Duration::days(89))),
                (1, Self::day_start(*day - Duration::days(89)) - ms),
            ] {
                let id = format!("import-{day}-{index}");
                let account = &accounts[index];
                for call in [
                    json!({"type": "identify", "userId": id, "traits": {"plan": "pro", "createdAt": "2024-01-01"}}),
                    json!({"type": "group", "userId": id, "groupId": account.id}),
                    json!({"type": "track", "userId": id, "event": "Settings Changed"}),
                ] {
                    let mut call = call;
                    call["timestamp"] = json!(stamp(at));
                    call["messageId"] = json!(self.next_message_id());
                    self.calls.push(RawCall {
                        received_at: received,
                        body: call,
                    });
                }
            }
        }
    }

    /// An agency user, with the product since the start, opens an account for a new
    /// client late in the data and works in it: the account appears that day.
    pub(super) fn spin_off(&mut self, users: &[User]) {
        let Some(user) = users
            .iter()
            .find(|user| user.signup.date_naive() == first_day())
        else {
            return;
        };
        let day = first_day() + Duration::days(45);
        let at = Self::day_start(day) + Duration::hours(10);
        let traits = json!({"name": "Spin-off", "plan": "pro"});
        let call = json!({"type": "group", "userId": user.id, "groupId": "acct-spin-off", "traits": traits});
        self.emit(user, at, call);
        for offset in 1..8 {
            let at = self.instant_on(day + Duration::days(offset));
            let event = *["Report Created", "Viewed Page", "Comment Added"]
                .choose(&mut self.rng)
                .expect("events");
            let call = json!({"type": "track", "userId": user.id, "event": event, "context": {"groupId": "acct-spin-off"}});
            self.emit(user, at, call);
        }
    }
}
