//! The formulas of SPEC §4, once: percentile, score normalisation, rounding, percentages.
//! Everything here is a small pure function so it can be checked against hand-worked
//! examples and properties.

/// The p90 of integer raw scores, held exactly. With `n` scores, `h = 0.9·(n−1)` is a whole
/// number of tenths, so `10·p90 = 10·x⌊h⌋ + 10·(h−⌊h⌋)·(x⌈h⌉ − x⌊h⌋)` is an integer: no
/// binary fraction can push a score that is exactly half-way (e.g. 22.5) to the wrong side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct P90 {
    tenths: u64,
}

impl P90 {
    pub fn from_tenths(tenths: u64) -> P90 {
        P90 { tenths }
    }

    pub fn tenths(self) -> u64 {
        self.tenths
    }

    /// The value, for reporting.
    pub fn value(self) -> f64 {
        self.tenths as f64 / 10.0
    }
}

/// p90 of the raw scores of the active users (raw > 0), linear interpolation between
/// closest ranks (SPEC §4). `None` when nobody is active.
pub fn p90_of_active(raw_scores: impl IntoIterator<Item = u64>) -> Option<P90> {
    let mut active: Vec<u64> = raw_scores.into_iter().filter(|raw| *raw > 0).collect();
    if active.is_empty() {
        return None;
    }
    active.sort_unstable();
    let tenths_of_h = 9 * (active.len() as u64 - 1);
    let lower = (tenths_of_h / 10) as usize;
    let fraction = tenths_of_h % 10;
    let upper = if fraction > 0 { lower + 1 } else { lower };
    Some(P90 {
        tenths: 10 * active[lower] + fraction * (active[upper] - active[lower]),
    })
}

/// A user's score: 0 when inactive, else `min(100, max(1, round(100·raw/p90)))` with
/// halves rounded away from zero — in integers: `round(1000·raw / (10·p90))`.
pub fn user_score(raw: u64, p90: Option<P90>) -> u32 {
    match p90 {
        Some(p90) if raw > 0 && p90.tenths > 0 => {
            let (raw, tenths) = (u128::from(raw), u128::from(p90.tenths));
            // floor(x + ½) for the positive ratio x = 1000·raw / tenths.
            let rounded = (2000 * raw + tenths) / (2 * tenths);
            rounded.clamp(1, 100) as u32
        }
        _ => 0,
    }
}

/// Rounds to the nearest integer, halves away from zero (`f64::round`'s rule, named so
/// that the intent is visible where it matters).
pub fn round_half_away(value: f64) -> f64 {
    value.round()
}

/// `numerator / denominator` to one decimal, halves away from zero, computed in integers
/// so that 1.15 is 1.2 (as a person rounds it), not 1.1 (as binary 1.1499… would).
fn ratio1(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 {
        return 0.0;
    }
    let (numerator, denominator) = (u128::from(numerator), u128::from(denominator));
    let tenths = (20 * numerator + denominator) / (2 * denominator);
    tenths as f64 / 10.0
}

/// `part / whole × 100`, rounded to one decimal; `0.0` when `whole` is 0.
pub fn percent(part: usize, whole: usize) -> f64 {
    ratio1(100 * part as u64, whole as u64)
}

/// Mean of `values` rounded to one decimal; `0.0` when empty.
pub fn mean1(values: &[u32]) -> f64 {
    let sum: u64 = values.iter().map(|value| u64::from(*value)).sum();
    ratio1(sum, values.len() as u64)
}

