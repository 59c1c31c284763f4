//! Statistics across trials: a bootstrap confidence interval of the median time to
//! healthy (seeded, so a report is reproducible) and the trial-to-trial spread.

use rand::{Rng, SeedableRng};

/// Bootstrap resamples.
pub const RESAMPLES: usize = 2000;
/// Fixed seed: the same measurements always give the same interval.
pub const SEED: u64 = 0x0070_686f_656e_6978;

/// Median of already sorted values (not empty).
pub fn median_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
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
    let mut rng = rand::rngs::StdRng::seed_from_u64(SEED);
    let mut medians = Vec::with_capacity(RESAMPLES);
    let mut sample = vec![0.0; values.len()];
    for _ in 0..RESAMPLES {
        for s in sample.iter_mut() {
            *s = values[rng.random_range(0..values.len())];
        }
        sample.sort_by(f64::total_cmp);
        medians.push(median_sorted(&sample));
    }
    medians.sort_by(f64::total_cmp);
    let at = |q: f64| medians[((q * (RESAMPLES - 1) as f64).round() as usize).min(RESAMPLES - 1)];
    Some((at(0.025), at(0.975)))
}

/// Coefficient of variation (standard deviation / mean) of per-trial values; None with
/// fewer than 2 trials or a zero mean.
pub fn coefficient_of_variation(values: &[f64]) -> Option<f64> {
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
