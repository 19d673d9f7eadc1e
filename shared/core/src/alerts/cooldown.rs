//! An alert rule's cooldown: a duration written like `24h`, `30m`, `2d` or `1h30m`, kept
//! in seconds for decisions and as written for reading back.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest cooldown accepted: a year covers any sensible "remind me at most…".
pub const MAX_COOLDOWN_SECS: u64 = 366 * 86_400;

const UNITS: [(char, u64); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cooldown {
    seconds: u64,
    /// As written (trimmed), so a rule reads back the way its author wrote it.
    text: String,
}

impl Cooldown {
    /// Whole numbers each followed by a unit, largest unit first, each unit at most once:
    /// `d` days, `h` hours, `m` minutes, `s` seconds; spaces between parts are allowed.
    pub fn parse(text: &str) -> Result<Cooldown, String> {
        let text = text.trim();
        let refuse =
            || format!("`{text}` is not a duration; write e.g. `24h`, `30m`, `2d` or `1h30m`");
        if text.is_empty() {
            return Err(refuse());
        }
        let mut seconds: u64 = 0;
        // Units must come in order; this is the index of the next one allowed.
        let mut next_unit = 0;
        let mut rest = text;
        while !rest.is_empty() {
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            let amount: u64 = rest[..digits].parse().map_err(|_| refuse())?;
            let unit = rest[digits..].chars().next().ok_or_else(refuse)?;
            let position = UNITS[next_unit..]
                .iter()
                .position(|(name, _)| *name == unit)
                .ok_or_else(refuse)?;
            let (_, unit_seconds) = UNITS[next_unit + position];
            next_unit += position + 1;
            seconds = amount
                .checked_mul(unit_seconds)
                .and_then(|part| seconds.checked_add(part))
                .ok_or_else(refuse)?;
            rest = rest[digits + unit.len_utf8()..].trim_start();
        }
        if seconds == 0 {
            return Err(format!(
                "`{text}` is no time at all; leave `cooldown` out for none"
            ));
        }
        if seconds > MAX_COOLDOWN_SECS {
            return Err(format!("`{text}` is longer than the maximum of 366d"));
        }
        Ok(Cooldown {
            seconds,
            text: text.to_string(),
        })
    }

    /// A cooldown of `seconds`, written with the largest units that fit exactly.
    pub fn from_seconds(seconds: u64) -> Cooldown {
        let mut text = String::new();
        let mut left = seconds;
        for (name, unit_seconds) in UNITS {
            if left >= unit_seconds {
                text.push_str(&format!("{}{name}", left / unit_seconds));
                left %= unit_seconds;
            }
        }
        if text.is_empty() {
            text.push_str("0s");
        }
        Cooldown { seconds, text }
    }

    pub fn seconds(&self) -> u64 {
        self.seconds
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Cooldown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Cooldown {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Cooldown {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Cooldown::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_durations_parse_to_seconds_and_read_back_as_written() {
        let seconds = |text: &str| Cooldown::parse(text).unwrap().seconds();
        assert_eq!(seconds("24h"), 86_400);
        assert_eq!(seconds("30m"), 1_800);
        assert_eq!(seconds("2d"), 172_800);
        assert_eq!(seconds("1h30m"), 5_400);
        assert_eq!(seconds(" 1h 30m "), 5_400);
        assert_eq!(seconds("45s"), 45);
        assert_eq!(Cooldown::parse("24h").unwrap().to_string(), "24h");
    }

    #[test]
    fn anything_else_is_refused_with_examples() {
        for text in ["", "h", "24", "24x", "-1h", "30m1h", "1h1h", "1.5h", "24 h"] {
            let error = Cooldown::parse(text).unwrap_err();
            assert!(error.contains("e.g. `24h`"), "{text}: {error}");
        }
        assert!(
            Cooldown::parse("0m")
                .unwrap_err()
                .contains("no time at all")
        );
        assert!(Cooldown::parse("400d").unwrap_err().contains("366d"));
        assert!(Cooldown::parse("99999999999999999999d").is_err());
    }

    #[test]
    fn from_seconds_writes_the_largest_units_that_fit() {
        assert_eq!(Cooldown::from_seconds(5_400).as_str(), "1h30m");
        assert_eq!(Cooldown::from_seconds(90_061).as_str(), "1d1h1m1s");
        assert_eq!(Cooldown::from_seconds(86_400).as_str(), "1d");
    }
}
