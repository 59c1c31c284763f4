//! Statistics across trials: a bootstrap confidence interval of the median time to
//! healthy (seeded, so a report is reproducible) and the trial-to-trial spread.

use rand::{Rng, SeedableRng};

/// Bootstrap resamples.
pub(crate) const RESAMPLES: usize = 2000;
/// Fixed seed: the same measurements always give the same interval.
pub(crate) const SEED: u64 = 0x0070_686f_656e_6978;

/// Median of already sorted values (not empty).
pub fn median_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Median of `values` in any order (not empty), reordering them: the value sorting then
/// [`median_sorted`] gives, in linear time (a bootstrap takes thousands of medians).
pub(crate) fn median_unsorted(values: &mut [f64]) -> f64 {
    let n = values.len();
    let (low, upper, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        upper
    } else {
        let lower = low.iter().copied().max_by(f64::total_cmp).unwrap_or(upper);
        (lower + upper) / 2.0
    }
}

/// Most values a bootstrap resamples: a side with more (a crafted result, or thousands of
/// faults) is resampled through this many of its quantiles, evenly spaced, which bounds
/// the work (resamples × values) and widens the interval slightly, never narrows it.
pub(crate) const MAX_BOOTSTRAP_VALUES: usize = 2000;

/// `values`, or [`MAX_BOOTSTRAP_VALUES`] evenly spaced quantiles of them when more.
pub fn thinned(values: &[f64]) -> std::borrow::Cow<'_, [f64]> {
    let n = values.len();
    if n <= MAX_BOOTSTRAP_VALUES {
        return std::borrow::Cow::Borrowed(values);
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let m = MAX_BOOTSTRAP_VALUES;
    std::borrow::Cow::Owned((0..m).map(|i| sorted[i * (n - 1) / (m - 1)]).collect())
}

/// Median of `values` (None when empty).
pub fn median_of(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    Some(median_sorted(&v))
}

/// 95 % percentile-bootstrap interval of the median; None with fewer than 2 values.
pub fn median_ci95(values: &[f64]) -> Option<(f64, f64)> {
    if values.len() < 2 {
        return None;
    }
    let values = thinned(values);
    let mut rng = rand::rngs::StdRng::seed_from_u64(SEED);
    let mut medians = Vec::with_capacity(RESAMPLES);
    let mut sample = vec![0.0; values.len()];
    for _ in 0..RESAMPLES {
        for s in sample.iter_mut() {
            *s = values[rng.random_range(0..values.len())];
        }
        medians.push(median_unsorted(&mut sample));
    }
    medians.sort_by(f64::total_cmp);
    let at = |q: f64| medians[((q * (RESAMPLES - 1) as f64).round() as usize).min(RESAMPLES - 1)];
    Some((at(0.025), at(0.975)))
}

/// Coefficient of variation (standard deviation / mean) of per-trial values; None with
/// fewer than 2 trials or a zero mean.
pub(crate) fn coefficient_of_variation(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if mean <= 0.0 {
        return None;
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Some(var.sqrt() / mean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_linear_median_is_the_sorted_one() {
        for n in 1..40usize {
            let v: Vec<f64> = (0..n).map(|i| ((i * 7919) % 31) as f64 - 3.5).collect();
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            assert_eq!(median_unsorted(&mut v.clone()), median_sorted(&sorted), "{n}");
        }
    }

    #[test]
    fn a_huge_side_is_thinned_and_its_interval_stays_quick() {
        let v: Vec<f64> = (0..200_000).map(|i| 1000.0 + (i % 97) as f64).collect();
        let t = thinned(&v);
        assert_eq!(t.len(), MAX_BOOTSTRAP_VALUES);
        assert_eq!((t[0], t[t.len() - 1]), (1000.0, 1096.0));
        let start = std::time::Instant::now();
        let (lo, hi) = median_ci95(&v).unwrap();
        assert!(lo <= 1048.0 && 1048.0 <= hi, "{lo} {hi}");
        // a debug build under a loaded machine; unthinned, 2000 sorts of 200 k values take
        // many minutes there
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn interval_holds_the_median_and_is_reproducible() {
        let v: Vec<f64> = (0..40).map(|i| 1000.0 + (i % 7) as f64 * 10.0).collect();
        let (lo, hi) = median_ci95(&v).unwrap();
        let m = median_of(&v).unwrap();
        assert!(lo <= m && m <= hi, "{lo} {m} {hi}");
        assert_eq!(median_ci95(&v), Some((lo, hi)));
    }

    #[test]
    fn identical_values_have_a_point_interval_and_no_spread() {
        let v = vec![1200.0; 5];
        assert_eq!(median_ci95(&v), Some((1200.0, 1200.0)));
        assert_eq!(coefficient_of_variation(&v), Some(0.0));
    }

    #[test]
    fn too_few_values_give_none() {
        assert_eq!(median_ci95(&[1.0]), None);
        assert_eq!(coefficient_of_variation(&[1.0]), None);
        assert_eq!(median_of(&[]), None);
        assert_eq!(median_of(&[3.0, 1.0, 2.0, 10.0]), Some(2.5));
    }
}
