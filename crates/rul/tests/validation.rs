//! Trains and cross-validates a quick configuration on FD001 and fails if
//! its RMSE regresses past a floor a little above what it measured; also
//! round-trips the saved model.

mod support;

use ferrotwin_rul::{Model, TrainConfig, cmapss, train};
use indicatif::ProgressBar;

/// This configuration measured 10.06 (2 of 5 folds, 40 engines); the floor
/// leaves room for float differences between platforms, not for a worse model.
const FLOOR: f64 = 11.0;

#[test]
fn quick_model_on_fd001_stays_under_its_rmse_floor() {
    let Some(dir) = support::data_dir() else {
        return;
    };
    let engines = cmapss::read(&dir.join("train_FD001.txt")).unwrap();
    let mut config = TrainConfig {
        members: 1,
        run_folds: Some(2),
        ..TrainConfig::default()
    };
    config.trees.trees = 150;
    config.trees.learning_rate = 0.1;
    let (model, report) = train::run(&engines, &config, &ProgressBar::hidden()).unwrap();
    let report = report.unwrap();
    let fd001 = &report.sets[0];
    eprintln!(
        "FD001 quick: RMSE {:.2} over {} engines, score {:.0}",
        fd001.rmse, fd001.engines, fd001.score
    );
    assert!(
        fd001.rmse < FLOOR,
        "RMSE {:.2} is above the floor {FLOOR}",
        fd001.rmse
    );

    let path = std::env::temp_dir().join(format!("ferrotwin-rul-{}.json", std::process::id()));
    model.save(&path).unwrap();
    let loaded = Model::load(&path).unwrap();
    std::fs::remove_file(&path).ok();
    let engine = &engines[0].cycles[..100];
    assert_eq!(
        loaded.estimate(engine),
        model.estimate(engine),
        "a saved model estimates the same"
    );
    let first = model.estimate(&engine[..1]);
    assert!(
        first.rul > 60.0 && first.lower <= first.rul && first.rul <= first.upper,
        "{first:?}"
    );
}

#[test]
fn refuses_other_formats_and_newer_versions() {
    assert!(Model::from_bytes(b"not json").is_err());
    assert!(Model::from_bytes(br#"{"format":"other","version":1}"#).is_err());
    let newer = format!(
        r#"{{"format":"ferrotwin-rul","version":{}}}"#,
        ferrotwin_rul::model::VERSION + 1
    );
    let e = Model::from_bytes(newer.as_bytes())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("newer"), "{e}");
}
