//! The computation as of a day (SPEC §4): population, raw scores, p90, scores, frequency,
//! adoption, activation, score change, account roll-ups and default segments, then the
//! custom segments and extra rules of [`Extras`]. Pure: the app loads [`UserActivity`] and
//! [`AccountInfo`] from the store and saves what this returns.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use crate::activity::{AccountInfo, PopulationSubject, PreviousScores, UserActivity, created_day};
use crate::call::FlatMap;
use crate::day::Day;
pub use crate::extras::Extras;
use crate::extras::apply;
use crate::metrics::{P90, change1, mean1, p90_of_active, percent, user_score};
use crate::profile::{Criterion, CriterionTest, Profile, TraitOp};
use crate::segments::{SegmentFacts, default_segments};
use crate::snapshot::{
    AccountScore, AccountScoreSummary, Activation, Adoption, BreakdownLine, CriterionResult,
    MemberLine, SubjectKind, UserScore, UsersSummary, merge_breakdowns,
};

/// Account total users count members with any event in this many days ending with the day.
pub const TOTAL_USERS_DAYS: i32 = 90;

/// Everything one computation produced.
#[derive(Clone, Debug, Default)]
pub struct ScoreSet {
    pub users: Vec<UserScore>,
    pub accounts: Vec<AccountScore>,
    /// p90 of the active users' raw scores; `None` when nobody was active.
    pub p90: Option<f64>,
    /// Per key of [`Extras::rules`], the ids of the users or accounts the rule matched
    /// (every key is present, matched by nobody or not).
    pub rule_matches: BTreeMap<String, BTreeSet<String>>,
}

/// Scores `users` (all known users; the profile's population is applied here) and the
/// accounts they belong to, as of `as_of`, and evaluates `extras` over the results (see
/// [`crate::extras`] for the order). Users come out sorted by id, accounts too.
pub fn compute(
    profile: &Profile,
    as_of: Day,
    users: &[UserActivity],
    accounts: &HashMap<String, AccountInfo>,
    previous: &PreviousScores,
    extras: &Extras,
) -> ScoreSet {
    let population_rule = profile.population_rule();
    let population: Vec<&UserActivity> = users
        .iter()
        .filter(|user| user.first_seen.is_some_and(|seen| Day::of(seen) <= as_of))
        .filter(|user| {
            population_rule
                .as_ref()
                .is_none_or(|rule| rule.eval(&PopulationSubject { user, as_of }))
        })
        .collect();

    let period = Period::new(as_of, profile.window_days);
    let usage: Vec<UserUsage> = population
        .iter()
        .map(|user| UserUsage::measure(profile, &period, user))
        .collect();
    let p90 = p90_of_active(usage.iter().map(|usage| usage.raw));

    let user_scores: Vec<UserScore> = population
        .iter()
        .zip(&usage)
        .map(|(user, usage)| user_score_of(profile, &period, user, usage, p90, previous))
        .collect();
    let account_scores = score_accounts(
        profile,
        &period,
        &population,
        &usage,
        &user_scores,
        accounts,
        previous,
    );
    // Sorted together so that each score keeps its activity, which rules read.
    let mut scored: Vec<(UserScore, &UserActivity)> =
        user_scores.into_iter().zip(population).collect();
    scored.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    let (user_scores, activities): (Vec<UserScore>, Vec<&UserActivity>) =
        scored.into_iter().unzip();
    let mut set = ScoreSet {
        users: user_scores,
        accounts: account_scores,
        p90: p90.map(P90::value),
        rule_matches: BTreeMap::new(),
    };
    apply(profile, extras, &activities, &mut set);
    set
}

/// The engagement period: `window_days` days ending with the day, inclusive.
struct Period {
    as_of: Day,
    first: Day,
    window_days: u32,
}

impl Period {
    fn new(as_of: Day, window_days: u32) -> Period {
        Period {
            as_of,
            first: as_of.plus(1 - window_days as i32),
            window_days,
        }
    }

    fn contains(&self, day: Day) -> bool {
        self.first <= day && day <= self.as_of
    }
}

/// One user's usage measured against the profile.
struct UserUsage {
    raw: u64,
    breakdown: Vec<BreakdownLine>,
    scored_days: BTreeSet<Day>,
    /// Scored events done in the period / ever (up to the day).
    done_in_period: BTreeSet<String>,
    done_ever: BTreeSet<String>,
}

