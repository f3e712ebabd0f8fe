//! Reads NAB's data directory: `<data>/<category>/<file>.csv`, each with
//! the header `timestamp,value`.

use std::path::Path;

use chrono::NaiveDateTime;

use crate::Error;

/// One series of the benchmark.
#[derive(Clone, Debug)]
pub struct DataFile {
    /// The folder the file sits in, e.g. `realKnownCause`.
    pub category: String,
    /// The file name, e.g. `nyc_taxi.csv`.
    pub name: String,
    /// Timestamps as written, so result files repeat them exactly.
    pub stamps: Vec<String>,
    /// Timestamps in ms since the epoch (read as UTC).
    pub times: Vec<i64>,
    /// Values as written.
    pub raw_values: Vec<String>,
    /// Values.
    pub values: Vec<f64>,
}

impl DataFile {
    /// `category/name`, the key NAB's label files use.
    pub fn key(&self) -> String {
        format!("{}/{}", self.category, self.name)
    }
}

/// Parses NAB's timestamp format, with or without fractional seconds.
pub(crate) fn parse_time(s: &str) -> Option<i64> {
    NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc().timestamp_millis())
}

/// Reads every `<category>/<file>.csv` under `dir`, sorted by category
/// then name so runs are reproducible.
pub fn read(dir: &Path) -> Result<Vec<DataFile>, Error> {
    let mut files = Vec::new();
    for category in sorted_entries(dir)? {
        if !category.is_dir() {
            continue;
        }
        for path in sorted_entries(&category)? {
            if path.extension().is_some_and(|e| e == "csv") {
                files.push(read_file(&path, name_of(&category), name_of(&path))?);
            }
        }
    }
    if files.is_empty() {
        return Err(Error::NoData(dir.to_path_buf()));
    }
    Ok(files)
}

fn name_of(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn sorted_entries(dir: &Path) -> Result<Vec<std::path::PathBuf>, Error> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut v = rd
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::io(dir, e))?;
    v.sort();
    Ok(v)
}

fn read_file(path: &Path, category: String, name: String) -> Result<DataFile, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let bad = |line: usize, message: &str| Error::Data {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    };
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.trim() == "timestamp,value" => {}
        _ => return Err(bad(1, "expected the header timestamp,value")),
    }
    let mut f = DataFile {
        category,
        name,
        stamps: vec![],
        times: vec![],
        raw_values: vec![],
        values: vec![],
    };
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let (stamp, value) = line
            .split_once(',')
            .ok_or_else(|| bad(i + 1, "expected timestamp,value"))?;
        let t =
            parse_time(stamp).ok_or_else(|| bad(i + 1, "timestamp is not YYYY-MM-DD HH:MM:SS"))?;
        let v = value
            .trim()
            .parse::<f64>()
            .map_err(|_| bad(i + 1, "value is not a number"))?;
        f.stamps.push(stamp.to_string());
        f.times.push(t);
        f.raw_values.push(value.trim().to_string());
        f.values.push(v);
    }
    Ok(f)
}
