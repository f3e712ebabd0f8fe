//! Shared helpers for the data-driven tests: locating `<workspace>/../shared`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The shared reference folder, or `None` (after printing why) when absent
/// outside CI. In CI (`CI=true`) its absence fails the test.
pub fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if p.join("data").is_dir() {
        return Some(p);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "reference data missing at {} (required when CI=true)",
            p.display()
        );
    }
    eprintln!("skipping: reference data not found at {}", p.display());
    None
}

/// Every file under `dir`, recursively, with paths relative to `dir` using `/`.
pub fn files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(root, &p, out);
        } else if let Ok(text) = std::fs::read_to_string(&p) {
            let rel = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, text));
        }
    }
}
