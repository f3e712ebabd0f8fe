//! The C-MAPSS text format: space-separated rows of unit, cycle, three
//! settings and 21 sensors, grouped here into engines.

use std::path::Path;

use crate::{Cycle, Error};

/// One engine's run: its cycles, oldest first.
#[derive(Debug, Clone)]
pub struct Engine {
    /// The data set it came from (such as `FD001`), for per-set reports.
    pub set: String,
    /// Unit number within its data set.
    pub unit: u32,
    /// Its cycles, oldest first.
    pub cycles: Vec<Cycle>,
}

/// Reads a C-MAPSS file; engines are labelled with [`set_name`] of the path.
pub fn read(path: &Path) -> Result<Vec<Engine>, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    parse(&text, &set_name(path))
}

/// The data set's name: `FD00x` if the file name holds one, else the file stem.
pub fn set_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let upper = stem.to_ascii_uppercase();
    match upper.find("FD") {
        Some(i)
            if upper.len() >= i + 5 && upper[i + 2..i + 5].bytes().all(|b| b.is_ascii_digit()) =>
        {
            upper[i..i + 5].to_owned()
        }
        _ => stem,
    }
}

/// Parses C-MAPSS text. Rows of one unit must be contiguous and in cycle order,
/// as in NASA's files.
pub fn parse(text: &str, set: &str) -> Result<Vec<Engine>, Error> {
    let mut engines: Vec<Engine> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let bad = |message: String| Error::Parse {
            line: i + 1,
            message,
        };
        if line.trim().is_empty() {
            continue;
        }
        let values = line
            .split_whitespace()
            .map(|f| f.parse::<f64>().map_err(|e| bad(format!("{f:?}: {e}"))))
            .collect::<Result<Vec<f64>, Error>>()?;
        if values.len() != 26 {
            return Err(bad(format!("{} columns, expected 26", values.len())));
        }
        let unit = values[0] as u32;
        let cycle = Cycle {
            settings: values[2..5].try_into().expect("3 settings"),
            sensors: values[5..26].try_into().expect("21 sensors"),
        };
        match engines.last_mut() {
            Some(e) if e.unit == unit => {
                if values[1] as usize != e.cycles.len() + 1 {
                    return Err(bad(format!(
                        "unit {unit}: cycle {} follows cycle {}",
                        values[1],
                        e.cycles.len()
                    )));
                }
                e.cycles.push(cycle)
            }
            _ => {
                if engines.iter().any(|e| e.unit == unit) {
                    return Err(bad(format!("unit {unit} appears twice")));
                }
                engines.push(Engine {
                    set: set.to_owned(),
                    unit,
                    cycles: vec![cycle],
                })
            }
        }
    }
    Ok(engines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(unit: u32, cycle: u32) -> String {
        let mut s = format!("{unit} {cycle} -0.0007 -0.0004 100.0");
        for k in 0..21 {
            s.push_str(&format!(" {}.5", k + 1));
        }
        s + "  "
    }

    #[test]
    fn groups_rows_into_engines() {
        let text = [row(1, 1), row(1, 2), row(2, 1)].join("\n");
        let engines = parse(&text, "FD001").unwrap();
        assert_eq!(engines.len(), 2);
        assert_eq!(engines[0].cycles.len(), 2);
        assert_eq!(engines[0].cycles[0].settings, [-0.0007, -0.0004, 100.0]);
        assert_eq!(engines[0].cycles[0].sensors[20], 21.5);
        assert_eq!(engines[1].unit, 2);
    }

    #[test]
    fn refuses_short_rows_gaps_and_split_units() {
        let short = "1 1 0 0 100 1 2 3";
        assert!(matches!(
            parse(short, "x"),
            Err(Error::Parse { line: 1, .. })
        ));
        let gap = [row(1, 1), row(1, 3)].join("\n");
        assert!(matches!(
            parse(&gap, "x"),
            Err(Error::Parse { line: 2, .. })
        ));
        let split = [row(1, 1), row(2, 1), row(1, 2)].join("\n");
        assert!(parse(&split, "x").is_err());
    }

    #[test]
    fn names_data_sets_from_file_names() {
        assert_eq!(set_name(Path::new("/d/train_FD003.txt")), "FD003");
        assert_eq!(set_name(Path::new("test_fd002.txt")), "FD002");
        assert_eq!(set_name(Path::new("fleet.txt")), "fleet");
    }
}
