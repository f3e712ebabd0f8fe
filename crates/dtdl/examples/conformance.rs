//! Prints the conformance summary over a test-case folder (default: the shared one).
//!
//! `cargo run --release -p ferrotwin-dtdl --example conformance [DIR] [--json]`

use ferrotwin_dtdl::conformance::{CaseFile, run};
use std::path::{Path, PathBuf};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
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
