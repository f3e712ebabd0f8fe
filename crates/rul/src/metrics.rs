//! Scores of RUL predictions against the truth, both taken at an engine's
//! last observed cycle.

/// Root mean squared error.
pub fn rmse(pairs: &[(f64, f64)]) -> f64 {
    if pairs.is_empty() {
        return f64::NAN;
    }
    (pairs.iter().map(|(p, t)| (p - t).powi(2)).sum::<f64>() / pairs.len() as f64).sqrt()
}

/// The PHM08 challenge's score of one prediction: late predictions
/// (`d = predicted - true > 0`) cost more than early ones, because an
/// engine flown past its life is worse than one serviced early.
pub fn phm08(predicted: f64, truth: f64) -> f64 {
    let d = predicted - truth;
    if d < 0.0 {
        (-d / 13.0).exp() - 1.0
    } else {
        (d / 10.0).exp() - 1.0
    }
}

/// The PHM08 score summed over `(predicted, true)` pairs.
pub fn phm08_sum(pairs: &[(f64, f64)]) -> f64 {
    pairs.iter().map(|&(p, t)| phm08(p, t)).sum()
}

/// Mean and sample standard deviation.
pub fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = if values.len() > 1 {
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_known_values() {
        assert_eq!(rmse(&[(3.0, 0.0), (0.0, 4.0)]), (12.5f64).sqrt());
        assert_eq!(phm08(10.0, 10.0), 0.0);
        assert!(
            (phm08(20.0, 10.0) - (1f64.exp() - 1.0)).abs() < 1e-12,
            "late: e^(d/10) - 1"
        );
        assert!(
            (phm08(0.0, 13.0) - (1f64.exp() - 1.0)).abs() < 1e-12,
            "early: e^(-d/13) - 1"
        );
        assert!(
            phm08(15.0, 10.0) > phm08(5.0, 10.0),
            "late costs more than early"
        );
        assert_eq!(mean_sd(&[1.0, 3.0]), (2.0, 2f64.sqrt()));
    }
}
