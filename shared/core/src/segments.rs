//! The default segments of SPEC §5: fixed rules over the numbers of a snapshot.

use crate::day::Day;
use crate::snapshot::SubjectKind;

/// A default segment: id, display name, and which kinds it applies to.
pub struct DefaultSegment {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub accounts_only: bool,
}

pub const DEFAULT_SEGMENTS: [DefaultSegment; 12] = [
    DefaultSegment {
        id: "most_engaged",
        name: "Most engaged",
        description: "score > 75",
        accounts_only: false,
    },
    DefaultSegment {
        id: "engaged",
        name: "Engaged",
        description: "50 ≤ score ≤ 75",
        accounts_only: false,
    },
    DefaultSegment {
        id: "passive",
        name: "Passive",
        description: "25 ≤ score < 50",
        accounts_only: false,
    },
    DefaultSegment {
        id: "least_engaged",
        name: "Least engaged",
        description: "score < 25",
        accounts_only: false,
    },
    DefaultSegment {
        id: "new",
        name: "New",
        description: "first seen (or createdAt) within the period",
        accounts_only: false,
    },
    DefaultSegment {
        id: "red_hot",
        name: "Red hot",
        description: "score change ≥ +10",
        accounts_only: false,
    },
    DefaultSegment {
        id: "ice_cold",
        name: "Ice cold",
        description: "score change ≤ −10",
        accounts_only: false,
    },
    DefaultSegment {
        id: "recently_inactive",
        name: "Recently inactive",
        description: "last event 30 to 60 days ago",
        accounts_only: false,
    },
    DefaultSegment {
        id: "mature",
        name: "Mature",
        description: "first seen (or createdAt) more than 180 days ago",
        accounts_only: false,
    },
    DefaultSegment {
        id: "multi_user",
        name: "Multi-user",
        description: "more than one member",
        accounts_only: true,
    },
    DefaultSegment {
        id: "onboarding",
        name: "Onboarding",
        description: "first seen within 30 days and activation < 100 %",
        accounts_only: false,
    },
    DefaultSegment {
        id: "activated",
        name: "Activated",
        description: "activation = 100 %",
        accounts_only: false,
    },
];

/// Looks up a default segment by id, for a kind.
pub fn default_segment(id: &str, kind: SubjectKind) -> Option<&'static DefaultSegment> {
    DEFAULT_SEGMENTS.iter().find(|segment| {
        segment.id == id && (kind == SubjectKind::Accounts || !segment.accounts_only)
    })
}

/// The numbers the default segments look at. Scores are what the API shows (a user's
/// integer score, an account's average rounded to one decimal), so a segment never
/// disagrees with the number next to it.
#[derive(Clone, Debug, Default)]
pub struct SegmentFacts {
    pub score: f64,
    pub score_change: Option<f64>,
    /// The `createdAt` trait's day, else the first call's (for `new` and `mature`).
    pub created: Option<Day>,
    /// The first call's day (for `onboarding`).
    pub first_seen: Option<Day>,
    /// The day of the last event.
    pub last_event: Option<Day>,
    pub activation: Option<f64>,
    /// Accounts only.
    pub members: Option<u32>,
}

