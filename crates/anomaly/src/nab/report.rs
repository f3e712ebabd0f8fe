//! The result of an evaluation, as the CLI prints it and `--json` saves it.

use serde::Serialize;

use super::scorer::Outcome;

/// Everything an evaluation measured.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Name written into result file names.
    pub detector: String,
    /// Files scored.
    pub files: usize,
    /// Records scored, over all files.
    pub records: usize,
    /// Wall time of the detection step alone, in seconds.
    pub detect_seconds: f64,
    /// One entry per NAB profile; empty without labels.
    pub profiles: Vec<ProfileReport>,
}

/// The scores for one profile, at the threshold chosen for the whole corpus.
#[derive(Clone, Debug, Serialize)]
pub struct ProfileReport {
    /// NAB's profile name.
    pub profile: String,
    /// The threshold that maximises the corpus score.
    pub threshold: f64,
    /// Raw NAB score of the corpus.
    pub raw: f64,
    /// Normalised NAB score (null detector 0, perfect 100).
    pub score: f64,
    /// Each category scored alone and normalised alone, at the same threshold.
    pub categories: Vec<CategoryReport>,
    /// Per-file outcomes at that threshold.
    pub files: Vec<FileReport>,
}

/// One category's score.
#[derive(Clone, Debug, Serialize)]
pub struct CategoryReport {
    /// The category (data sub-folder).
    pub category: String,
    /// Normalised score; `None` for a category without windows, where only
    /// false positives count (see `raw` and `false_positives`).
    pub score: Option<f64>,
    /// Raw NAB score.
    pub raw: f64,
    /// Labelled windows.
    pub windows: usize,
    /// Windows detected.
    pub detected: usize,
    /// Detections outside every window.
    pub false_positives: usize,
}

/// One file's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct FileReport {
    /// `category/file.csv`.
    pub file: String,
    /// Labelled windows.
    pub windows: usize,
    /// Counts and raw score at the corpus threshold.
    #[serde(flatten)]
    pub outcome: Outcome,
}
