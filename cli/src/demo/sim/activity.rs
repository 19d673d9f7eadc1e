//! One day of product usage. Who shows up depends on their persona, their account's
//! story and the weekday; what they do in a session depends on their role and on what
//! the account has unlocked. On top of that come the scripted moments of the stories:
//! the day-0 sync of existing customers, sign-ups (with the anonymous browsing before
//! them), invitations, a late first use of a core feature, a churning customer's
//! last visit.

use chrono::Weekday;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::calls::{CallKind, Event, Page, PlannedCall};
use super::people::{Persona, Role};
use super::population::{AccountProfile, Membership, Population};
use super::{Story, stories};

const SECOND_MS: u32 = 1_000;
const MINUTE_MS: u32 = 60 * SECOND_MS;
const LAST_MS_OF_DAY: u32 = 86_400_000 - 1;
/// Existing customers' users and memberships are synced just after midnight on day 0,
/// before any customer's working day starts.
const SYNC_START_MS: u32 = 10 * SECOND_MS;

/// What each role does in a session, as relative weights. Page views dominate, as in
/// any product; analysts build, admins administer, viewers consume.
const ADMIN_MIX: [(CallKind, u32); 13] = [
    (CallKind::Page(Page::Dashboard), 7),
    (CallKind::Page(Page::Reports), 3),
    (CallKind::Page(Page::Team), 3),
    (CallKind::Page(Page::Settings), 3),
    (CallKind::Page(Page::DataSources), 3),
    (CallKind::Page(Page::Alerts), 2),
    (CallKind::Track(Event::ReportCreated), 8),
    (CallKind::Track(Event::DashboardShared), 5),
    (CallKind::Track(Event::InviteSent), 2),
    (CallKind::Track(Event::SourceConnected), 1),
    (CallKind::Track(Event::AlertConfigured), 3),
    (CallKind::Track(Event::SettingsChanged), 4),
    (CallKind::Track(Event::ExportDownloaded), 3),
];
const ANALYST_MIX: [(CallKind, u32); 11] = [
    (CallKind::Page(Page::Dashboard), 6),
    (CallKind::Page(Page::Reports), 6),
    (CallKind::Page(Page::ReportEditor), 7),
    (CallKind::Page(Page::DataSources), 2),
    (CallKind::Page(Page::Alerts), 1),
    (CallKind::Track(Event::ReportCreated), 16),
    (CallKind::Track(Event::DashboardShared), 9),
    (CallKind::Track(Event::InviteSent), 1),
    (CallKind::Track(Event::AlertConfigured), 3),
    (CallKind::Track(Event::SettingsChanged), 1),
    (CallKind::Track(Event::ExportDownloaded), 6),
];
const VIEWER_MIX: [(CallKind, u32); 6] = [
    (CallKind::Page(Page::Dashboard), 30),
    (CallKind::Page(Page::Reports), 9),
    (CallKind::Track(Event::ExportDownloaded), 10),
    (CallKind::Track(Event::DashboardShared), 3),
    (CallKind::Track(Event::ReportCreated), 1),
    (CallKind::Track(Event::SettingsChanged), 1),
];

/// A well-mixed 64-bit hash (SplitMix64's finaliser): derives independent streams and
/// stable per-week noise from the seed.
pub(super) fn mix(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Plans every call of `day` into `out` (unsorted).
pub(super) fn plan_day(
    population: &Population,
    seed: u64,
    days: u32,
    day: u32,
    weekday: Weekday,
    out: &mut Vec<PlannedCall>,
) {
    let mut planner = DayPlanner {
        population,
        seed,
        days,
        day,
        weekday_factor: match weekday {
            Weekday::Sat => 0.12,
            Weekday::Sun => 0.08,
            Weekday::Mon => 0.95,
            Weekday::Fri => 0.85,
            _ => 1.0,
        },
        rng: StdRng::seed_from_u64(mix(seed ^ mix(u64::from(day) + 1))),
        out,
    };
    for member in 0..population.members.len() {
        planner.plan_member(member);
    }
}

struct DayPlanner<'a> {
    population: &'a Population,
    seed: u64,
    days: u32,
    day: u32,
    weekday_factor: f32,
    rng: StdRng,
    out: &'a mut Vec<PlannedCall>,
}