/// The ids of the default segments the subject belongs to as of `as_of`.
pub fn default_segments(
    kind: SubjectKind,
    facts: &SegmentFacts,
    as_of: Day,
    window_days: u32,
) -> Vec<String> {
    let mut ids: Vec<&str> = Vec::new();
    let score = facts.score;
    ids.push(if score > 75.0 {
        "most_engaged"
    } else if score >= 50.0 {
        "engaged"
    } else if score >= 25.0 {
        "passive"
    } else {
        "least_engaged"
    });
    let age = facts.created.map(|created| as_of.days_since(created));
    if age.is_some_and(|age| (0..window_days as i32).contains(&age)) {
        ids.push("new");
    }
    if facts.score_change.is_some_and(|change| change >= 10.0) {
        ids.push("red_hot");
    }
    if facts.score_change.is_some_and(|change| change <= -10.0) {
        ids.push("ice_cold");
    }
    if facts
        .last_event
        .is_some_and(|last| (30..=60).contains(&as_of.days_since(last)))
    {
        ids.push("recently_inactive");
    }
    if age.is_some_and(|age| age > 180) {
        ids.push("mature");
    }
    if kind == SubjectKind::Accounts && facts.members.is_some_and(|members| members > 1) {
        ids.push("multi_user");
    }
    let activated = facts.activation.is_some_and(|rate| rate >= 100.0);
    let seen_for = facts.first_seen.map(|first| as_of.days_since(first));
    if seen_for.is_some_and(|days| (0..30).contains(&days))
        && facts.activation.is_some()
        && !activated
    {
        ids.push("onboarding");
    }
    if activated {
        ids.push("activated");
    }
    ids.into_iter().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Day {
        text.parse().unwrap()
    }

    fn segments(facts: SegmentFacts) -> Vec<String> {
        default_segments(SubjectKind::Users, &facts, day("2026-12-01"), 7)
    }

    #[test]
    fn engagement_buckets_split_at_25_50_and_75() {
        let bucket = |score: f64| {
            segments(SegmentFacts {
                score,
                ..Default::default()
            })[0]
                .clone()
        };
        assert_eq!(bucket(75.1), "most_engaged");
        assert_eq!(bucket(75.0), "engaged");
        assert_eq!(bucket(50.0), "engaged");
        assert_eq!(bucket(49.9), "passive");
        assert_eq!(bucket(25.0), "passive");
        assert_eq!(bucket(24.9), "least_engaged");
        assert_eq!(bucket(0.0), "least_engaged");
    }

    #[test]
    fn new_means_created_within_the_period() {
        let with_created = |created: &str| SegmentFacts {
            created: Some(day(created)),
            ..Default::default()
        };
        assert!(segments(with_created("2026-11-25")).contains(&"new".to_string()));
        assert!(
            !segments(with_created("2026-11-24")).contains(&"new".to_string()),
            "8 days ago"
        );
    }

    #[test]
    fn a_change_of_exactly_ten_is_red_hot_or_ice_cold() {
        let change = |change: f64| {
            segments(SegmentFacts {
                score_change: Some(change),
                ..Default::default()
            })
        };
        assert!(change(10.0).contains(&"red_hot".to_string()));
        assert!(!change(9.9).contains(&"red_hot".to_string()));
        assert!(change(-10.0).contains(&"ice_cold".to_string()));
        assert!(
            !segments(SegmentFacts::default())
                .iter()
                .any(|s| s == "red_hot" || s == "ice_cold")
        );
    }

    #[test]
    fn recently_inactive_is_30_to_60_days_inclusive() {
        let last = |text: &str| {
            segments(SegmentFacts {
                last_event: Some(day(text)),
                ..Default::default()
            })
        };
        assert!(
            !last("2026-11-02").contains(&"recently_inactive".to_string()),
            "29 days"
        );
        assert!(
            last("2026-11-01").contains(&"recently_inactive".to_string()),
            "30 days"
        );
        assert!(
            last("2026-10-02").contains(&"recently_inactive".to_string()),
            "60 days"
        );
        assert!(
            !last("2026-10-01").contains(&"recently_inactive".to_string()),
            "61 days"
        );
    }

    #[test]
    fn mature_onboarding_and_activated_follow_age_and_activation() {
        let facts = |created: &str, activation: Option<f64>| SegmentFacts {
            created: Some(day(created)),
            first_seen: Some(day(created)),
            activation,
            ..Default::default()
        };
        assert!(
            segments(facts("2026-06-03", None)).contains(&"mature".to_string()),
            "181 days"
        );
        assert!(
            !segments(facts("2026-06-04", None)).contains(&"mature".to_string()),
            "180 days"
        );
        assert!(segments(facts("2026-11-02", Some(50.0))).contains(&"onboarding".to_string()));
        assert!(!segments(facts("2026-11-01", Some(50.0))).contains(&"onboarding".to_string()));
        let long_customer_new_to_pulse = SegmentFacts {
            created: Some(day("2025-01-01")),
            first_seen: Some(day("2026-11-20")),
            activation: Some(50.0),
            ..Default::default()
        };
        let segments_of = segments(long_customer_new_to_pulse);
        assert!(
            segments_of.contains(&"onboarding".to_string()),
            "onboarding follows first seen, not createdAt"
        );
        assert!(
            segments_of.contains(&"mature".to_string()),
            "mature follows createdAt"
        );
        let done = segments(facts("2026-11-02", Some(100.0)));
        assert!(
            done.contains(&"activated".to_string()) && !done.contains(&"onboarding".to_string())
        );
    }

    #[test]
    fn multi_user_is_for_accounts_with_more_than_one_member() {
        let facts = |members| SegmentFacts {
            members: Some(members),
            ..Default::default()
        };
        let as_of = day("2026-12-01");
        assert!(
            default_segments(SubjectKind::Accounts, &facts(2), as_of, 7)
                .contains(&"multi_user".to_string())
        );
        assert!(
            !default_segments(SubjectKind::Accounts, &facts(1), as_of, 7)
                .contains(&"multi_user".to_string())
        );
        assert!(default_segment("multi_user", SubjectKind::Users).is_none());
        assert!(default_segment("multi_user", SubjectKind::Accounts).is_some());
    }
}
