//! What a computation evaluates beyond the metrics and default segments: the profile's
//! custom segments (SPEC §5) and extra rules, such as the `where` filters and `custom`
//! triggers of alert rules (SPEC §6), whose matches alert decisions compare day to day.
//!
//! Order, so that every rule reads values that are final:
//! 1. scores and default segments of users and accounts ([`crate::scoring`]);
//! 2. the custom **accounts** segments, each after the segments it names;
//! 3. the custom **users** segments, likewise. A users rule's `account.<field>` reads the
//!    finished account snapshot (there is no `account.segment()` in the language);
//! 4. the extra rules, over every user (users and population scopes) or account.

use std::collections::{BTreeMap, BTreeSet};

use crate::activity::UserActivity;
use crate::profile::Profile;
use crate::rules::{EventNeed, Rule, Scope, Subject};
use crate::scoring::ScoreSet;
use crate::segment_defs::{SegmentDefinition, plan};
use crate::snapshot::{AccountScore, SubjectKind, UserScore};
use crate::subjects::{ScoredAccount, ScoredUser, SegmentView};

/// Custom segments and extra rules for [`crate::scoring::compute`]. The default is
/// nothing extra.
#[derive(Clone, Debug, Default)]
pub struct Extras {
    /// Custom segments; only those of the computed profile are evaluated.
    pub segments: Vec<SegmentDefinition>,
    /// Rules evaluated over every subject of their scope, by key; the matching subject
    /// ids land in [`ScoreSet::rule_matches`] under that key.
    pub rules: Vec<(String, Rule)>,
}

/// Every event count the profile's population filter, its custom segments and the extra
/// rules read, once each, for [`crate::records::usage_from`] and
/// [`crate::records::assemble`].
pub fn event_needs(profile: &Profile, extras: &Extras) -> Vec<EventNeed> {
    let segments = extras
        .segments
        .iter()
        .filter(|def| def.profile == profile.id)
        .map(SegmentDefinition::compiled);
    let rules = extras.rules.iter().map(|(_, rule)| rule.clone());
    let mut needs: Vec<EventNeed> = Vec::new();
    for rule in profile
        .population_rule()
        .into_iter()
        .chain(segments)
        .chain(rules)
    {
        for need in rule.event_needs() {
            if !needs.contains(&need) {
                needs.push(need);
            }
        }
    }
    needs
}

