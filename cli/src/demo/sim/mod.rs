//! The simulated product behind `pulse demo`: "Lumen Reports", a B2B reporting and
//! dashboard tool with a few hundred customer accounts and a few thousand users, and
//! 90 days of their usage as the Segment calls `@segment/analytics-node` would send.
//!
//! Each account follows a [`Story`] (a power account, one cooling off, one that
//! churned…) so that the demo can show what Pulse makes of it and compare it with the
//! ground truth in [`Simulation::accounts`]. The run is fully determined by
//! [`SimConfig`]: each day's calls come from the population drawn from the seed plus a
//! random stream of that day's own, so a day always renders the same calls.

mod activity;
mod calls;
mod names;
mod people;
mod population;
mod stories;
#[cfg(test)]
mod test_digest;
#[cfg(test)]
mod tests;

use chrono::{Datelike, Days, NaiveDate};
use serde_json::Value;

use calls::PlannedCall;
use population::Population;

/// What to simulate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimConfig {
    pub seed: u64,
    pub accounts: usize,
    /// Length of the run; the stories are tuned for about 90 days.
    pub days: u32,
    /// The date of day index 0.
    pub start: NaiveDate,
}

impl Default for SimConfig {
    /// 200 accounts over the 90 days that end on 2026-12-01.
    fn default() -> Self {
        SimConfig {
            seed: 7,
            accounts: 200,
            days: 90,
            start: NaiveDate::from_ymd_opt(2026, 9, 3).expect("2026-09-03 is a date"),
        }
    }
}

/// The arc an account follows over the run: the ground truth the demo compares Pulse with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Story {
    /// Many users active every day, using every feature.
    PowerAccount,
    /// A healthy customer whose usage neither grows nor shrinks.
    Steady,
    /// Usage and head-count rising through the run; new users keep joining.
    Growing,
    /// Active until about 30 days before the end, then activity falls away sharply.
    CoolingOff,
    /// Signed up recently, never connected a data source, barely used the product.
    StalledOnboarding,
    /// Active early on, silent for the last 32–58 days (→ `recently_inactive`).
    Churned,
    /// Signed up within the last 30 days and onboarded fast.
    NewThisMonth,
    /// On the trial plan; some trials stay curious, others fade within days.
    Trial,
}

impl Story {
    pub fn label(&self) -> &'static str {
        match self {
            Story::PowerAccount => "power account",
            Story::Steady => "steady",
            Story::Growing => "growing",
            Story::CoolingOff => "cooling off",
            Story::StalledOnboarding => "stalled onboarding",
            Story::Churned => "churned",
            Story::NewThisMonth => "new this month",
            Story::Trial => "trial",
        }
    }
}

/// A customer account as the simulation knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimAccount {
    /// The Segment `groupId`, a slug of the name (e.g. `bluepeak-labs`).
    pub id: String,
    pub name: String,
    pub story: Story,
    /// `trial`, `starter`, `pro` or `enterprise`.
    pub plan: String,
    /// The day index the account first appears; 0 for customers that predate the run
    /// (their `createdAt` trait is older).
    pub created_day: u32,
}

pub struct Simulation {
    config: SimConfig,
    population: Population,
    /// Reused from day to day: the plan is rebuilt for every day.
    planned: Vec<PlannedCall>,
}

impl Simulation {
    pub fn new(config: SimConfig) -> Simulation {
        Simulation {
            population: population::build(&config),
            config,
            planned: Vec::new(),
        }
    }

    /// Every call of day `day_index` (0-based), in time order. A day outside the run
    /// has no calls. Days may be asked for in any order; the demo asks 0, 1, 2, ….
    pub fn day_calls(&mut self, day_index: u32) -> Vec<Value> {
        let date = self
            .config
            .start
            .checked_add_days(Days::new(u64::from(day_index)));
        let Some(date) = date.filter(|_| day_index < self.config.days) else {
            return Vec::new();
        };
        self.planned.clear();
        activity::plan_day(
            &self.population,
            self.config.seed,
            self.config.days,
            day_index,
            date.weekday(),
            &mut self.planned,
        );
        // Stable, so calls planned for the same millisecond keep their causal order
        // (identify before group before the first event).
        self.planned.sort_by_key(|call| call.at_ms);
        calls::render_day(&self.population, date, day_index, &self.planned)
    }

    /// All accounts, including those that only appear later in the run.
    pub fn accounts(&self) -> &[SimAccount] {
        &self.population.accounts
    }

    /// Distinct users over the whole run (a user in two accounts counts once).
    pub fn users_total(&self) -> usize {
        self.population.users.len()
    }
}
