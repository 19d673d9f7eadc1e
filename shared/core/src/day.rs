//! `Day`: a UTC calendar day, the unit of aggregation and of every computation "as of D".

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A UTC calendar day. Ordered, cheap to copy, printed as `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(NaiveDate);

/// Why a day could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a day: expected YYYY-MM-DD, e.g. 2026-12-01")]
pub struct DayParseError(pub String);

impl Day {
    /// The day from a calendar date; `None` when the date does not exist.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Day> {
        NaiveDate::from_ymd_opt(year, month, day).map(Day)
    }

    /// The UTC day containing `instant`.
    pub fn of(instant: DateTime<Utc>) -> Day {
        Day(instant.date_naive())
    }

    /// Days since 1970-01-01 (negative before). Used as a compact storage key.
    pub fn number(self) -> i32 {
        self.0.num_days_from_ce() - EPOCH_DAYS_FROM_CE
    }

    /// The inverse of [`Day::number`]; `None` outside chrono's range.
    pub fn from_number(number: i32) -> Option<Day> {
        NaiveDate::from_num_days_from_ce_opt(number.checked_add(EPOCH_DAYS_FROM_CE)?).map(Day)
    }

    /// This day moved by `days` (negative moves back). Saturates at chrono's range.
    pub fn plus(self, days: i32) -> Day {
        Day::from_number(self.number().saturating_add(days)).unwrap_or(self)
    }

    /// `self − other` in days.
    pub fn days_since(self, other: Day) -> i32 {
        self.number() - other.number()
    }

    /// 00:00:00 UTC of this day.
    pub fn start(self) -> DateTime<Utc> {
        Utc.from_utc_datetime(&self.0.and_hms_opt(0, 0, 0).expect("midnight exists"))
    }

    /// The first instant after this day (00:00:00 UTC of the next day).
    pub fn end_exclusive(self) -> DateTime<Utc> {
        self.plus(1).start()
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }
}

// 1970-01-01 counted from 0001-01-01 (day 1 in chrono's reckoning).
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl FromStr for Day {
    type Err = DayParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map(Day)
            .map_err(|_| DayParseError(s.to_string()))
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_is_day_zero_and_numbers_round_trip() {
        let epoch = Day::from_ymd(1970, 1, 1).unwrap();
        assert_eq!(epoch.number(), 0);
        let day = Day::from_ymd(2026, 12, 1).unwrap();
        assert_eq!(Day::from_number(day.number()), Some(day));
        assert_eq!(day.number(), 20_788);
    }

    #[test]
    fn days_move_across_month_and_year_ends() {
        let day = Day::from_ymd(2026, 12, 31).unwrap();
        assert_eq!(day.plus(1).to_string(), "2027-01-01");
        assert_eq!(day.plus(-365).to_string(), "2025-12-31");
        assert_eq!(day.plus(1).days_since(day.plus(-6)), 7);
    }

    #[test]
    fn parses_and_prints_iso_dates_and_rejects_others() {
        let day: Day = "2026-03-02".parse().unwrap();
        assert_eq!(day.to_string(), "2026-03-02");
        assert!("2026-02-30".parse::<Day>().is_err());
        assert!("yesterday".parse::<Day>().is_err());
    }

    #[test]
    fn the_day_of_an_instant_is_its_utc_date() {
        let instant = DateTime::parse_from_rfc3339("2026-12-01T23:30:00-02:00").unwrap();
        assert_eq!(
            Day::of(instant.with_timezone(&Utc)).to_string(),
            "2026-12-02"
        );
    }
}