impl DayPlanner<'_> {
    fn push(&mut self, member: usize, at_ms: u32, kind: CallKind) {
        let variant = self.rng.random();
        self.out.push(PlannedCall {
            at_ms: at_ms.min(LAST_MS_OF_DAY),
            member: member as u32,
            kind,
            variant,
        });
    }

    fn plan_member(&mut self, index: usize) {
        let population = self.population;
        let member = &population.members[index];
        let profile = &population.profiles[member.account];
        let story = population.accounts[member.account].story;
        if profile
            .timeline
            .churn_day
            .is_some_and(|churn| self.day >= churn)
        {
            return;
        }
        if self.day < member.join_day {
            if member.previsit_day == Some(self.day) {
                self.browse_anonymously(index, profile);
            }
            return;
        }
        if self.day == 0 && population.synced_at_start(member) {
            self.sync_existing(index, member);
        }

        let intensity = stories::intensity(story, &profile.timeline, self.day, self.days);
        let events = self.events_per_session(member.persona, intensity);
        if self.day == member.join_day && !population.synced_at_start(member) {
            let start = self.join(index, member, profile, story);
            let onboarding = if member.founder {
                onboarding_script(story, profile)
            } else {
                &[]
            };
            self.session(index, start, events, onboarding);
            return;
        }
        if member.founder
            && let Some(script) = self.founder_moment(profile)
        {
            let start = profile.region.working_moment(&mut self.rng);
            self.session(index, start, events, script);
            return;
        }
        let presence = presence(member.persona)
            * intensity
            * self.weekday_factor
            * member.activity
            * self.weekly_mood(member.account);
        if self.rng.random::<f32>() < presence {
            let start = profile.region.working_moment(&mut self.rng);
            self.session(index, start, events, &[]);
            // Champions often come back later in the day.
            if member.persona == Persona::Champion && self.rng.random_bool(0.25) {
                let again = start + self.rng.random_range(90..=300) * MINUTE_MS;
                let events = self.events_per_session(member.persona, intensity);
                self.session(index, again, events / 2 + 1, &[]);
            }
        }
    }

    /// Accounts have better and worse weeks (quarter-end, holidays, a launch): ±20 %.
    fn weekly_mood(&self, account: usize) -> f32 {
        let week = u64::from(self.day / 7);
        let hash = mix(self.seed ^ mix((account as u64) << 16 | week));
        0.8 + 0.4 * (hash >> 40) as f32 / (1u64 << 24) as f32
    }

    fn events_per_session(&mut self, persona: Persona, intensity: f32) -> usize {
        let drawn: u32 = match persona {
            Persona::Champion => self.rng.random_range(4..=8),
            Persona::Regular => self.rng.random_range(2..=5),
            Persona::Occasional => self.rng.random_range(1..=4),
            Persona::Dormant => self.rng.random_range(1..=2),
        };
        // A fading account's sessions also get shorter, not just rarer, and a thriving
        // one's longer.
        ((drawn as f32 * (0.5 + 0.5 * intensity.min(1.4))).round() as usize).max(1)
    }

    /// A founder-to-be looks around the marketing site some days before signing up.
    fn browse_anonymously(&mut self, index: usize, profile: &AccountProfile) {
        let mut at = profile.region.working_moment(&mut self.rng);
        let pages = self.rng.random_range(1..=3);
        for page in [Page::Home, Page::Pricing, Page::Home]
            .into_iter()
            .take(pages)
        {
            self.push(index, at, CallKind::AnonymousPage(page));
            at += self.rng.random_range(20..=200) * SECOND_MS;
        }
    }

    /// The batch a customer's backend sends when it starts using Pulse: every existing
    /// user's traits and account membership.
    fn sync_existing(&mut self, index: usize, member: &Membership) {
        let at = SYNC_START_MS + member.user as u32 * 100;
        if member.first_for_user {
            self.push(
                index,
                at,
                CallKind::Identify {
                    with_anonymous_id: false,
                },
            );
        }
        self.push(index, at + 50, CallKind::Group);
    }

    /// Sign-up or acceptance of an invitation; returns when the first session starts.
    fn join(
        &mut self,
        index: usize,
        member: &Membership,
        profile: &AccountProfile,
        story: Story,
    ) -> u32 {
        let at = member.signup_ms;
        if !member.founder {
            let invited_at = at.saturating_sub(self.rng.random_range(3..=15) * MINUTE_MS);
            self.push(
                profile.founder,
                invited_at,
                CallKind::Invitation {
                    invitee: index as u32,
                },
            );
        }
        if member.first_for_user {
            // The pages seen before the account exists are tied to the user by `identify`.
            let pages: &[Page] = if member.founder {
                &[Page::Home, Page::Pricing, Page::SignUp]
            } else {
                &[Page::AcceptInvite]
            };
            let mut seen_at = at.saturating_sub(pages.len() as u32 * 90 * SECOND_MS);
            for &page in pages {
                self.push(index, seen_at, CallKind::AnonymousPage(page));
                seen_at += self.rng.random_range(20..=80) * SECOND_MS;
            }
            self.push(
                index,
                at,
                CallKind::Identify {
                    with_anonymous_id: true,
                },
            );
        }
        self.push(index, at + SECOND_MS, CallKind::Group);
        if member.first_for_user {
            self.push(index, at + 2 * SECOND_MS, CallKind::Track(Event::SignedUp));
        }
        if member.founder && story == Story::Trial {
            self.push(
                index,
                at + 3 * SECOND_MS,
                CallKind::Track(Event::TrialStarted),
            );
        }
        at + 3 * MINUTE_MS
    }

    /// A founder's scripted day, if today is one: the first use of a core feature after
    /// months without it, or a churning customer's last visit to export their data.
    fn founder_moment(&self, profile: &AccountProfile) -> Option<&'static [Event]> {
        let day = self.day;
        if profile.timeline.churn_day == Some(day + 1) {
            return Some(&[
                Event::ExportDownloaded,
                Event::ExportDownloaded,
                Event::SettingsChanged,
            ]);
        }
        if day > 0 && day == profile.dashboard_unlock_day {
            if day == profile.report_unlock_day {
                return Some(&[Event::ReportCreated, Event::DashboardShared]);
            }
            return Some(&[Event::DashboardShared]);
        }
        None
    }

    /// A session: log in, do the `required` things, then `events` more of the usual.
    fn session(&mut self, index: usize, start: u32, events: usize, required: &[Event]) {
        let population = self.population;
        let member = &population.members[index];
        let profile = &population.profiles[member.account];
        let mix: &[(CallKind, u32)] = match population.users[member.user].role {
            Role::Admin => &ADMIN_MIX,
            Role::Analyst => &ANALYST_MIX,
            Role::Viewer => &VIEWER_MIX,
        };
        let mut at = start;
        self.push(index, at, CallKind::Track(Event::LoggedIn));
        for &event in required {
            at += self.rng.random_range(30..=180) * SECOND_MS;
            self.push(index, at, CallKind::Track(event));
        }
        for _ in 0..events {
            at += self.rng.random_range(15..=240) * SECOND_MS;
            if self.rng.random_ratio(1, 10) {
                // A meeting or a coffee between two bursts of work.
                at += self.rng.random_range(5..=20) * MINUTE_MS;
            }
            if at > LAST_MS_OF_DAY {
                // Late sessions go on after midnight UTC; that part belongs to tomorrow,
                // which has sessions of its own.
                break;
            }
            let kind = available(pick_weighted(mix, &mut self.rng), profile, self.day);
            self.push(index, at, kind);
        }
    }
}