impl UserUsage {
    fn measure(profile: &Profile, period: &Period, user: &UserActivity) -> UserUsage {
        let mut usage = UserUsage {
            raw: 0,
            breakdown: Vec::new(),
            scored_days: BTreeSet::new(),
            done_in_period: BTreeSet::new(),
            done_ever: BTreeSet::new(),
        };
        for (event, weight) in profile.scored_events() {
            let mut count = 0;
            for (day, day_count) in user.period.get(event).into_iter().flatten() {
                if period.contains(*day) && *day_count > 0 {
                    count += day_count;
                    usage.scored_days.insert(*day);
                }
            }
            if count > 0 {
                let points = count * u64::from(weight);
                usage.raw += points;
                usage.done_in_period.insert(event.to_string());
                usage.breakdown.push(BreakdownLine {
                    event: event.to_string(),
                    count,
                    weight,
                    points,
                });
            }
            if user.all_time.get(event).is_some_and(|count| *count > 0) {
                usage.done_ever.insert(event.to_string());
            }
        }
        usage
            .breakdown
            .sort_by(|a, b| b.points.cmp(&a.points).then_with(|| a.event.cmp(&b.event)));
        usage
    }
}

fn user_score_of(
    profile: &Profile,
    period: &Period,
    user: &UserActivity,
    usage: &UserUsage,
    p90: Option<P90>,
    previous: &PreviousScores,
) -> UserScore {
    let id = user.public_id();
    let score = user_score(usage.raw, p90);
    let activation = activation(
        &profile.activation,
        |event| user.all_time.get(event).copied().unwrap_or(0),
        &user.traits,
    );
    let score_change = previous
        .users
        .get(&id)
        .map(|before| i64::from(score) - i64::from(*before));
    let facts = SegmentFacts {
        score: f64::from(score),
        score_change: score_change.map(|change| change as f64),
        created: created_day(&user.traits, user.first_seen),
        first_seen: user.first_seen.map(Day::of),
        last_event: user.last_seen.map(Day::of),
        activation: activation.rate,
        members: None,
    };
    UserScore {
        segments: default_segments(SubjectKind::Users, &facts, period.as_of, period.window_days),
        id,
        profile: profile.id.to_string(),
        as_of: period.as_of,
        anonymous: user
            .identity
            .as_ref()
            .is_some_and(|identity| identity.is_anonymous()),
        accounts: user.accounts.iter().cloned().collect(),
        traits: user.traits.clone(),
        raw_score: usage.raw,
        score,
        score_change,
        frequency: usage.scored_days.len() as u32,
        adoption: adoption(profile, &usage.done_in_period, &usage.done_ever),
        activation,
        first_seen: user.first_seen.expect("population users have been seen"),
        last_seen: user.last_seen,
        breakdown: usage.breakdown.clone(),
    }
}

fn adoption(profile: &Profile, in_period: &BTreeSet<String>, ever: &BTreeSet<String>) -> Adoption {
    let scored = profile.scored_events().count();
    Adoption {
        period: percent(in_period.len(), scored),
        all_time: percent(ever.len(), scored),
    }
}

/// Evaluates activation criteria: event criteria through `all_time_count`, trait
/// criteria on `traits`.
fn activation(
    criteria: &[Criterion],
    all_time_count: impl Fn(&str) -> u64,
    traits: &FlatMap,
) -> Activation {
    let results: Vec<CriterionResult> = criteria
        .iter()
        .map(|criterion| CriterionResult {
            name: criterion.name.clone(),
            met: match &criterion.test {
                CriterionTest::Event { event, min_count } => all_time_count(event) >= *min_count,
                CriterionTest::Trait {
                    trait_name,
                    op,
                    value,
                } => trait_test(traits.get(trait_name), *op, value.as_ref()),
            },
        })
        .collect();
    let met = results.iter().filter(|result| result.met).count();
    let rate = (!results.is_empty()).then(|| percent(met, results.len()));
    Activation {
        rate,
        activated: !results.is_empty() && met == results.len(),
        criteria: results,
    }
}

/// A trait criterion. Missing or null traits meet nothing but `ne`… and not even that:
/// like the rule language, a missing value compares false.
fn trait_test(actual: Option<&Value>, op: TraitOp, expected: Option<&Value>) -> bool {
    let Some(actual) = actual.filter(|value| !value.is_null()) else {
        return false;
    };
    let expected = match (op, expected) {
        (TraitOp::Exists, _) => return true,
        (_, Some(expected)) => expected,
        (_, None) => return false,
    };
    match op {
        TraitOp::Eq => loosely_equal(actual, expected),
        TraitOp::Ne => !loosely_equal(actual, expected),
        TraitOp::Gt | TraitOp::Gte | TraitOp::Lt | TraitOp::Lte => {
            let (Some(actual), Some(expected)) = (as_number(actual), as_number(expected)) else {
                return false;
            };
            match op {
                TraitOp::Gt => actual > expected,
                TraitOp::Gte => actual >= expected,
                TraitOp::Lt => actual < expected,
                _ => actual <= expected,
            }
        }
        TraitOp::Contains => match actual {
            Value::String(text) => expected
                .as_str()
                .is_some_and(|needle| text.contains(needle)),
            Value::Array(items) => items.iter().any(|item| loosely_equal(item, expected)),
            _ => false,
        },
        TraitOp::Exists => true,
    }
}

