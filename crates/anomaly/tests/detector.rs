//! The detector's contract: causal scores in [0, 1] with an explanation,
//! non-finite values skipped, irregular time steps, fixed-size state.

use ferrotwin_anomaly::{Detector, Params};

fn noise(state: &mut u64) -> f64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    (*state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
}

/// Irregular times (1 to 20 s apart) and values: noise around 10, then
/// from sample `jump` on, around 30.
fn series(n: usize, jump: usize) -> Vec<(i64, f64)> {
    let mut rng = 42;
    let mut t = 1_700_000_000_000;
    (0..n)
        .map(|i| {
            t += 1_000 + ((noise(&mut rng) + 0.5) * 19_000.0) as i64;
            let base = if i < jump { 10.0 } else { 30.0 };
            (t, base + noise(&mut rng))
        })
        .collect()
}

#[test]
fn is_clone_send_and_static() {
    fn check<T: Clone + Send + 'static>() {}
    check::<Detector>();
}

#[test]
fn a_jump_is_flagged_early_once_and_explained() {
    let mut d = Detector::new(&Params::default());
    let scores: Vec<_> = series(3_000, 2_500)
        .into_iter()
        .map(|(t, v)| d.update(t, v))
        .collect();
    let before = scores[200..2_500]
        .iter()
        .map(|s| s.score)
        .fold(0.0, f64::max);
    let (at, first) = scores[2_500..]
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.score.total_cmp(&b.1.score))
        .unwrap();
    assert!(at < 5, "flagged {at} samples late");
    assert!(
        first.score > 0.5 && first.score > 2.0 * before,
        "jump {} vs before {before}",
        first.score
    );
    // The value itself (`level`) or its short running mean (`shift`).
    let e = &first.explanation;
    assert!(["level", "shift"].contains(&e.feature), "{e:?}");
    assert!((e.expected - 10.0).abs() < 1.0, "{e:?}");
    assert!(e.observed > 11.0 && e.observed < 31.0, "{e:?}");
    let repeats = scores[2_500..]
        .iter()
        .filter(|s| s.score > first.score / 2.0)
        .count();
    assert!(repeats <= 3, "one jump reported {repeats} times");
}

#[test]
fn non_finite_values_are_skipped_without_poisoning_the_state() {
    let clean = series(1_000, 800);
    let mut a = Detector::new(&Params::default());
    let mut b = Detector::new(&Params::default());
    for (i, &(t, v)) in clean.iter().enumerate() {
        if i % 50 == 7 {
            for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                let s = b.update(t, bad);
                assert_eq!((s.score, s.explanation.feature), (0.0, "invalid"));
            }
        }
        assert_eq!(a.update(t, v), b.update(t, v), "diverged at {i}");
    }
}

#[test]
fn scores_stay_in_the_unit_interval_for_wild_input() {
    let mut d = Detector::new(&Params::default());
    let wild = [
        0.0,
        1e300,
        -1e300,
        5e-324,
        -0.0,
        1.0,
        1e-300,
        7.0,
        f64::MAX,
        f64::MIN,
    ];
    for i in 0..5_000i64 {
        // Repeated and backwards timestamps too.
        let t = i * 1_000 - (i % 7) * 3_000;
        let s = d.update(t, wild[(i as usize * 7 + i as usize / 3) % wild.len()]);
        assert!((0.0..=1.0).contains(&s.score), "{s:?} at {i}");
    }
}

#[test]
fn state_is_fixed_size() {
    let mut d = Detector::new(&Params::default());
    let before = d.state_bytes();
    for (t, v) in series(5_000, 2_000) {
        d.update(t, v);
    }
    assert_eq!(d.state_bytes(), before);
    assert!(before < 16_384, "{before} bytes");
}