/// Chance that a member of a fully engaged account uses the product on a weekday.
fn presence(persona: Persona) -> f32 {
    match persona {
        Persona::Champion => 0.85,
        Persona::Regular => 0.6,
        Persona::Occasional => 0.12,
        Persona::Dormant => 0.01,
    }
}

/// What a founder does right after signing up. New customers onboard fast; trials
/// that connect data try a report; stalled ones look around and stop.
fn onboarding_script(story: Story, profile: &AccountProfile) -> &'static [Event] {
    if !profile.has_source {
        return &[];
    }
    match story {
        Story::NewThisMonth => &[
            Event::SourceConnected,
            Event::ReportCreated,
            Event::AlertConfigured,
            Event::DashboardShared,
        ],
        Story::Trial => &[Event::SourceConnected, Event::ReportCreated],
        _ => &[Event::SourceConnected],
    }
}

/// Replaces what the account cannot do (yet) by looking at the page where it would happen.
fn available(kind: CallKind, profile: &AccountProfile, day: u32) -> CallKind {
    let CallKind::Track(event) = kind else {
        return kind;
    };
    let blocked = match event {
        Event::ReportCreated => !profile.has_source || day < profile.report_unlock_day,
        Event::DashboardShared => !profile.has_source || day < profile.dashboard_unlock_day,
        Event::SourceConnected | Event::AlertConfigured => !profile.has_source,
        _ => false,
    };
    if !blocked {
        return kind;
    }
    CallKind::Page(match event {
        Event::ReportCreated => Page::Reports,
        Event::SourceConnected => Page::DataSources,
        Event::AlertConfigured => Page::Alerts,
        _ => Page::Dashboard,
    })
}

fn pick_weighted(mix: &[(CallKind, u32)], rng: &mut impl Rng) -> CallKind {
    let total: u32 = mix.iter().map(|&(_, weight)| weight).sum();
    let mut roll = rng.random_range(0..total);
    for &(kind, weight) in mix {
        if roll < weight {
            return kind;
        }
        roll -= weight;
    }
    mix[mix.len() - 1].0
}
