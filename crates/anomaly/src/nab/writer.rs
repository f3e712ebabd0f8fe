//! Writes NAB result files: `<out>/<category>/<detector>_<file>.csv` with
//! `timestamp,value,anomaly_score`, the format NAB's own scorer reads.

use std::fmt::Write as _;
use std::path::Path;

use super::corpus::DataFile;
use crate::Error;

/// Writes one file's scores.
pub fn write(out: &Path, detector: &str, file: &DataFile, scores: &[f64]) -> Result<(), Error> {
    let dir = out.join(&file.category);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let mut text = String::with_capacity(48 * scores.len() + 32);
    text.push_str("timestamp,value,anomaly_score\n");
    for ((stamp, value), score) in file.stamps.iter().zip(&file.raw_values).zip(scores) {
        let _ = writeln!(text, "{stamp},{value},{score}");
    }
    let path = dir.join(format!("{detector}_{}", file.name));
    std::fs::write(&path, text).map_err(|e| Error::io(&path, e))
}
