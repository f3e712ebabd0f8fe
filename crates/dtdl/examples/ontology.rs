//! Parses every JSON file under a folder as one model set and prints the diagnostics.
//!
//! `cargo run --release -p ferrotwin-dtdl --example ontology DIR`

use ferrotwin_dtdl::{Document, parse};
use std::path::Path;

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_default();
    let mut docs = Vec::new();
    walk(Path::new(&dir), &mut docs);
    let p = parse(&docs, None);
    for d in p.diagnostics.iter().take(30) {
        println!(
            "{d}  [{} {:?} {:?}]",
            d.validation_id, d.primary_id, d.property
        );
    }
    println!(
        "{} documents, {} interfaces, {} diagnostics",
        docs.len(),
        p.models.interfaces.len(),
        p.diagnostics.len()
    );
}

fn walk(dir: &Path, out: &mut Vec<Document>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|e| e == "json")
            && let Ok(text) = std::fs::read_to_string(&p)
        {
            out.push(Document {
                name: p.display().to_string(),
                text,
            });
        }
    }
}
