//! Prints the conformance summary over a test-case folder (default: the shared one).
//!
//! `cargo run --release -p ferrotwin-dtdl --example conformance [DIR] [--json] [--mismatches[=FOLDER]]`
//!
//! `--mismatches` lists each case that disagrees (verdict, error identities,
//! instance checks or elements), optionally only those under FOLDER.

use ferrotwin_dtdl::conformance::{CaseFile, CaseRecord, run};
use std::path::{Path, PathBuf};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let mismatches = args
        .iter()
        .find_map(|a| a.strip_prefix("--mismatches"))
        .map(|f| f.trim_start_matches('=').to_string());
    let dir = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/dtdl/test-cases")
        });
    let mut files = Vec::new();
    walk(&dir, &dir, &mut files);
    let report = run(&files);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json(true)).unwrap_or_default()
        );
    } else {
        print!("{}", report.summary());
    }
    if let Some(folder) = mismatches {
        for r in &report.records {
            if !folder.is_empty() && r.folder != folder {
                continue;
            }
            print_mismatch(r);
        }
    }
}

fn print_mismatch(r: &CaseRecord) {
    let mut what = Vec::new();
    if !r.verdict_agrees {
        what.push(format!(
            "verdict (expected {}, got {})",
            r.expected_valid, r.actual_valid
        ));
    }
    if r.errors_agree == Some(false) {
        what.push(if r.errors_within == Some(true) {
            "errors (each reported one is listed)".to_string()
        } else {
            "errors".to_string()
        });
    }
    if r.instances.1 < r.instances.0 {
        what.push(format!("instances {}/{}", r.instances.1, r.instances.0));
    }
    if r.elements_agree == Some(false) {
        what.push("elements".to_string());
    }
    if what.is_empty() {
        return;
    }
    println!("MISMATCH {} v{}: {}", r.file, r.version, what.join(", "));
    if r.errors_agree == Some(false) || !r.verdict_agrees {
        let show = |e: &[(String, Option<String>)]| -> String {
            e.iter()
                .map(|(v, p)| {
                    format!(
                        "{} {}",
                        v.rsplit(':').next().unwrap_or(v),
                        p.as_deref().unwrap_or("-")
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        if let Some(exp) = &r.expected_errors {
            println!("  expected: {}", show(exp));
        }
        println!("  actual:   {}", show(&r.actual_errors));
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<CaseFile>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(root, &p, out);
        } else if let Ok(text) = std::fs::read_to_string(&p) {
            let path = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            out.push(CaseFile { path, text });
        }
    }
}
