//! Checks of the simulation's promises. Most read the default 90-day run through its
//! digest (see `test_digest`); determinism checks compare smaller runs call by call.

use std::collections::HashSet;

use super::test_digest::{Rule, RunDigest, default_run};
use super::{SimAccount, SimConfig, Simulation, Story};

fn accounts_with(run: &RunDigest, story: Story) -> impl Iterator<Item = (usize, &SimAccount)> {
    run.accounts
        .iter()
        .enumerate()
        .filter(move |(_, account)| account.story == story)
}

fn daily_average(series: &[u32], days: std::ops::Range<usize>) -> f64 {
    let count = days.len() as f64;
    series[days].iter().map(|&n| f64::from(n)).sum::<f64>() / count
}

#[test]
fn same_seed_gives_identical_calls() {
    let config = SimConfig {
        accounts: 30,
        ..SimConfig::default()
    };
    let (mut first, mut second) = (Simulation::new(config), Simulation::new(config));

    assert_eq!(first.accounts(), second.accounts());
    for day in 0..config.days {
        assert_eq!(first.day_calls(day), second.day_calls(day), "day {day}");
    }
}

#[test]
fn different_seed_gives_different_calls() {
    let config = SimConfig {
        accounts: 30,
        ..SimConfig::default()
    };
    let (mut seven, mut eight) = (
        Simulation::new(config),
        Simulation::new(SimConfig { seed: 8, ..config }),
    );

    assert_ne!(seven.accounts(), eight.accounts());
    assert_ne!(seven.day_calls(10), eight.day_calls(10));
}

#[test]
fn a_day_renders_the_same_whenever_it_is_asked_for() {
    let config = SimConfig {
        accounts: 30,
        ..SimConfig::default()
    };
    let mut in_order = Simulation::new(config);
    let day_five = (0..6).map(|day| in_order.day_calls(day)).last();

    assert_eq!(Some(Simulation::new(config).day_calls(5)), day_five);
}

#[test]
fn days_outside_the_run_have_no_calls() {
    let config = SimConfig {
        accounts: 30,
        days: 10,
        ..SimConfig::default()
    };

    assert!(Simulation::new(config).day_calls(10).is_empty());
    assert!(Simulation::new(config).day_calls(u32::MAX).is_empty());
}

/// The calls of the default run that break any of `rules`, described.
fn calls_breaking(rules: &[Rule]) -> Vec<String> {
    let run = default_run();
    rules
        .iter()
        .filter_map(|&rule| run.problems.get(&rule).map(|calls| (rule, calls)))
        .map(|(rule, calls)| format!("{} calls break {rule:?}, e.g. {}", calls.len(), calls[0]))
        .collect()
}

