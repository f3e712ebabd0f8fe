//! Finding the C-MAPSS files for the tests: `CMAPSS_DIR`, else the shared
//! data folder beside the repository. Missing data skips a test, except
//! under CI=true, where it fails.

use std::path::PathBuf;

/// The folder holding train_FD00x.txt, or `None` (after saying why) to skip.
pub fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("CMAPSS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cmapss")
        });
    if dir.join("train_FD001.txt").is_file() {
        return Some(dir);
    }
    let why = format!("no C-MAPSS data in {} (set CMAPSS_DIR)", dir.display());
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{why}");
    }
    eprintln!("skipped: {why}");
    None
}
