//! Leave-one-category-out estimate of how the detector generalises: for
//! each category, choose parameters from a small grid *and* the threshold
//! on the other categories, then score the held-out category with them.
//! The held-out raw scores are summed and normalised like a corpus score.
//! `cargo run --release -p ferrotwin-anomaly --example nab_loco -- DATA LABELS`

use std::path::Path;

use ferrotwin_anomaly::Params;
use ferrotwin_anomaly::nab::scorer::{self, PROFILES, Prepared};
use ferrotwin_anomaly::nab::{self, corpus, labels, sweep};

/// The grid: the horizons that matter most, around values chosen from principle.
fn grid() -> Vec<(String, Params)> {
    let mut out = Vec::new();
    for half_life in [75.0, 150.0, 300.0] {
        for slow in [500.0, 1000.0] {
            for warmup in [30, 100] {
                // The shift's rarity memory: half the slow horizon (the
                // default's ratio), or as long as the other features' (the
                // previous design), so each fold also chooses between them.
                for shift_memory in [slow / 2.0, Params::default().rarity_horizon] {
                    let p = Params {
                        suppress_half_life: half_life,
                        slow_horizon: slow,
                        warmup,
                        shift_rarity_horizon: shift_memory,
                        ..Params::default()
                    };
                    out.push((
                        format!(
                            "half_life={half_life} slow={slow} warmup={warmup} shift_memory={shift_memory}"
                        ),
                        p,
                    ));
                }
            }
        }
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let files = corpus::read(Path::new(&args[0])).expect("data");
    let windows = labels::read(Path::new(&args[1])).expect("labels");
    let grid = grid();
    // prepared[g] = (category, prepared file) for grid point g.
    let prepared: Vec<Vec<(String, Prepared)>> = grid
        .iter()
        .map(|(_, p)| {
            let scores: Vec<Vec<f64>> = files.iter().map(|f| nab::detect(f, p)).collect();
            nab::prepare_corpus(&files, &scores, &windows)
                .into_iter()
                .map(|(f, p)| (f.category.clone(), p))
                .collect()
        })
        .collect();
    let mut categories: Vec<String> = prepared[0].iter().map(|(c, _)| c.clone()).collect();
    categories.dedup();
    for profile in &PROFILES {
        let norm = |raw: f64, files: &[&Prepared]| {
            let scored = files.iter().map(|p| p.windows).sum();
            let labelled = files.iter().map(|p| p.labelled).sum();
            scorer::normalise(raw, scored, labelled, profile)
        };
        let all_best = (0..grid.len())
            .map(|g| {
                let all: Vec<&Prepared> = prepared[g].iter().map(|(_, p)| p).collect();
                (
                    g,
                    norm(sweep::optimise(&all, profile).1, &all).unwrap_or(f64::NAN),
                )
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .expect("grid");
        println!(
            "{}: best on all categories {:.1} with {}",
            profile.name, all_best.1, grid[all_best.0].0
        );
        let mut held_raw = 0.0;
        for held in &categories {
            let (g, train) = (0..grid.len())
                .map(|g| {
                    let train: Vec<&Prepared> = prepared[g]
                        .iter()
                        .filter(|(c, _)| c != held)
                        .map(|(_, p)| p)
                        .collect();
                    let (t, raw) = sweep::optimise(&train, profile);
                    (g, (t, norm(raw, &train).unwrap_or(f64::NAN)))
                })
                .max_by(|a, b| a.1.1.total_cmp(&b.1.1))
                .expect("grid");
            let test: Vec<&Prepared> = prepared[g]
                .iter()
                .filter(|(c, _)| c == held)
                .map(|(_, p)| p)
                .collect();
            let raw: f64 = test
                .iter()
                .map(|p| scorer::score(p, train.0, profile).raw)
                .sum();
            held_raw += raw;
            let shown = norm(raw, &test).map_or("n/a (no windows)".into(), |s| format!("{s:.1}"));
            println!(
                "  held out {held:<22} train {:.1} -> held-out {shown} (raw {raw:.2}) with {}",
                train.1, grid[g].0
            );
        }
        let all: Vec<&Prepared> = prepared[0].iter().map(|(_, p)| p).collect();
        println!(
            "  held-out estimate (all folds, normalised together): {:.1}",
            norm(held_raw, &all).unwrap_or(f64::NAN)
        );
    }
}
