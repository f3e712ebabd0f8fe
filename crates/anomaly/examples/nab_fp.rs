//! Lists, at the corpus-optimal standard threshold, each file's false
//! positives (`FP<record>:<feature>:<score>:<NAB value>`), first
//! detections (`TP...:c<credit>`) and missed windows (`MISS<window>:max<best
//! score>@<record>`), and the false positives per feature:
//! `cargo run --release -p ferrotwin-anomaly --example nab_fp -- DATA LABELS`.

use std::path::Path;

use ferrotwin_anomaly::nab::scorer::{self, PROFILES, Role};
use ferrotwin_anomaly::nab::{self, corpus, labels, sweep};
use ferrotwin_anomaly::{Detector, Params};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let files = corpus::read(Path::new(&args[0])).expect("data");
    let windows = labels::read(Path::new(&args[1])).expect("labels");
    let p = Params::default();
    let runs: Vec<Vec<(f64, &'static str)>> = files
        .iter()
        .map(|f| {
            let mut d = Detector::new(&p);
            f.times
                .iter()
                .zip(&f.values)
                .map(|(&t, &v)| {
                    let s = d.update(t, v);
                    (s.score, s.explanation.feature)
                })
                .collect()
        })
        .collect();
    let scores: Vec<Vec<f64>> = runs
        .iter()
        .map(|r| r.iter().map(|x| x.0).collect())
        .collect();
    let prepared = nab::prepare_corpus(&files, &scores, &windows);
    let refs: Vec<_> = prepared.iter().map(|(_, p)| p).collect();
    let (thr, _) = sweep::optimise(&refs, &PROFILES[0]);
    println!("threshold {thr:.4}");
    let mut by_feature = std::collections::BTreeMap::new();
    for (f, prep) in &prepared {
        let idx = files.iter().position(|x| x.key() == f.key()).unwrap();
        let run = &runs[idx];
        let skip = scorer::probation(run.len());
        let mut line = String::new();
        let mut seen_window = vec![false; prep.labelled];
        for (j, &(s, role)) in prep.records.iter().enumerate() {
            if s < thr {
                continue;
            }
            let i = j + skip;
            let feat = run[i].1;
            match role {
                Role::Outside(v) => {
                    *by_feature.entry(feat).or_insert(0) += 1;
                    line += &format!(" FP{i}:{}:{:.2}:{:.2}", &feat[..3], s, v);
                }
                Role::Inside { window, credit } => {
                    if !seen_window[window] {
                        seen_window[window] = true;
                        line += &format!(" TP{i}:{}:{:.2}:c{:.2}", &feat[..3], s, credit);
                    }
                }
            }
        }
        let mut best = vec![(0.0f64, 0usize); prep.labelled];
        for (j, &(s, role)) in prep.records.iter().enumerate() {
            if let Role::Inside { window, .. } = role
                && s > best[window].0
            {
                best[window] = (s, j + skip);
            }
        }
        for (w, &(s, i)) in best.iter().enumerate() {
            if s < thr {
                line += &format!(" MISS{w}:max{s:.3}@{i}:{}", &run[i].1[..3]);
            }
        }
        println!("{} n={}{}", f.key(), run.len(), line);
    }
    println!("{by_feature:?}");
}
