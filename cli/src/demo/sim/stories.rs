//! What each account story means in numbers: how many accounts follow it, their plan
//! and size, who their members are, when they appear, and how their activity level
//! moves from day to day. Tuned for the default 90-day run; shorter runs squeeze the
//! same shapes into fewer days.

use rand::Rng;
use rand::seq::SliceRandom;

use super::Story;
use super::people::{Persona, Role};

/// Share of accounts per story. Steady takes whatever rounding leaves over.
const STORY_SHARES: [(Story, f64); 7] = [
    (Story::PowerAccount, 0.10),
    (Story::Growing, 0.15),
    (Story::CoolingOff, 0.12),
    (Story::StalledOnboarding, 0.10),
    (Story::Churned, 0.08),
    (Story::NewThisMonth, 0.08),
    (Story::Trial, 0.07),
];

/// One story per account, in random order so ids and names do not reveal the story.
pub(super) fn story_mix(accounts: usize, rng: &mut impl Rng) -> Vec<Story> {
    let mut stories = Vec::with_capacity(accounts);
    for (story, share) in STORY_SHARES {
        let count = (accounts as f64 * share).round() as usize;
        stories.extend(std::iter::repeat_n(story, count));
    }
    stories.truncate(accounts);
    stories.resize(accounts, Story::Steady);
    stories.shuffle(rng);
    stories
}

/// The commercial plan: big, healthy accounts skew enterprise; small or shaky ones starter.
pub(super) fn plan(story: Story, rng: &mut impl Rng) -> &'static str {
    let roll: f64 = rng.random();
    let (enterprise, pro) = match story {
        Story::Trial => return "trial",
        Story::PowerAccount => (0.75, 0.25),
        Story::Steady => (0.15, 0.50),
        Story::Growing => (0.0, 0.45),
        Story::CoolingOff => (0.10, 0.45),
        Story::StalledOnboarding => (0.0, 0.30),
        Story::Churned => (0.0, 0.35),
        Story::NewThisMonth => (0.0, 0.40),
    };
    if roll < enterprise {
        "enterprise"
    } else if roll < enterprise + pro {
        "pro"
    } else {
        "starter"
    }
}

/// Company head-count, consistent with the plan (a trial can be any size).
pub(super) fn employees(plan: &str, members: usize, rng: &mut impl Rng) -> u32 {
    let drawn = match plan {
        "enterprise" => rng.random_range(800..=12_000),
        "pro" => rng.random_range(60..=900),
        "starter" => rng.random_range(8..=150),
        _ => rng.random_range(5..=400),
    };
    drawn.max(members as u32 * 2)
}

/// Users the account has by the end of the run, founder included.
pub(super) fn member_count(story: Story, rng: &mut impl Rng) -> usize {
    match story {
        Story::PowerAccount => rng.random_range(25..=50),
        Story::Steady => rng.random_range(6..=26),
        Story::Growing => rng.random_range(12..=40),
        Story::CoolingOff => rng.random_range(6..=24),
        Story::StalledOnboarding => rng.random_range(1..=3),
        Story::Churned => rng.random_range(3..=12),
        Story::NewThisMonth => rng.random_range(3..=14),
        Story::Trial => rng.random_range(1..=5),
    }
}

/// The persona of a non-founder member: healthy accounts have more champions.
pub(super) fn persona(story: Story, rng: &mut impl Rng) -> Persona {
    let (champion, regular, occasional) = match story {
        Story::PowerAccount => (0.50, 0.40, 0.08),
        Story::Growing => (0.15, 0.45, 0.28),
        Story::NewThisMonth => (0.20, 0.50, 0.25),
        Story::Trial => (0.15, 0.45, 0.30),
        Story::StalledOnboarding => (0.0, 0.10, 0.50),
        Story::Churned => (0.08, 0.40, 0.32),
        Story::Steady | Story::CoolingOff => (0.15, 0.45, 0.25),
    };
    let roll: f64 = rng.random();
    if roll < champion {
        Persona::Champion
    } else if roll < champion + regular {
        Persona::Regular
    } else if roll < champion + regular + occasional {
        Persona::Occasional
    } else {
        Persona::Dormant
    }
}

