//! `ferrotwin eval nab`: runs the anomaly detector over the Numenta
//! Anomaly Benchmark and prints NAB's scores (see docs/anomaly.md).

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use clap::Args;
use ferrotwin_anomaly::nab::{self, report::Report};

/// `eval nab` options.
#[derive(Args)]
pub struct NabArgs {
    /// Directory holding NAB's category folders (its `data/`).
    #[arg(long)]
    pub data: PathBuf,
    /// NAB's `labels/combined_windows.json`; without it, only result files are written.
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// Where to write `<category>/ferrotwin_<file>.csv` result files.
    #[arg(long)]
    pub out: PathBuf,
    /// Print the report as JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// `eval nab`
pub fn nab(a: NabArgs) -> i32 {
    let tty = std::io::stderr().is_terminal();
    let progress = |i: usize, n: usize, file: &str| {
        let mut err = std::io::stderr().lock();
        if tty {
            // One line, rewritten in place.
            let _ = write!(err, "\r\x1b[K[{i}/{n}] {file}");
            if i == n {
                let _ = writeln!(err);
            }
        } else {
            let _ = writeln!(err, "[{i}/{n}] {file}");
        }
    };
    let report = match nab::evaluate(&a.data, a.labels.as_deref(), &a.out, progress) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    if a.json {
        match serde_json::to_string_pretty(&report) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return 1;
            }
        }
    } else {
        print_tables(&report, &a.out);
    }
    0
}

fn print_tables(r: &Report, out: &std::path::Path) {
    println!(
        "{} files, {} records scored in {:.2} s ({:.0} records/s), results in {}",
        r.files,
        r.records,
        r.detect_seconds,
        r.records as f64 / r.detect_seconds.max(1e-9),
        out.display()
    );
    if r.profiles.is_empty() {
        println!("no labels given: nothing scored");
        return;
    }
    println!(
        "\n{:<22} {:>7} {:>10} {:>9}",
        "profile", "score", "threshold", "raw"
    );
    for p in &r.profiles {
        println!(
            "{:<22} {:>7.1} {:>10.4} {:>9.2}",
            p.profile, p.score, p.threshold, p.raw
        );
    }
    print!("\n{:<24}", "category");
    for p in &r.profiles {
        print!(" {:>20}", p.profile);
    }
    println!("   windows detected/FP (standard)");
    for (i, c) in r.profiles[0].categories.iter().enumerate() {
        print!("{:<24}", c.category);
        for p in &r.profiles {
            match p.categories[i].score {
                Some(s) => print!(" {s:>20.1}"),
                None => print!(" {:>20}", "n/a"),
            }
        }
        println!(
            "   {:>7} {:>8}/{}",
            c.windows, c.detected, c.false_positives
        );
    }
}
