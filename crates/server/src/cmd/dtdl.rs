//! `ferrotwin dtdl validate` and `ferrotwin dtdl conformance`: file walking
//! and printing around the `ferrotwin_dtdl` parser and conformance runner.

use ferrotwin_dtdl::conformance::{CaseFile, run};
use ferrotwin_dtdl::{Document, parse};
use std::path::{Path, PathBuf};

/// Validates the DTDL files at `paths` (files or folders, recursively) as one
/// model set. Prints `file:line: cause / action` lines, or JSON when `json`.
/// Returns 0 when valid, 1 when invalid, 2 on a usage error.
pub fn validate(paths: &[PathBuf], json: bool) -> i32 {
    if paths.is_empty() {
        eprintln!("usage: ferrotwin dtdl validate PATH... [--format json]");
        return 2;
    }
    let mut files = Vec::new();
    for p in paths {
        if !p.exists() {
            eprintln!("error: {} does not exist", p.display());
            return 2;
        }
        collect(p, &mut files, &|f| {
            f.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        });
    }
    files.sort();
    let mut docs = Vec::new();
    for f in &files {
        match std::fs::read_to_string(f) {
            Ok(text) => docs.push(Document {
                name: f.display().to_string(),
                text,
            }),
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", f.display());
                return 2;
            }
        }
    }
    let parsed = parse(&docs, None);
    if json {
        let out = serde_json::json!({
            "valid": parsed.is_valid(),
            "documents": docs.len(),
            "interfaces": parsed.models.interfaces.len(),
            "diagnostics": parsed.diagnostics.iter().map(|d| d.to_json()).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        for d in &parsed.diagnostics {
            println!("{d}");
        }
        if parsed.is_valid() {
            println!(
                "valid: {} documents, {} interfaces",
                docs.len(),
                parsed.models.interfaces.len()
            );
        } else {
            println!(
                "invalid: {} problems in {} documents",
                parsed.diagnostics.len(),
                docs.len()
            );
        }
    }
    if parsed.is_valid() { 0 } else { 1 }
}

/// Runs the DTDL parser test cases under `dir` (laid out as `folder/*.json`)
/// and prints per folder and version: cases, verdict agreement %, error-identity
/// agreement %. With `json`, prints a JSON report including one object per case.
/// Returns 0, or 2 when `dir` is not a readable folder.
pub fn conformance(dir: &Path, json: bool) -> i32 {
    if !dir.is_dir() {
        eprintln!("error: {} is not a folder", dir.display());
        return 2;
    }
    let mut paths = Vec::new();
    collect(dir, &mut paths, &|f| {
        f.extension().is_some_and(|e| e == "json")
    });
    paths.sort();
    let files: Vec<CaseFile> = paths
        .iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(p).ok()?;
            let path = p
                .strip_prefix(dir)
                .unwrap_or(p)
                .to_string_lossy()
                .replace('\\', "/");
            Some(CaseFile { path, text })
        })
        .collect();
    let report = run(&files);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json(true)).unwrap_or_default()
        );
    } else {
        print!("{}", report.summary());
    }
    0
}

fn collect(p: &Path, out: &mut Vec<PathBuf>, keep: &dyn Fn(&Path) -> bool) {
    if p.is_dir() {
        let Ok(rd) = std::fs::read_dir(p) else { return };
        for e in rd.flatten() {
            collect(&e.path(), out, keep);
        }
    } else if keep(p) {
        out.push(p.to_path_buf());
    }
}
