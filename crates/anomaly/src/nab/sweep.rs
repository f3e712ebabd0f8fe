//! NAB's threshold optimisation: one threshold for a whole corpus and
//! profile, the one that maximises the summed raw score. Every distinct
//! score is tried, in one pass from the highest down, so the optimum is
//! exact (NAB 1.0's hill-climbing could stop at a local one).

use super::scorer::{Prepared, Profile, Role};

/// The best threshold and the raw score it reaches. With no threshold
/// better than never firing, the threshold is just above every score.
pub fn optimise(files: &[&Prepared], profile: &Profile) -> (f64, f64) {
    let mut all: Vec<(f64, Role, usize)> = Vec::new();
    let mut windows = 0;
    let mut scored = 0;
    for f in files {
        all.extend(f.records.iter().map(|&(s, r)| (s, r, windows)));
        windows += f.labelled;
        scored += f.windows;
    }
    all.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut best = vec![None::<f64>; windows];
    let mut raw = -(scored as f64) * profile.fn_;
    let top = all.first().map_or(1.0, |r| r.0);
    let mut result = (next_up(top), raw);
    let mut i = 0;
    while i < all.len() {
        let threshold = all[i].0;
        while i < all.len() && all[i].0 == threshold {
            match all[i].1 {
                Role::Outside(v) => raw += v * profile.fp,
                Role::Inside { window, credit } => {
                    let w = &mut best[all[i].2 + window];
                    match *w {
                        None => raw += profile.fn_ + credit * profile.tp,
                        Some(c) if credit > c => raw += (credit - c) * profile.tp,
                        Some(_) => {}
                    }
                    *w = Some(w.map_or(credit, |c: f64| c.max(credit)));
                }
            }
            i += 1;
        }
        if raw > result.1 {
            result = (threshold, raw);
        }
    }
    result
}

fn next_up(x: f64) -> f64 {
    if x.is_finite() {
        x + x.abs().max(1.0) * 1e-9
    } else {
        f64::MAX
    }
}
