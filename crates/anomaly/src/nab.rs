//! Evaluation on the Numenta Anomaly Benchmark (NAB), reimplementing NAB's
//! scoring so that figures are comparable with its scoreboard.
//!
//! The flow is NAB's: [`corpus::read`] the data, run a fresh [`Detector`]
//! with one parameter set over each file ([`detect`]), write NAB result
//! files ([`writer::write`]), then for each profile choose the one
//! threshold that maximises the corpus score ([`sweep::optimise`]), score
//! every file at it ([`scorer::score`]) and normalise
//! ([`scorer::normalise`]). [`evaluate`] does all of it.

pub mod corpus;
pub mod labels;
pub mod report;
pub mod scorer;
pub mod sweep;
pub mod writer;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use crate::{Detector, Error, Params};
use corpus::DataFile;
use report::{CategoryReport, FileReport, ProfileReport, Report};
use scorer::{PROFILES, Prepared};

/// The detector's name in result file names.
pub const DETECTOR: &str = "ferrotwin";

/// Scores one file with a fresh detector.
pub fn detect(file: &DataFile, params: &Params) -> Vec<f64> {
    let mut d = Detector::new(params);
    file.times
        .iter()
        .zip(&file.values)
        .map(|(&t, &v)| d.update(t, v).score)
        .collect()
}

/// Runs the detector with [`Params::default`] over every file under
/// `data`, writes result files under `out`, and with `labels` scores them
/// for NAB's three profiles. `progress` hears (file number from 1, file
/// count, `category/file.csv`) before each file.
pub fn evaluate(
    data: &Path,
    labels: Option<&Path>,
    out: &Path,
    progress: impl FnMut(usize, usize, &str),
) -> Result<Report, Error> {
    evaluate_with(data, labels, out, &Params::default(), progress)
}

/// [`evaluate`] with other parameters.
pub fn evaluate_with(
    data: &Path,
    labels: Option<&Path>,
    out: &Path,
    params: &Params,
    mut progress: impl FnMut(usize, usize, &str),
) -> Result<Report, Error> {
    let windows = labels.map(labels::read).transpose()?;
    let files = corpus::read(data)?;
    let mut scores = Vec::with_capacity(files.len());
    let mut detect_seconds = 0.0;
    for (i, f) in files.iter().enumerate() {
        progress(i + 1, files.len(), &f.key());
        let start = Instant::now();
        let s = detect(f, params);
        detect_seconds += start.elapsed().as_secs_f64();
        writer::write(out, DETECTOR, f, &s)?;
        scores.push(s);
    }
    let profiles = windows
        .map(|w| score_corpus(&files, &scores, &w))
        .unwrap_or_default();
    Ok(Report {
        detector: DETECTOR.into(),
        files: files.len(),
        records: files.iter().map(|f| f.values.len()).sum(),
        detect_seconds,
        profiles,
    })
}

/// Prepares every labelled file for scoring; files absent from the labels
/// are left out, as NAB does.
pub fn prepare_corpus<'a>(
    files: &'a [DataFile],
    scores: &[Vec<f64>],
    windows: &labels::Windows,
) -> Vec<(&'a DataFile, Prepared)> {
    files
        .iter()
        .zip(scores)
        .filter_map(|(f, s)| {
            let w = windows.get(&f.key())?;
            Some((f, scorer::prepare(s, &labels::to_indices(&f.times, w))))
        })
        .collect()
}

/// Scores detector output for NAB's three profiles.
pub fn score_corpus(
    files: &[DataFile],
    scores: &[Vec<f64>],
    windows: &labels::Windows,
) -> Vec<ProfileReport> {
    let prepared = prepare_corpus(files, scores, windows);
    let refs: Vec<&Prepared> = prepared.iter().map(|(_, p)| p).collect();
    let scored: usize = refs.iter().map(|p| p.windows).sum();
    let labelled: usize = refs.iter().map(|p| p.labelled).sum();
    PROFILES
        .iter()
        .map(|profile| {
            let (threshold, raw) = sweep::optimise(&refs, profile);
            let files: Vec<FileReport> = prepared
                .iter()
                .map(|(f, p)| FileReport {
                    file: f.key(),
                    windows: p.labelled,
                    outcome: scorer::score(p, threshold, profile),
                })
                .collect();
            let mut by_category: BTreeMap<&str, (CategoryReport, usize)> = BTreeMap::new();
            for ((f, p), r) in prepared.iter().zip(&files) {
                let (c, scored) = by_category.entry(&f.category).or_insert_with(|| {
                    let c = CategoryReport {
                        category: f.category.clone(),
                        score: None,
                        raw: 0.0,
                        windows: 0,
                        detected: 0,
                        false_positives: 0,
                    };
                    (c, 0)
                });
                c.raw += r.outcome.raw;
                c.windows += p.labelled;
                *scored += p.windows;
                c.detected += r.outcome.detected;
                c.false_positives += r.outcome.false_positives;
            }
            let categories = by_category
                .into_values()
                .map(|(mut c, scored)| {
                    c.score = scorer::normalise(c.raw, scored, c.windows, profile);
                    c
                })
                .collect();
            ProfileReport {
                profile: profile.name.into(),
                threshold,
                raw,
                score: scorer::normalise(raw, scored, labelled, profile).unwrap_or(0.0),
                categories,
                files,
            }
        })
        .collect()
}
