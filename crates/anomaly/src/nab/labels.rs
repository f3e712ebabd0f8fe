//! Reads NAB's `combined_windows.json`: for each `category/file.csv`, the
//! anomaly windows as `[start, end]` timestamp pairs.

use std::collections::BTreeMap;
use std::path::Path;

use super::corpus::parse_time;
use crate::Error;

/// Anomaly windows per file key (`category/file.csv`), in ms since the epoch.
pub type Windows = BTreeMap<String, Vec<(i64, i64)>>;

/// Reads a `combined_windows.json`.
pub fn read(path: &Path) -> Result<Windows, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let bad = |message: String| Error::Labels {
        path: path.to_path_buf(),
        message,
    };
    let raw: BTreeMap<String, Vec<[String; 2]>> =
        serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    raw.into_iter()
        .map(|(key, ws)| {
            let ws = ws
                .iter()
                .map(|[a, b]| match (parse_time(a), parse_time(b)) {
                    (Some(a), Some(b)) => Ok((a, b)),
                    _ => Err(bad(format!("{key}: bad window [{a}, {b}]"))),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok((key, ws))
        })
        .collect()
}

/// Index ranges `[first, last]` of `times` covered by each window; windows
/// that cover no sample are dropped.
pub fn to_indices(times: &[i64], windows: &[(i64, i64)]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = windows
        .iter()
        .filter_map(|&(a, b)| {
            let first = times.partition_point(|&t| t < a);
            let end = times.partition_point(|&t| t <= b);
            (first < end).then(|| (first, end - 1))
        })
        .collect();
    out.sort_unstable();
    out
}