#[test]
fn every_call_has_a_valid_type_and_an_id() {
    let broken = calls_breaking(&[
        Rule::ValidType,
        Rule::HasAnId,
        Rule::TrackHasEvent,
        Rule::KnownAccount,
    ]);

    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn every_message_id_is_unique() {
    let broken = calls_breaking(&[Rule::UniqueMessageId]);

    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn every_timestamp_falls_on_its_day_in_time_order() {
    let broken = calls_breaking(&[Rule::TimestampOnItsDay, Rule::TimeOrder]);

    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn users_are_identified_before_they_do_anything_else() {
    let broken = calls_breaking(&[Rule::IdentifiedFirst]);

    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn default_run_has_the_intended_size() {
    let run = default_run();
    let count = |story| accounts_with(run, story).count();

    assert_eq!(run.accounts.len(), 200);
    assert!(
        (2_500..=4_000).contains(&run.users_total),
        "{} users",
        run.users_total
    );
    assert!(
        (300_000..=700_000).contains(&run.calls_total),
        "{} calls",
        run.calls_total
    );
    assert_eq!(
        [
            Story::PowerAccount,
            Story::Steady,
            Story::Growing,
            Story::CoolingOff,
            Story::StalledOnboarding,
            Story::Churned,
            Story::NewThisMonth,
            Story::Trial
        ]
        .map(count),
        [20, 60, 30, 24, 20, 16, 16, 14]
    );
    assert_eq!(
        run.accounts
            .iter()
            .map(|a| &a.name)
            .collect::<HashSet<_>>()
            .len(),
        200
    );
    assert!(accounts_with(run, Story::Trial).all(|(_, a)| a.plan == "trial"));
}

#[test]
fn cooling_off_accounts_fade_in_the_last_three_weeks() {
    let run = default_run();

    for (account, sim_account) in accounts_with(run, Story::CoolingOff) {
        let before = daily_average(&run.events[account], 30..61);
        let last_three_weeks = daily_average(&run.events[account], 69..90);
        assert!(
            last_three_weeks < before * 0.35,
            "{}: {before:.1}/day, then {last_three_weeks:.1}/day",
            sim_account.name
        );
    }
}

#[test]
fn churned_accounts_are_silent_for_their_last_30_days_and_recently_inactive() {
    let run = default_run();

    for (account, sim_account) in accounts_with(run, Story::Churned) {
        let members = run
            .memberships
            .iter()
            .filter(|(_, accounts)| accounts.contains(&account));
        let last_day = members.map(|(user, _)| run.last_call_day[user]).max();
        // As of day 89, `recently_inactive` wants the last event 30 to 60 days back.
        assert!(
            last_day.is_some_and(|day| (29..=59).contains(&day)),
            "{}: last call on day {last_day:?}",
            sim_account.name
        );
    }
}

#[test]
fn growing_accounts_end_with_more_active_users_than_they_started() {
    let run = default_run();

    for (account, sim_account) in accounts_with(run, Story::Growing) {
        let first_week: u32 = run.active_users[account][0..7].iter().sum();
        let last_week: u32 = run.active_users[account][83..90].iter().sum();
        assert!(
            last_week > first_week,
            "{}: {first_week} → {last_week}",
            sim_account.name
        );
    }
}

#[test]
fn stalled_accounts_never_connect_a_source_and_do_little() {
    let run = default_run();

    for (account, sim_account) in accounts_with(run, Story::StalledOnboarding) {
        assert_eq!(
            run.scored[account].get("Source Connected"),
            None,
            "{}",
            sim_account.name
        );
        assert!(
            run.events[account].iter().sum::<u32>() < 150,
            "{}",
            sim_account.name
        );
    }
}

#[test]
fn some_established_accounts_first_use_a_core_feature_in_the_last_days() {
    let run = default_run();

    let late_adopters = run
        .first_core_use
        .iter()
        .zip(&run.accounts)
        .filter(|(first, account)| {
            account.created_day == 0 && first.iter().any(|day| day.is_some_and(|day| day >= 80))
        })
        .count();

    assert!(late_adopters >= 5, "{late_adopters} late adopters");
}

#[test]
fn new_accounts_appear_on_their_created_day_some_after_day_60() {
    let run = default_run();

    for (account, sim_account) in run.accounts.iter().enumerate() {
        assert_eq!(
            run.first_seen[account],
            Some(sim_account.created_day),
            "{}",
            sim_account.name
        );
    }
    assert!(run.accounts.iter().filter(|a| a.created_day > 60).count() >= 10);
}

#[test]
fn anonymous_browsing_is_linked_to_the_user_who_signs_up() {
    let run = default_run();

    assert!(
        run.anonymous_views.len() > 200,
        "{} anonymous visitors",
        run.anonymous_views.len()
    );
    for (anonymous_id, first_view) in &run.anonymous_views {
        let linked_at = run.linked_anonymous_ids.get(anonymous_id);
        assert!(
            linked_at.is_some_and(|at| at >= first_view),
            "{anonymous_id} viewed at {first_view}, linked at {linked_at:?}"
        );
    }
}

#[test]
fn a_few_users_work_in_two_accounts() {
    let run = default_run();

    let in_two = run
        .memberships
        .values()
        .filter(|accounts| accounts.len() == 2)
        .count();

    assert!(
        (10..=60).contains(&in_two),
        "{in_two} users in two accounts"
    );
    assert!(run.memberships.values().all(|accounts| accounts.len() <= 2));
}

#[test]
fn weekends_are_much_quieter_than_weekdays() {
    let run = default_run();
    let per_day = |(calls, days): (u64, u32)| calls as f64 / f64::from(days);

    assert!(per_day(run.weekend_calls) < per_day(run.weekday_calls) * 0.25);
}