/// The role of a non-founder member. Power accounts are full of people building
/// reports; elsewhere most users only read what others built.
pub(super) fn role(story: Story, rng: &mut impl Rng) -> Role {
    let (admin, analyst) = match story {
        Story::PowerAccount => (0.08, 0.57),
        Story::StalledOnboarding => (0.20, 0.30),
        _ => (0.08, 0.42),
    };
    let roll: f64 = rng.random();
    if roll < admin {
        Role::Admin
    } else if roll < admin + analyst {
        Role::Analyst
    } else {
        Role::Viewer
    }
}

/// Share of an existing account's members who join during the run rather than before it.
pub(super) fn late_joiner_share(story: Story) -> f64 {
    match story {
        Story::Growing => 0.55,
        Story::PowerAccount => 0.08,
        Story::Steady => 0.06,
        Story::CoolingOff => 0.03,
        _ => 0.0,
    }
}

/// When an account appears and when its story turns, as day indexes of the run.
#[derive(Clone, Copy)]
pub(super) struct Timeline {
    /// First day of the run the account is seen (0 for accounts that predate the run).
    pub created_day: u32,
    /// The account was a customer before the run began (its history is synced on day 0).
    pub pre_existing: bool,
    /// From this day on the account is silent (churned accounts only).
    pub churn_day: Option<u32>,
    /// The day activity starts to fall (cooling-off accounts only)…
    pub cooling_from: Option<u32>,
    /// …and how many days the slide takes.
    pub cooling_days: u32,
    /// Days for a trial's interest to halve after its first week.
    pub trial_half_life: f32,
}

pub(super) fn timeline(story: Story, days: u32, rng: &mut impl Rng) -> Timeline {
    let last = days.saturating_sub(1);
    // A day `ago_min..=ago_max` days before the end, never before day 0.
    let mut days_before_end = |ago_min: u32, ago_max: u32| {
        let earliest = days.saturating_sub(ago_max);
        let latest = days.saturating_sub(ago_min).max(earliest);
        rng.random_range(earliest..=latest).min(last)
    };
    let (created_day, churn_day, cooling_from) = match story {
        Story::NewThisMonth => (days_before_end(4, 30), None, None),
        Story::StalledOnboarding => (days_before_end(12, 38), None, None),
        Story::Trial => (days_before_end(3, 50), None, None),
        // Silent from here on: the last visit is 32–58 days before the end, inside
        // the 30–60-day window of `recently_inactive`.
        Story::Churned => (0, Some(days_before_end(32, 58).max(1)), None),
        Story::CoolingOff => (0, None, Some(days_before_end(27, 32))),
        Story::PowerAccount | Story::Steady | Story::Growing => (0, None, None),
    };
    let pre_existing = !matches!(
        story,
        Story::NewThisMonth | Story::StalledOnboarding | Story::Trial
    );
    let cooling_days = rng.random_range(8..=15);
    let trial_half_life = if rng.random_bool(0.5) { 20.0 } else { 4.0 };
    Timeline {
        created_day,
        pre_existing,
        churn_day,
        cooling_from,
        cooling_days,
        trial_half_life,
    }
}

/// The account's activity level on `day`: 1.0 is a healthy, fully engaged customer.
/// It multiplies each member's chance of using the product that day.
pub(super) fn intensity(story: Story, timeline: &Timeline, day: u32, days: u32) -> f32 {
    let age = day.saturating_sub(timeline.created_day) as f32;
    match story {
        Story::PowerAccount => 1.2,
        Story::Steady => 0.9,
        Story::Growing => 0.35 + 0.75 * day as f32 / days.saturating_sub(1).max(1) as f32,
        Story::CoolingOff => {
            let from = timeline.cooling_from.unwrap_or(days);
            if day < from {
                1.0
            } else {
                // A slide over one or two weeks, then only stragglers remain.
                (1.0 - (day - from) as f32 / timeline.cooling_days as f32).max(0.08)
            }
        }
        Story::StalledOnboarding => {
            if age < 2.0 {
                0.8
            } else {
                0.3 * 0.93_f32.powf(age)
            }
        }
        Story::Churned => match timeline.churn_day {
            Some(churn) if day >= churn => 0.0,
            // Usage thins out during the last fortnight before they leave.
            Some(churn) if day + 14 >= churn => 0.2 + 0.8 * (churn - day) as f32 / 14.0,
            _ => 1.0,
        },
        Story::NewThisMonth => {
            if age < 7.0 {
                1.15
            } else {
                1.0
            }
        }
        Story::Trial => {
            if age < 7.0 {
                1.0
            } else {
                0.5_f32.powf((age - 7.0) / timeline.trial_half_life)
            }
        }
    }
}
