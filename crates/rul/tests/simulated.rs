//! A model trained on FD001 + FD002 follows a simulated turbofan from
//! ferrotwin-sim (driven in-process, no server) toward failure: the
//! simulator's telemetry must map onto `Cycle` by name and look enough
//! like C-MAPSS for the estimate to fall as the engine wears.

mod support;

use ferrotwin_rul::{Cycle, Model, SENSOR_NAMES, SETTING_NAMES, TrainConfig, cmapss, train};
use ferrotwin_sim::model::Model as _;
use ferrotwin_sim::model::turbofan::Turbofan;
use ferrotwin_sim::rng::Rng;
use indicatif::ProgressBar;

/// Runs one simulated engine to failure: its cycles, mapped by telemetry name.
fn fly(seed: u64, multi_condition: bool) -> Vec<Cycle> {
    let mut rng = Rng::new(seed, 1);
    let mut engine = Turbofan::new(&mut rng, 1.0, multi_condition);
    let names: Vec<&str> = engine.signal_info().iter().map(|s| s.name).collect();
    let at = |name: &str| names.iter().position(|n| *n == name).unwrap();
    let (settings, sensors) = (SETTING_NAMES.map(at), SENSOR_NAMES.map(at));
    let mut cycles = Vec::new();
    let mut t = 0.0;
    while engine.failed_at().is_none() {
        t += 1.0;
        engine.step(t, 1.0, &[], &mut rng);
        if engine.sample_due() {
            let mut v = Vec::new();
            engine.signals(&mut rng, &mut v);
            cycles.push(Cycle {
                settings: settings.map(|i| v[i]),
                sensors: sensors.map(|i| v[i]),
            });
        }
    }
    cycles
}

fn model(dir: &std::path::Path) -> Model {
    let mut engines = cmapss::read(&dir.join("train_FD001.txt")).unwrap();
    engines.extend(cmapss::read(&dir.join("train_FD002.txt")).unwrap());
    let mut config = TrainConfig {
        members: 1,
        folds: 0,
        stride: 3,
        ..TrainConfig::default()
    };
    config.trees.trees = 150;
    config.trees.learning_rate = 0.1;
    train::fit(&engines, &config, &ProgressBar::hidden()).unwrap()
}

#[test]
fn estimates_fall_toward_zero_as_a_simulated_engine_wears() {
    let Some(dir) = support::data_dir() else {
        return;
    };
    let model = model(&dir);
    for (seed, multi) in [(3, false), (4, true)] {
        let cycles = fly(seed, multi);
        let n = cycles.len();
        let at = |k: usize| model.estimate(&cycles[..k]).rul;
        let (middle, late, end) = (at(n / 2), at(n * 4 / 5), at(n));
        let truth = |k: usize| ((n - k) as f64).min(ferrotwin_rul::RUL_CAP);
        let pairs: Vec<(f64, f64)> = (31..=n).step_by(5).map(|k| (at(k), truth(k))).collect();
        let rmse = ferrotwin_rul::metrics::rmse(&pairs);
        eprintln!(
            "seed {seed} multi {multi}: {n} cycles; RUL at 50% {middle:.0} (true {:.0}), 80% {late:.0} (true {:.0}), end {end:.0}; RMSE from cycle 31 on {rmse:.1}",
            truth(n / 2),
            truth(n * 4 / 5)
        );
        assert!(
            middle > 60.0,
            "half-way, the engine has life left: {middle:.0}"
        );
        assert!(end < 30.0, "a failed engine looks near its end: {end:.0}");
        assert!(
            middle > late && late > end,
            "{middle:.0} > {late:.0} > {end:.0}"
        );
    }
}
