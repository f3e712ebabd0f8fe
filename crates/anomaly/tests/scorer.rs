//! NAB scoring rules, checked on small hand-computed cases: one file of
//! 100 records (probation: records 0..15) with one window over records
//! 40..=49.

use ferrotwin_anomaly::nab::scorer::{self, PROFILES, Profile};
use ferrotwin_anomaly::nab::sweep;

const N: usize = 100;
const WINDOW: (usize, usize) = (40, 49);
const STANDARD: Profile = PROFILES[0];

/// S(x) = 2 / (1 + e^{5x}) - 1, evaluated by hand.
const S_MINUS_ONE: f64 = 0.986_614_3;
const S_MINUS_TENTH: f64 = 0.244_918_7;
const S_PLUS_NINTH: f64 = -0.270_846;

/// Scores with detections (score 1) at `fires`, everything else 0, at threshold 0.5.
fn raw(fires: &[usize], profile: &Profile) -> f64 {
    let mut scores = vec![0.0; N];
    for &i in fires {
        scores[i] = 1.0;
    }
    let p = scorer::prepare(&scores, &[WINDOW]);
    scorer::score(&p, 0.5, profile).raw
}

fn normalised(fires: &[usize], profile: &Profile) -> f64 {
    scorer::normalise(raw(fires, profile), 1, 1, profile).unwrap()
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-5, "{a} != {b}");
}

#[test]
fn sigmoid_matches_nab_anchor_points() {
    close(scorer::scaled_sigmoid(-1.0), S_MINUS_ONE);
    close(scorer::scaled_sigmoid(-0.5), 0.848_283_6);
    close(scorer::scaled_sigmoid(0.0), 0.0);
    close(scorer::scaled_sigmoid(3.0), -1.0);
}

#[test]
fn probation_is_fifteen_percent_capped_at_750() {
    assert_eq!(scorer::probation(100), 15);
    assert_eq!(scorer::probation(4032), 604);
    assert_eq!(scorer::probation(22695), 750);
}

#[test]
fn cases() {
    // (what, detections, profile, expected raw score)
    let cases: &[(&str, &[usize], Profile, f64)] = &[
        ("null detector: one missed window", &[], STANDARD, -1.0),
        (
            "perfect: at the window's first record",
            &[40],
            STANDARD,
            1.0,
        ),
        (
            "at the window's last record",
            &[49],
            STANDARD,
            S_MINUS_TENTH / S_MINUS_ONE,
        ),
        (
            "only the earliest detection counts",
            &[45, 40, 49],
            STANDARD,
            1.0,
        ),
        (
            "false positive just after the window",
            &[50],
            STANDARD,
            -1.0 + 0.11 * S_PLUS_NINTH,
        ),
        (
            "false positive three windows on costs fully",
            &[49 + 27],
            STANDARD,
            -1.0 - 0.11,
        ),
        (
            "false positive before any window costs fully",
            &[20],
            STANDARD,
            -1.0 - 0.11,
        ),
        (
            "detection in the probationary period is ignored",
            &[10],
            STANDARD,
            -1.0,
        ),
        (
            "low FP profile doubles the FP cost",
            &[20, 40],
            PROFILES[1],
            1.0 - 0.22,
        ),
        ("low FN profile doubles the FN cost", &[], PROFILES[2], -2.0),
    ];
    for (what, fires, profile, expected) in cases {
        let got = raw(fires, profile);
        assert!(
            (got - expected).abs() < 1e-5,
            "{what}: got {got}, expected {expected}"
        );
    }
}

#[test]
fn normalisation_puts_null_at_0_and_perfect_at_100() {
    for p in &PROFILES {
        close(normalised(&[], p), 0.0);
        close(normalised(&[40], p), 100.0);
    }
    close(
        normalised(&[49], &STANDARD),
        100.0 * (S_MINUS_TENTH / S_MINUS_ONE + 1.0) / 2.0,
    );
}

#[test]
fn sweep_finds_the_best_single_threshold() {
    // A false positive at 0.95 before the window, the window hit at 0.9,
    // noise at 0.3 everywhere else.
    let mut scores = vec![0.3; N];
    scores[20] = 0.95;
    scores[44] = 0.9;
    let p = scorer::prepare(&scores, &[WINDOW]);
    let (threshold, raw) = sweep::optimise(&[&p], &STANDARD);
    assert_eq!(threshold, 0.9);
    let credit = scorer::scaled_sigmoid(-6.0 / 10.0) / S_MINUS_ONE;
    close(raw, credit - 0.11);
    close(scorer::score(&p, threshold, &STANDARD).raw, raw);
    // If the only way to the window is through many false positives, never firing wins.
    let mut noisy = vec![0.95; N];
    noisy[44] = 0.9;
    let p = scorer::prepare(&noisy, &[WINDOW]);
    let (threshold, raw) = sweep::optimise(&[&p], &STANDARD);
    assert!(threshold > 0.95);
    close(raw, -1.0);
}