/// Equality that treats `"50"` and `50` as equal, as traits often arrive as strings.
fn loosely_equal(a: &Value, b: &Value) -> bool {
    match (as_number(a), as_number(b)) {
        (Some(x), Some(y)) if a.is_number() || b.is_number() => x == y,
        _ => a == b,
    }
}

fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn score_accounts(
    profile: &Profile,
    period: &Period,
    population: &[&UserActivity],
    usage: &[UserUsage],
    user_scores: &[UserScore],
    accounts: &HashMap<String, AccountInfo>,
    previous: &PreviousScores,
) -> Vec<AccountScore> {
    let mut members: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, user) in population.iter().enumerate() {
        for account in &user.accounts {
            members.entry(account.as_str()).or_default().push(index);
        }
    }
    let unknown = AccountInfo::default();
    members
        .into_iter()
        .map(|(id, indexes)| {
            let info = accounts.get(id).unwrap_or(&unknown);
            let roll_up = AccountRollUp {
                users: indexes.iter().map(|index| population[*index]).collect(),
                usage: indexes.iter().map(|index| &usage[*index]).collect(),
                scores: indexes.iter().map(|index| &user_scores[*index]).collect(),
            };
            roll_up.score(profile, period, id, info, previous)
        })
        .collect()
}

/// One account's members, their usage and their scores.
struct AccountRollUp<'a> {
    users: Vec<&'a UserActivity>,
    usage: Vec<&'a UserUsage>,
    scores: Vec<&'a UserScore>,
}

impl AccountRollUp<'_> {
    fn score(
        &self,
        profile: &Profile,
        period: &Period,
        id: &str,
        info: &AccountInfo,
        previous: &PreviousScores,
    ) -> AccountScore {
        let as_of = period.as_of;
        let recent_from = as_of.plus(1 - TOTAL_USERS_DAYS);
        let total = self
            .users
            .iter()
            .filter(|user| {
                user.recent_days
                    .iter()
                    .any(|day| recent_from <= *day && *day <= as_of)
            })
            .count();
        let active_scores: Vec<u32> = self
            .scores
            .iter()
            .filter(|s| s.raw_score > 0)
            .map(|s| s.score)
            .collect();
        let average = mean1(&active_scores);
        let change = previous
            .accounts
            .get(id)
            .map(|before| change1(average, *before));
        let in_period: BTreeSet<String> = self
            .usage
            .iter()
            .flat_map(|u| u.done_in_period.iter().cloned())
            .collect();
        let ever: BTreeSet<String> = self
            .usage
            .iter()
            .flat_map(|u| u.done_ever.iter().cloned())
            .collect();
        let scored_days: BTreeSet<Day> = self
            .usage
            .iter()
            .flat_map(|u| u.scored_days.iter().copied())
            .collect();
        let summed = |event: &str| -> u64 {
            self.users
                .iter()
                .map(|user| user.all_time.get(event).copied().unwrap_or(0))
                .sum()
        };
        let activation = activation(&profile.activation, summed, &info.traits);
        // An account appears with the first call that names it; members may be older.
        let first_seen = info
            .first_seen
            .or_else(|| self.users.iter().filter_map(|user| user.first_seen).min())
            .expect("an account with members has a first call");
        let last_seen = self.users.iter().filter_map(|user| user.last_seen).max();
        let facts = SegmentFacts {
            score: average,
            score_change: change,
            created: created_day(&info.traits, Some(first_seen)),
            first_seen: Some(Day::of(first_seen)),
            last_event: last_seen.map(Day::of),
            activation: activation.rate,
            members: Some(self.users.len() as u32),
        };
        let mut members: Vec<MemberLine> = self
            .scores
            .iter()
            .map(|score| MemberLine {
                id: score.id.clone(),
                score: score.score,
                raw_score: score.raw_score,
                active: score.raw_score > 0,
            })
            .collect();
        members.sort_by(|a, b| b.raw_score.cmp(&a.raw_score).then_with(|| a.id.cmp(&b.id)));
        AccountScore {
            id: id.to_string(),
            profile: profile.id.to_string(),
            as_of,
            traits: info.traits.clone(),
            users: UsersSummary {
                total: total as u32,
                active: active_scores.len() as u32,
                active_pct: percent(active_scores.len(), total),
                members: self.users.len() as u32,
            },
            score: AccountScoreSummary {
                average,
                total: self.scores.iter().map(|score| u64::from(score.score)).sum(),
                change,
            },
            frequency: scored_days.len() as u32,
            adoption: adoption(profile, &in_period, &ever),
            activation,
            segments: default_segments(SubjectKind::Accounts, &facts, as_of, period.window_days),
            first_seen,
            last_seen,
            breakdown: merge_breakdowns(self.usage.iter().flat_map(|usage| usage.breakdown.iter())),
            members,
        }
    }
}

#[cfg(test)]
#[path = "scoring_tests.rs"]
mod tests;
