//! The simulated customer base, drawn once from the seed: accounts with their story
//! and traits, users with their role, and the memberships that tie users to accounts
//! (a persona, a join day, a sign-up time). Everything that happens later is decided
//! from these facts plus the day's own random stream.

use chrono::{Days, NaiveDate};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use super::calls::timestamp;
use super::names;
use super::people::{Persona, Region, Role};
use super::stories::{self, Timeline};
use super::{SimAccount, SimConfig, Story};

const HOUR_MS: u32 = 3_600_000;
const MINUTE_MS: u32 = 60_000;
/// Latest sign-up time of day, leaving room for the session that follows it…
const LAST_SIGNUP_MS: u32 = 22 * HOUR_MS;
/// …and for a founder, also for the teammates invited later the same day.
const LAST_FOUNDER_SIGNUP_MS: u32 = 20 * HOUR_MS;

/// What the report does not show about an account but its behaviour depends on.
pub(super) struct AccountProfile {
    pub timeline: Timeline,
    pub employees: u32,
    pub industry: &'static str,
    pub region: Region,
    pub created_at: String,
    /// Stalled accounts (and some trials) never connect data, so they cannot build reports.
    pub has_source: bool,
    /// First day members may create reports / share dashboards: late adopters' first use
    /// lands in the last days of the run.
    pub report_unlock_day: u32,
    pub dashboard_unlock_day: u32,
    /// Index of the founding admin in `Population::members`.
    pub founder: usize,
}

pub(super) struct SimUser {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub anonymous_id: String,
    pub created_at: String,
}

/// A user's place in one account.
pub(super) struct Membership {
    pub user: usize,
    pub account: usize,
    pub persona: Persona,
    pub join_day: u32,
    /// Time of day of the sign-up (or of accepting an invitation) on `join_day`.
    pub signup_ms: u32,
    /// This membership is how the user first arrived, so it carries their `identify`.
    pub first_for_user: bool,
    pub founder: bool,
    /// A founder may browse the marketing site anonymously some days before signing up.
    pub previsit_day: Option<u32>,
    /// Personal taste: some people simply use tools more than their peers.
    pub activity: f32,
}

pub(super) struct Population {
    pub accounts: Vec<SimAccount>,
    pub profiles: Vec<AccountProfile>,
    pub users: Vec<SimUser>,
    pub members: Vec<Membership>,
}

impl Population {
    /// The member was already a customer's user before the run: their traits and
    /// memberships are synced in one batch on day 0 instead of through a sign-up.
    pub(super) fn synced_at_start(&self, member: &Membership) -> bool {
        member.join_day == 0 && self.profiles[member.account].timeline.pre_existing
    }
}

pub(super) fn build(config: &SimConfig) -> Population {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let stories = stories::story_mix(config.accounts, &mut rng);
    let companies = names::company_names(config.accounts, &mut rng);
    let mut builder = Builder {
        config,
        rng,
        population: Population {
            accounts: Vec::with_capacity(config.accounts),
            profiles: Vec::with_capacity(config.accounts),
            users: Vec::new(),
            members: Vec::new(),
        },
    };
    for (story, company) in stories.into_iter().zip(companies) {
        builder.add_account(story, company);
    }
    builder.choose_late_adopters();
    builder.add_multi_account_users();
    builder.population
}

/// A new user arriving in an account.
struct Joining {
    role: Role,
    persona: Persona,
    day: u32,
    signup_ms: u32,
    previsit_day: Option<u32>,
}

struct Builder<'a> {
    config: &'a SimConfig,
    rng: StdRng,
    population: Population,
}

