//! The formulas of SPEC §4, once: percentile, score normalisation, rounding, percentages.
//! Everything here is a small pure function so it can be checked against hand-worked
//! examples and properties.

/// The `q`-th quantile (0..=1) of `sorted` (ascending) with linear interpolation between
/// closest ranks — NumPy's default and Excel's `PERCENTILE.INC`. `None` when empty.
pub fn percentile_inc(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let h = q.clamp(0.0, 1.0) * last as f64;
    let lower = h.floor() as usize;
    let upper = h.ceil() as usize;
    let fraction = h - lower as f64;
    Some(sorted[lower] + fraction * (sorted[upper] - sorted[lower]))
}

/// p90 of the raw scores of the active users (raw > 0). `None` when nobody is active.
pub fn p90_of_active(raw_scores: impl IntoIterator<Item = u64>) -> Option<f64> {
    let mut active: Vec<f64> = raw_scores
        .into_iter()
        .filter(|raw| *raw > 0)
        .map(|raw| raw as f64)
        .collect();
    active.sort_by(f64::total_cmp);
    percentile_inc(&active, 0.9)
}

/// A user's score: 0 when inactive, else `min(100, max(1, round(100·raw/p90)))` with
/// halves rounded away from zero.
pub fn user_score(raw: u64, p90: Option<f64>) -> u32 {
    match p90 {
        Some(p90) if raw > 0 && p90 > 0.0 => {
            let scaled = round_half_away(100.0 * raw as f64 / p90);
            scaled.clamp(1.0, 100.0) as u32
        }
        _ => 0,
    }
}

/// Rounds to the nearest integer, halves away from zero (`f64::round`'s rule, named so
/// that the intent is visible where it matters).
pub fn round_half_away(value: f64) -> f64 {
    value.round()
}

/// Rounds to one decimal, halves away from zero: how every percentage and average is
/// reported. Works on the decimal text of the value so that 0.15 becomes 0.2 the way a
/// person would round it, not 0.1 as binary 0.1499… would.
pub fn round1(value: f64) -> f64 {
    if !value.is_finite() {
        return value;
    }
    let scaled = value * 10.0;
    let nearest = scaled.round();
    // Binary representation puts x.x5 a hair below or above the half; decide on the
    // shortest decimal form instead.
    let text = format!("{}", value.abs());
    if let Some((_, decimals)) = text.split_once('.')
        && decimals.len() >= 2
        && decimals.as_bytes()[1] == b'5'
        && decimals[2..].bytes().all(|digit| digit == b'0')
    {
        return (scaled.abs().trunc() + 1.0).copysign(value) / 10.0;
    }
    nearest / 10.0
}

/// `part / whole × 100`, rounded to one decimal; `0.0` when `whole` is 0.
pub fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    round1(part as f64 * 100.0 / whole as f64)
}

/// Mean of `values` rounded to one decimal; `0.0` when empty.
pub fn mean1(values: &[u32]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let sum: u64 = values.iter().map(|value| u64::from(*value)).sum();
    round1(sum as f64 / values.len() as f64)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const SPEC_RAW: [u64; 13] = [475, 89, 101, 7, 3, 21, 2, 149, 223, 1, 13, 9, 37];

    #[test]
    fn the_spec_worked_example_gives_p90_208_2_and_score_72() {
        let p90 = p90_of_active(SPEC_RAW).unwrap();
        assert!((p90 - 208.2).abs() < 1e-9, "p90 = {p90}");
        assert_eq!(user_score(149, Some(p90)), 72);
    }

    #[test]
    fn worked_by_hand_p90_interpolates_between_ranks() {
        // Sorted: 1 2 3 9 10, h = 0.9·4 = 3.6 → 9 + 0.6·(10 − 9) = 9.6
        assert!((p90_of_active([10, 3, 1, 9, 2]).unwrap() - 9.6).abs() < 1e-12);
        // One active user: p90 is that user's raw score, who then scores 100.
        assert_eq!(p90_of_active([0, 0, 42]), Some(42.0));
        assert_eq!(user_score(42, Some(42.0)), 100);
        assert_eq!(p90_of_active([0, 0]), None);
    }

    #[test]
    fn scores_clamp_to_1_and_100_and_inactive_users_score_0() {
        assert_eq!(
            user_score(1, Some(1000.0)),
            1,
            "0.1 rounds to 0 but active users score at least 1"
        );
        assert_eq!(user_score(475, Some(208.2)), 100);
        assert_eq!(user_score(0, Some(208.2)), 0);
        assert_eq!(user_score(5, None), 0);
    }

    #[test]
    fn halves_round_away_from_zero() {
        // 100·3/8 = 37.5 → 38 ; 100·5/8 = 62.5 → 63
        assert_eq!(user_score(3, Some(8.0)), 38);
        assert_eq!(user_score(5, Some(8.0)), 63);
        assert_eq!(round_half_away(-2.5), -3.0);
        assert_eq!(round1(0.15), 0.2);
        assert_eq!(round1(2.25), 2.3);
        assert_eq!(round1(-2.25), -2.3);
        assert_eq!(round1(58.333), 58.3);
        assert_eq!(round1(99.96), 100.0);
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
                (Some(a), Some(b)) => prop_assert!((a - b).abs() < 1e-6, "{a} vs {b}"),
                (a, b) => prop_assert_eq!(a, b),
            }
        }

        #[test]
        fn p90_lies_between_the_smallest_and_largest_active_score(values in proptest::collection::vec(1u64..5_000, 1..200)) {
            let p90 = p90_of_active(values.clone()).unwrap();
            prop_assert!(p90 >= *values.iter().min().unwrap() as f64 - 1e-9);
            prop_assert!(p90 <= *values.iter().max().unwrap() as f64 + 1e-9);
        }

        #[test]
        fn scores_are_monotonic_in_raw_score_and_bounded(a in 0u64..10_000, b in 0u64..10_000, p90 in 1.0f64..5_000.0) {
            let (low, high) = (a.min(b), a.max(b));
            prop_assert!(user_score(low, Some(p90)) <= user_score(high, Some(p90)));
            let score = user_score(high, Some(p90));
            prop_assert!(score <= 100);
            prop_assert_eq!(score == 0, high == 0);
        }

        #[test]
        fn round1_is_within_a_twentieth(value in -1_000.0f64..1_000.0) {
            prop_assert!((round1(value) - value).abs() <= 0.05 + 1e-9);
        }
    }
}