/// Evaluates `extras` over a finished computation. `activities[i]` is the activity of
/// `set.users[i]`, whose ids are sorted.
pub(crate) fn apply(
    profile: &Profile,
    extras: &Extras,
    activities: &[&UserActivity],
    set: &mut ScoreSet,
) {
    let defs: Vec<SegmentDefinition> = extras
        .segments
        .iter()
        .filter(|def| def.profile == profile.id)
        .cloned()
        .collect();
    if defs.is_empty() && extras.rules.is_empty() {
        return;
    }
    let plan = plan(&defs);
    let ordered = |kind: SubjectKind| -> Vec<(&str, &Rule)> {
        plan.order
            .iter()
            .filter(|position| defs[**position].kind == kind)
            .map(|position| (defs[*position].id.as_str(), &plan.rules[*position]))
            .collect()
    };
    let account_segments = ordered(SubjectKind::Accounts);
    let user_segments = ordered(SubjectKind::Users);
    let evaluated_accounts: BTreeSet<String> = account_segments
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    let evaluated_users: BTreeSet<String> =
        user_segments.iter().map(|(id, _)| id.to_string()).collect();

    let ScoreSet {
        users, accounts, ..
    } = set;
    let members = Members { users, activities };
    // Each loop is skipped when it has nothing to evaluate: recomputes of 100k users
    // should pay only for what the workspace defined.
    for account in accounts.iter_mut().filter(|_| !account_segments.is_empty()) {
        let account_members = members.of(account);
        let matched = matching_segments(&account_segments, |rule, matched| {
            rule.eval(&ScoredAccount {
                score: account,
                members: account_members.clone(),
                segments: SegmentView {
                    matched,
                    evaluated: &evaluated_accounts,
                },
            })
        });
        account.segments.extend(matched);
    }
    let reads_accounts = user_segments
        .iter()
        .map(|(_, rule)| *rule)
        .chain(extras.rules.iter().map(|(_, rule)| rule))
        .any(Rule::uses_account_fields);
    let account_subjects = AccountSubjects {
        accounts,
        reads_accounts,
    };
    let user_segmenting = users
        .iter_mut()
        .zip(activities)
        .filter(|_| !user_segments.is_empty());
    for (user, activity) in user_segmenting {
        let user_accounts = account_subjects.of(user);
        let matched = matching_segments(&user_segments, |rule, matched| {
            rule.eval(&ScoredUser {
                score: user,
                activity: Some(activity),
                accounts: user_accounts.clone(),
                segments: SegmentView {
                    matched,
                    evaluated: &evaluated_users,
                },
            })
        });
        user.segments.extend(matched);
    }

    let mut rule_matches: BTreeMap<String, BTreeSet<String>> = extras
        .rules
        .iter()
        .map(|(key, _)| (key.clone(), BTreeSet::new()))
        .collect();
    let (account_rules, user_rules): (Vec<_>, Vec<_>) = extras
        .rules
        .iter()
        .partition(|(_, rule)| rule.scope() == Scope::Accounts);
    let members = Members { users, activities };
    for account in accounts.iter().filter(|_| !account_rules.is_empty()) {
        let subject = ScoredAccount {
            score: account,
            members: members.of(account),
            segments: SegmentView {
                matched: &[],
                evaluated: &evaluated_accounts,
            },
        };
        record_matches(&account_rules, &subject, &account.id, &mut rule_matches);
    }
    let user_evaluating = users
        .iter()
        .zip(activities)
        .filter(|_| !user_rules.is_empty());
    for (user, activity) in user_evaluating {
        let subject = ScoredUser {
            score: user,
            activity: Some(activity),
            accounts: account_subjects.of(user),
            segments: SegmentView {
                matched: &[],
                evaluated: &evaluated_users,
            },
        };
        record_matches(&user_rules, &subject, &user.id, &mut rule_matches);
    }
    set.rule_matches = rule_matches;
}

/// The ids of the segments, in order, whose rule `holds` for the subject given the
/// segments matched so far (a later segment may name an earlier one).
fn matching_segments(
    segments: &[(&str, &Rule)],
    holds: impl Fn(&Rule, &[String]) -> bool,
) -> Vec<String> {
    let mut matched: Vec<String> = Vec::new();
    for (id, rule) in segments {
        if holds(rule, &matched) {
            matched.push(id.to_string());
        }
    }
    matched
}

fn record_matches(
    rules: &[&(String, Rule)],
    subject: &dyn Subject,
    id: &str,
    matches: &mut BTreeMap<String, BTreeSet<String>>,
) {
    for (key, rule) in rules {
        if rule.eval(subject) {
            matches
                .get_mut(key)
                .expect("every key was entered")
                .insert(id.to_string());
        }
    }
}

/// Finds an account's members' activity among the scored users (sorted by id).
struct Members<'a> {
    users: &'a [UserScore],
    activities: &'a [&'a UserActivity],
}

impl<'a> Members<'a> {
    fn of(&self, account: &AccountScore) -> Vec<&'a UserActivity> {
        account
            .members
            .iter()
            .filter_map(|member| {
                let found = self
                    .users
                    .binary_search_by(|user| user.id.as_str().cmp(&member.id));
                found.ok().map(|index| self.activities[index])
            })
            .collect()
    }
}

/// A user's accounts as subjects, for `account.<field>`; not built when no rule reads them.
struct AccountSubjects<'a> {
    accounts: &'a [AccountScore],
    reads_accounts: bool,
}

impl<'a> AccountSubjects<'a> {
    fn of(&self, user: &UserScore) -> Vec<ScoredAccount<'a>> {
        if !self.reads_accounts {
            return Vec::new();
        }
        user.accounts
            .iter()
            .filter_map(|id| {
                let index = self
                    .accounts
                    .binary_search_by(|account| account.id.cmp(id))
                    .ok()?;
                Some(ScoredAccount::new(&self.accounts[index]))
            })
            .collect()
    }
}

#[cfg(test)]
#[path = "extras_tests.rs"]
mod tests;