impl Builder<'_> {
    fn last_day(&self) -> u32 {
        self.config.days.saturating_sub(1)
    }

    fn date(&self, day: u32) -> NaiveDate {
        self.config.start + Days::new(u64::from(day))
    }

    fn add_account(&mut self, story: Story, company: names::CompanyName) {
        let rng = &mut self.rng;
        let timeline = stories::timeline(story, self.config.days, rng);
        let member_target = stories::member_count(story, rng);
        let plan = stories::plan(story, rng);
        let employees = stories::employees(plan, member_target, rng);
        let region = Region::draw(rng);
        let has_source = match story {
            Story::StalledOnboarding => false,
            Story::Trial => rng.random_bool(0.7),
            _ => true,
        };
        let founder_signup = region.working_moment_before(rng, LAST_FOUNDER_SIGNUP_MS);
        // Existing customers signed up between a few weeks and three years ago.
        let created_date = if timeline.pre_existing {
            self.config.start - Days::new(rng.random_range(20..=1_100))
        } else {
            self.date(timeline.created_day)
        };
        let account = self.population.accounts.len();
        self.population.profiles.push(AccountProfile {
            timeline,
            employees,
            industry: company.industry,
            region,
            created_at: timestamp(created_date, founder_signup),
            has_source,
            report_unlock_day: 0,
            dashboard_unlock_day: 0,
            founder: self.population.members.len(),
        });
        self.population.accounts.push(SimAccount {
            id: company.slug,
            name: company.name,
            story,
            plan: plan.to_string(),
            created_day: timeline.created_day,
        });

        let founder_persona = if story == Story::StalledOnboarding {
            Persona::Regular
        } else {
            Persona::Champion
        };
        let previsit_day = (!timeline.pre_existing && self.rng.random_bool(0.6))
            .then(|| {
                timeline
                    .created_day
                    .checked_sub(self.rng.random_range(1..=6))
            })
            .flatten();
        let founder = Joining {
            role: Role::Admin,
            persona: founder_persona,
            day: timeline.created_day,
            signup_ms: founder_signup,
            previsit_day,
        };
        self.add_member(account, created_date, founder);
        for _ in 1..member_target {
            let persona = stories::persona(story, &mut self.rng);
            let role = stories::role(story, &mut self.rng);
            let (day, signup_ms) = self.join_time(story, &timeline, region, founder_signup);
            self.add_member(
                account,
                created_date,
                Joining {
                    role,
                    persona,
                    day,
                    signup_ms,
                    previsit_day: None,
                },
            );
        }
    }

    /// When a non-founder joins: existing customers mostly had them before the run,
    /// new customers bring them in during the first days after signing up.
    fn join_time(
        &mut self,
        story: Story,
        timeline: &Timeline,
        region: Region,
        founder_signup: u32,
    ) -> (u32, u32) {
        let last = self.last_day();
        let rng = &mut self.rng;
        let signup_ms = region.working_moment_before(rng, LAST_SIGNUP_MS);
        if timeline.pre_existing {
            if !rng.random_bool(stories::late_joiner_share(story)) {
                return (0, signup_ms);
            }
            // Cooling accounts stop hiring into the tool well before they cool.
            let latest = timeline
                .cooling_from
                .map_or(last.saturating_sub(2), |day| day.saturating_sub(10));
            return (rng.random_range(3.min(latest)..=latest), signup_ms);
        }
        let spread = if story == Story::StalledOnboarding {
            8
        } else {
            6
        };
        let join_day = (timeline.created_day + rng.random_range(0..=spread)).min(last);
        if join_day == timeline.created_day {
            // The founder has to sign up before sending the invitation.
            let after_founder = founder_signup + rng.random_range(20..=150) * MINUTE_MS;
            return (join_day, after_founder);
        }
        (join_day, signup_ms)
    }

    fn add_member(&mut self, account: usize, account_created: NaiveDate, joining: Joining) {
        let (name, local_part) = names::person_name(&mut self.rng);
        let domain = &self.population.accounts[account].id;
        let mut email = format!("{local_part}@{domain}.example");
        // Two people with the same name in one company get numbered addresses; the
        // account's members are the most recent ones.
        let mut n = 2;
        while self
            .population
            .members
            .iter()
            .rev()
            .take_while(|m| m.account == account)
            .any(|m| self.population.users[m.user].email == email)
        {
            email = format!("{local_part}{n}@{domain}.example");
            n += 1;
        }
        let created_at =
            if self.population.profiles[account].timeline.pre_existing && joining.day == 0 {
                let days_known = (self.config.start - account_created).num_days().max(1) as u64;
                let joined = account_created + Days::new(self.rng.random_range(0..days_known));
                timestamp(
                    joined,
                    self.rng.random_range(6..20) * HOUR_MS + self.rng.random_range(0..HOUR_MS),
                )
            } else {
                timestamp(self.date(joining.day), joining.signup_ms)
            };
        let user = self.population.users.len();
        self.population.users.push(SimUser {
            id: format!("u-{:05}", user + 1),
            name,
            email,
            role: joining.role,
            anonymous_id: format!("anon-{:016x}", self.rng.random::<u64>()),
            created_at,
        });
        let founder = self.population.profiles[account].founder == self.population.members.len();
        self.population.members.push(Membership {
            user,
            account,
            persona: joining.persona,
            join_day: joining.day,
            signup_ms: joining.signup_ms,
            first_for_user: true,
            founder,
            previsit_day: joining.previsit_day,
            activity: self.rng.random_range(0.7..1.3),
        });
    }

    /// Established accounts whose users never created a report or shared a dashboard so
    /// far, and do it for the first time in the last days (→ `core_feature_adopted`).
    fn choose_late_adopters(&mut self) {
        let candidates: Vec<usize> = (0..self.population.accounts.len())
            .filter(|&a| {
                matches!(
                    self.population.accounts[a].story,
                    Story::Steady | Story::Growing
                )
            })
            .collect();
        let wanted = (self.config.accounts / 25).max(1).min(candidates.len());
        let last = self.last_day();
        for (nth, &account) in candidates
            .choose_multiple(&mut self.rng, wanted)
            .enumerate()
        {
            let unlock = last.saturating_sub(self.rng.random_range(1..=8));
            let profile = &mut self.population.profiles[account];
            profile.dashboard_unlock_day = unlock;
            // A few are view-only customers who never built a report either.
            if nth % 3 == 0 {
                profile.report_unlock_day = unlock;
            }
        }
    }

    /// Consultants and agency staff who work in two customers' workspaces. Only healthy
    /// accounts get them, so their activity cannot blur a churn or cooling-off story.
    fn add_multi_account_users(&mut self) {
        let pop = &self.population;
        let eligible: Vec<usize> = (0..pop.accounts.len())
            .filter(|&a| {
                matches!(
                    pop.accounts[a].story,
                    Story::PowerAccount | Story::Steady | Story::Growing
                )
            })
            .filter(|&a| pop.profiles[a].dashboard_unlock_day == 0)
            .collect();
        if eligible.len() < 2 {
            return;
        }
        let wanted = (pop.users.len() / 120).max(1);
        let last = self.last_day();
        let mut added = 0;
        for _ in 0..wanted * 20 {
            if added == wanted {
                break;
            }
            let pop = &self.population;
            let candidate = self.rng.random_range(0..pop.members.len());
            let member = &pop.members[candidate];
            let Some(&second) = eligible.choose(&mut self.rng) else {
                break;
            };
            let usable = eligible.contains(&member.account)
                && second != member.account
                && matches!(member.persona, Persona::Champion | Persona::Regular)
                && pop.users[member.user].role != Role::Viewer
                && !pop
                    .members
                    .iter()
                    .any(|m| m.user == member.user && !m.first_for_user);
            if !usable {
                continue;
            }
            let (user, first_join) = (member.user, member.join_day);
            let join_day = if first_join == 0 && self.rng.random_bool(0.5) {
                0
            } else {
                self.rng.random_range(
                    first_join.max(1).min(last)..=last.saturating_sub(2).max(first_join),
                )
            };
            let region = self.population.profiles[second].region;
            self.population.members.push(Membership {
                user,
                account: second,
                persona: if self.rng.random_bool(0.5) {
                    Persona::Regular
                } else {
                    Persona::Occasional
                },
                join_day,
                signup_ms: region.working_moment_before(&mut self.rng, LAST_SIGNUP_MS),
                first_for_user: false,
                founder: false,
                previsit_day: None,
                activity: self.rng.random_range(0.7..1.1),
            });
            added += 1;
        }
    }
}
