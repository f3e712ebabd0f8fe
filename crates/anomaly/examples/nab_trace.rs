//! Prints the highest scores of one NAB file with their explanations:
//! `cargo run --release -p ferrotwin-anomaly --example nab_trace -- FILE.csv [N]`.

use ferrotwin_anomaly::{Detector, Params};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let text = std::fs::read_to_string(&args[0]).expect("file");
    let top: usize = args.get(1).map_or(15, |n| n.parse().expect("count"));
    let mut d = Detector::new(&Params::default());
    let mut rows = Vec::new();
    for (i, line) in text.lines().skip(1).enumerate() {
        let (t, v) = line.split_once(',').expect("timestamp,value");
        let t = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S")
            .expect("time")
            .and_utc()
            .timestamp_millis();
        let s = d.update(t, v.parse().expect("value"));
        rows.push((s.score, i, s.explanation));
    }
    let n = rows.len();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("{n} records, probation {}", (n * 15 / 100).min(750));
    for (s, i, e) in rows.iter().take(top) {
        println!(
            "{i:6} {s:.4} {:8} expected {:.3} observed {:.3}",
            e.feature, e.expected, e.observed
        );
    }
}