/// `now − before` for two numbers reported to one decimal (account averages), exact to
/// the tenth.
pub fn change1(now: f64, before: f64) -> f64 {
    ((now * 10.0).round() - (before * 10.0).round()) / 10.0
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const SPEC_RAW: [u64; 13] = [475, 89, 101, 7, 3, 21, 2, 149, 223, 1, 13, 9, 37];

    #[test]
    fn the_spec_worked_example_gives_p90_208_2_and_score_72() {
        let p90 = p90_of_active(SPEC_RAW).unwrap();
        assert_eq!(p90.tenths(), 2082, "p90 = 208.2");
        assert_eq!(user_score(149, Some(p90)), 72);
    }

    #[test]
    fn worked_by_hand_p90_interpolates_between_ranks() {
        // Sorted: 1 2 3 9 10, h = 0.9·4 = 3.6 → 9 + 0.6·(10 − 9) = 9.6
        assert_eq!(p90_of_active([10, 3, 1, 9, 2]).unwrap().value(), 9.6);
        // One active user: p90 is that user's raw score, who then scores 100.
        assert_eq!(p90_of_active([0, 0, 42]), Some(P90::from_tenths(420)));
        assert_eq!(user_score(42, p90_of_active([42])), 100);
        assert_eq!(p90_of_active([0, 0]), None);
    }

    #[test]
    fn scores_clamp_to_1_and_100_and_inactive_users_score_0() {
        assert_eq!(
            user_score(1, Some(P90::from_tenths(10_000))),
            1,
            "0.1 rounds to 0 but active users score at least 1"
        );
        assert_eq!(user_score(475, Some(P90::from_tenths(2082))), 100);
        assert_eq!(user_score(0, Some(P90::from_tenths(2082))), 0);
        assert_eq!(user_score(5, None), 0);
    }

    #[test]
    fn halves_round_away_from_zero() {
        // 100·3/8 = 37.5 → 38 ; 100·5/8 = 62.5 → 63
        assert_eq!(user_score(3, Some(P90::from_tenths(80))), 38);
        assert_eq!(user_score(5, Some(P90::from_tenths(80))), 63);
        // Raw 9, 11, 12, 52: h = 2.7, p90 = 12 + 0.7·40 = 40 exactly (0.9·3 is 2.7000000000000002
        // in binary); 100·9/40 = 22.5 → 23 and 100·11/40 = 27.5 → 28.
        let p90 = p90_of_active([9, 11, 12, 52]);
        assert_eq!(p90, Some(P90::from_tenths(400)));
        assert_eq!(user_score(9, p90), 23);
        assert_eq!(user_score(11, p90), 28);
        assert_eq!(round_half_away(-2.5), -3.0);
        assert_eq!(
            mean1(&[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4]),
            1.2,
            "23/20 = 1.15"
        );
        assert_eq!(mean1(&[2, 3]), 2.5);
        assert_eq!(percent(1, 8), 12.5);
        assert_eq!(percent(3, 16), 18.8, "18.75");
        assert_eq!(percent(2, 2), 100.0);
        assert_eq!(change1(41.5, 50.0), -8.5);
        assert_eq!(change1(0.3, 0.1), 0.2, "not 0.19999999999999998");
    }

    #[test]
    fn percentages_and_means_are_reported_to_one_decimal() {
        assert_eq!(percent(7, 12), 58.3);
        assert_eq!(percent(2, 3), 66.7);
        assert_eq!(percent(1, 0), 0.0);
        assert_eq!(mean1(&[72, 55, 63]), 63.3);
        assert_eq!(mean1(&[]), 0.0);
    }

    /// An independent p90: the NumPy definition written as rank arithmetic on integers.
    fn reference_p90(values: &[u64]) -> Option<f64> {
        let mut active: Vec<u64> = values.iter().copied().filter(|v| *v > 0).collect();
        if active.is_empty() {
            return None;
        }
        active.sort_unstable();
        let n = active.len() as u64;
        // h = 9·(n−1)/10 exactly: integer part and tenths.
        let tenths = 9 * (n - 1);
        let (lower, frac_tenths) = ((tenths / 10) as usize, tenths % 10);
        let upper = (lower + usize::from(frac_tenths > 0)).min(active.len() - 1);
        Some(
            active[lower] as f64
                + frac_tenths as f64 / 10.0 * (active[upper] as f64 - active[lower] as f64),
        )
    }

    proptest! {
        #[test]
        fn p90_matches_an_independent_rank_computation(values in proptest::collection::vec(0u64..5_000, 0..200)) {
            match (p90_of_active(values.clone()), reference_p90(&values)) {
                (Some(a), Some(b)) => prop_assert!((a.value() - b).abs() < 1e-6, "{a:?} vs {b}"),
                (a, b) => prop_assert_eq!(a.map(P90::value), b),
            }
        }

        #[test]
        fn p90_lies_between_the_smallest_and_largest_active_score(values in proptest::collection::vec(1u64..5_000, 1..200)) {
            let p90 = p90_of_active(values.clone()).unwrap().value();
            prop_assert!(p90 >= *values.iter().min().unwrap() as f64);
            prop_assert!(p90 <= *values.iter().max().unwrap() as f64);
        }

        #[test]
        fn scores_are_monotonic_in_raw_score_and_bounded(a in 0u64..10_000, b in 0u64..10_000, tenths in 10u64..50_000) {
            let (low, high) = (a.min(b), a.max(b));
            let p90 = P90::from_tenths(tenths);
            prop_assert!(user_score(low, Some(p90)) <= user_score(high, Some(p90)));
            let score = user_score(high, Some(p90));
            prop_assert!(score <= 100);
            prop_assert_eq!(score == 0, high == 0);
        }

        #[test]
        fn integer_scores_match_exact_rational_rounding(raw in 1u64..10_000, tenths in 1u64..100_000) {
            // 100·raw/p90 = 1000·raw/tenths; compare with the half-away rule on the exact ratio.
            let numerator = 1000 * raw;
            let (quotient, remainder) = (numerator / tenths, numerator % tenths);
            let expected = if 2 * remainder >= tenths { quotient + 1 } else { quotient };
            prop_assert_eq!(u64::from(user_score(raw, Some(P90::from_tenths(tenths)))), expected.clamp(1, 100));
        }

        #[test]
        fn percentages_are_within_a_twentieth_of_the_exact_ratio(part in 0usize..10_000, extra in 0usize..10_000) {
            let whole = part + extra;
            prop_assume!(whole > 0);
            let exact = part as f64 * 100.0 / whole as f64;
            prop_assert!((percent(part, whole) - exact).abs() <= 0.05 + 1e-9);
        }
    }
}
