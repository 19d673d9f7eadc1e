//! Who uses the product and when: personas (how much), roles (what for) and regions
//! (at which hours of the UTC day).

use rand::Rng;

const HOUR_MS: u32 = 3_600_000;
const MINUTE_MS: u32 = 60_000;

/// How intensely one member uses the product, whatever the account's story.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Persona {
    Champion,
    Regular,
    Occasional,
    Dormant,
}

/// The user's job in the product; it decides which features they reach for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Role {
    Admin,
    Analyst,
    Viewer,
}

impl Role {
    pub(super) fn label(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Viewer => "viewer",
        }
    }
}

/// Where the customer works, which sets its working hours in UTC.
#[derive(Clone, Copy, Debug)]
pub(super) enum Region {
    Europe,
    UsEast,
    UsWest,
    AsiaPacific,
}

impl Region {
    /// Mostly European and American customers, a few in Asia-Pacific.
    pub(super) fn draw(rng: &mut impl Rng) -> Region {
        match rng.random_range(0..10) {
            0..4 => Region::Europe,
            4..7 => Region::UsEast,
            7..9 => Region::UsWest,
            _ => Region::AsiaPacific,
        }
    }

    /// Start and end of the working day, in milliseconds after midnight UTC.
    fn working_hours(self) -> (u32, u32) {
        match self {
            Region::Europe => (7 * HOUR_MS, 17 * HOUR_MS),
            Region::UsEast => (13 * HOUR_MS, 22 * HOUR_MS),
            Region::UsWest => (16 * HOUR_MS, 23 * HOUR_MS + 45 * MINUTE_MS),
            Region::AsiaPacific => (HOUR_MS / 2, 9 * HOUR_MS + 30 * MINUTE_MS),
        }
    }

    /// A moment in working hours, more likely mid-day than at the edges.
    pub(super) fn working_moment(self, rng: &mut impl Rng) -> u32 {
        self.working_moment_before(rng, u32::MAX)
    }

    /// A moment in working hours but no later than `latest` (ms after midnight UTC).
    pub(super) fn working_moment_before(self, rng: &mut impl Rng, latest: u32) -> u32 {
        let (start, end) = self.working_hours();
        let end = end.min(latest).max(start);
        let middle_weighted = (rng.random::<f32>() + rng.random::<f32>()) / 2.0;
        start + ((end - start) as f32 * middle_weighted) as u32
    }
}
