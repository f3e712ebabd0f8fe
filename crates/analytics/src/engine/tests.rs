use super::*;
use crate::{AnomalySettings, Condition, Op, Scope, StepTemplate};

const PUMP: &str = "dtmi:x:Pump;1";
const MACHINE: &str = "dtmi:x:Machine;1";

struct Models;

impl ModelInfo for Models {
    fn is_a(&self, model: &str, base: &str) -> bool {
        model == base || (model == PUMP && base == MACHINE)
    }
    fn declares(&self, _: &str, name: &str) -> bool {
        matches!(name, "health" | "rul" | "anomalyScore")
    }
}

/// Scores by distance from the first value seen, so tests know the score.
struct FromFirst(Option<f64>);

impl SeriesDetector for FromFirst {
    fn update(&mut self, _: i64, v: f64) -> (f64, Explanation) {
        let first = *self.0.get_or_insert(v);
        let score = ((v - first).abs() / 10.0).min(1.0);
        let why = Explanation {
            feature: "level".into(),
            expected: first,
            observed: v,
        };
        (score, why)
    }
}

fn engine() -> Engine {
    Engine::new(
        Makers {
            detector: Box::new(|| Box::new(FromFirst(None))),
            learned: Box::new(|_| None),
        },
        0,
    )
}

fn telemetry(twin: &str, t_s: i64, data: Value) -> Event {
    Event::Telemetry {
        twin_id: twin.into(),
        component: None,
        model: PUMP.into(),
        message_id: t_s.to_string(),
        source_time: Some(rfc3339(t_s * 1000)),
        data,
    }
}

fn rule(id: &str, condition: Condition, for_secs: f64) -> Rule {
    Rule {
        id: id.into(),
        scope: Scope {
            model: Some(MACHINE.into()),
            twin: None,
        },
        condition,
        severity: Severity::Major,
        for_secs,
        clear_secs: 10.0,
        auto_resolve: true,
        work_order: false,
        description: "test".into(),
    }
}

fn template(component: &str, signals: &[&str]) -> Template {
    Template {
        id: component.into(),
        model: PUMP.into(),
        component: component.into(),
        part: Some(format!("{component}_part")),
        signals: signals.iter().map(|s| s.to_string()).collect(),
        title: format!("Replace {component}"),
        steps: vec![StepTemplate {
            title: "Lock out".into(),
            instructions: "Isolate and lock out the motor.".into(),
            tools: vec!["padlock".into()],
            torque: vec![],
            warnings: vec!["Stored pressure".into()],
            part: None,
        }],
    }
}

fn alerts(changes: &[Change]) -> Vec<(AnalyticsChange, Alert)> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Alert(a, how) => Some((*how, a.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_threshold_raises_once_after_holding_and_resolves_after_clearing() {
    let mut e = engine();
    let r = rule(
        "hot",
        Condition::Threshold {
            signal: "temp".into(),
            op: Op::Gt,
            value: 80.0,
        },
        30.0,
    );
    e.configure(vec![r], vec![], vec![]);
    let mut seen = vec![];
    for (t, v) in [
        (0, 70.0),
        (10, 85.0),
        (20, 86.0),
        (39, 87.0),
        (40, 88.0),
        (50, 90.0),
    ] {
        let c = e.observe(&telemetry("p1", t, json!({"temp": v})), 0, &Models);
        seen.extend(alerts(&c).into_iter().map(|(h, a)| (t, h, a)));
    }
    assert_eq!(seen.len(), 1, "raised once: {seen:?}");
    let (t, how, a) = &seen[0];
    assert_eq!((*t, *how), (40, AnalyticsChange::AlertRaised));
    assert_eq!(a.value, Some(88.0));
    assert_eq!(a.signal.as_deref(), Some("temp"));
    // Clears: below for 10 s resolves it.
    let mut later = vec![];
    for (t, v) in [(60, 70.0), (65, 70.0), (70, 70.0)] {
        later.extend(alerts(&e.observe(
            &telemetry("p1", t, json!({"temp": v})),
            0,
            &Models,
        )));
    }
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].0, AnalyticsChange::AlertResolved);
    assert_eq!(later[0].1.resolved_by.as_deref(), Some("rule"));
    assert!(e.open_alerts.is_empty());
}

#[test]
fn a_flapping_condition_counts_occurrences_on_one_alert() {
    let mut e = engine();
    let r = rule(
        "hot",
        Condition::Threshold {
            signal: "temp".into(),
            op: Op::Gt,
            value: 80.0,
        },
        0.0,
    );
    e.configure(vec![r], vec![], vec![]);
    for (t, v) in [(0, 90.0), (1, 70.0), (2, 90.0), (3, 70.0), (4, 90.0)] {
        e.observe(&telemetry("p1", t, json!({"temp": v})), 0, &Models);
    }
    let a = e.open_alerts.values().next().unwrap();
    assert_eq!(a.count, 3);
}

#[test]
fn an_anomaly_names_the_component_and_raises_one_work_order() {
    let mut e = engine();
    let mut r = rule(
        "anomaly",
        Condition::Anomaly {
            signal: None,
            above: 0.5,
        },
        0.0,
    );
    r.work_order = true;
    r.severity = Severity::Critical;
    let bearing = template("bearing", &["vibBpfo", "bearingTemperature"]);
    let coupling = template("coupling", &["vib2x"]);
    e.configure(vec![r], vec![bearing, coupling], vec![]);
    e.observe(
        &telemetry("p1", 0, json!({"vibBpfo": 1.0, "vib2x": 1.0})),
        0,
        &Models,
    );
    let c = e.observe(
        &telemetry("p1", 1, json!({"vibBpfo": 9.0, "vib2x": 1.5})),
        0,
        &Models,
    );
    let orders: Vec<&WorkOrder> = c
        .iter()
        .filter_map(|c| match c {
            Change::Order(o, _) => Some(o),
            _ => None,
        })
        .collect();
    assert_eq!(orders.len(), 1);
    let o = orders[0];
    assert_eq!(o.component.as_deref(), Some("bearing"));
    assert_eq!(o.part.as_deref(), Some("bearing_part"));
    assert_eq!(o.priority, 1);
    assert_eq!(o.steps.len(), 1);
    let raised = alerts(&c);
    assert_eq!(raised[0].1.work_order.as_deref(), Some(o.id.as_str()));
    assert_eq!(raised[0].1.explanation.as_ref().unwrap().expected, 1.0);
    // A second anomaly on another twin gets its own order; on the same twin none.
    e.resolve(&raised[0].1.id, "ana", 5).unwrap();
    let c = e.observe(&telemetry("p1", 2, json!({"vibBpfo": 9.5})), 0, &Models);
    assert_eq!(alerts(&c).len(), 1);
    assert!(!c.iter().any(|c| matches!(c, Change::Order(..))));
}

#[test]
fn detection_follows_the_most_specific_settings() {
    let mut e = engine();
    let off_for_model = Settings {
        id: "m".into(),
        scope: Scope {
            model: Some(MACHINE.into()),
            twin: None,
        },
        anomaly: Some(AnomalySettings {
            enabled: false,
            signals: None,
        }),
        rul: None,
    };
    let on_for_p2 = Settings {
        id: "t".into(),
        scope: Scope {
            model: None,
            twin: Some("p2".into()),
        },
        anomaly: Some(AnomalySettings {
            enabled: true,
            signals: Some(vec!["a".into()]),
        }),
        rul: None,
    };
    e.configure(vec![], vec![], vec![off_for_model, on_for_p2]);
    for twin in ["p1", "p2"] {
        e.observe(&telemetry(twin, 0, json!({"a": 1, "b": 1})), 0, &Models);
        e.observe(&telemetry(twin, 1, json!({"a": 9, "b": 9})), 0, &Models);
    }
    let p1 = e.status("p1").unwrap();
    assert_eq!(p1.anomaly_score, 0.0);
    let p2 = e.status("p2").unwrap();
    assert!((p2.series["a"].score - 0.8).abs() < 1e-9);
    assert_eq!(p2.series["b"].score, 0.0);
}

#[test]
fn a_trend_estimate_drives_rul_rules_and_twin_properties() {
    let mut e = engine();
    let s = Settings {
        id: "m".into(),
        scope: Scope {
            model: Some(PUMP.into()),
            twin: None,
        },
        anomaly: None,
        rul: Some(RulSpec::Trend {
            signal: "vib".into(),
            failure_threshold: 10.0,
        }),
    };
    let r = rule("soon", Condition::Rul { below: 3600.0 }, 0.0);
    e.configure(vec![r], vec![], vec![s]);
    let fail = 20000.0 * 900f64.ln();
    let mut raised_at = None;
    let mut patched = None;
    for i in 0..13_600 {
        let t = i * 10;
        let v = 1.0 + 0.01 * (t as f64 / 20000.0).exp();
        let c = e.observe(&telemetry("p1", t, json!({"vib": v})), t * 1000, &Models);
        if raised_at.is_none() && !alerts(&c).is_empty() {
            raised_at = Some(t as f64);
        }
        for ch in c {
            if let Change::Patch { ops, .. } = ch {
                patched = Some(ops);
            }
        }
    }
    let raised = raised_at.expect("a RUL alert");
    let lead = fail - raised;
    assert!(
        (1800.0..=7200.0).contains(&lead),
        "raised {lead} s before failure"
    );
    let ops = patched.unwrap();
    let paths: Vec<&str> = ops
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&"/rul") && paths.contains(&"/health"),
        "{paths:?}"
    );
}

#[test]
fn silence_raises_an_absence_alert_at_a_tick() {
    let mut e = engine();
    let r = rule(
        "silent",
        Condition::Absence {
            signal: None,
            secs: 60.0,
        },
        0.0,
    );
    e.configure(vec![r], vec![], vec![]);
    e.observe(&telemetry("p1", 0, json!({"a": 1})), 1_000, &Models);
    assert!(alerts(&e.tick(30_000, &Models)).is_empty());
    let c = e.tick(62_000, &Models);
    assert_eq!(alerts(&c)[0].0, AnalyticsChange::AlertRaised);
    // Data again clears it once clearSecs (10 s) of event time have passed.
    e.observe(&telemetry("p1", 100, json!({"a": 1})), 100_000, &Models);
    let c = e.observe(&telemetry("p1", 111, json!({"a": 1})), 111_000, &Models);
    assert_eq!(alerts(&c)[0].0, AnalyticsChange::AlertResolved);
}

#[test]
fn open_alerts_and_orders_survive_a_restart() {
    let mut e = engine();
    let mut r = rule(
        "hot",
        Condition::Threshold {
            signal: "temp".into(),
            op: Op::Gt,
            value: 80.0,
        },
        0.0,
    );
    r.work_order = true;
    e.configure(vec![r.clone()], vec![], vec![]);
    let c = e.observe(&telemetry("p1", 0, json!({"temp": 90})), 0, &Models);
    let (a, o): (Vec<_>, Vec<_>) = c.into_iter().partition(|c| matches!(c, Change::Alert(..)));
    let a: Vec<Alert> = a
        .into_iter()
        .map(|c| match c {
            Change::Alert(a, _) => a,
            _ => unreachable!(),
        })
        .collect();
    let o: Vec<WorkOrder> = o
        .into_iter()
        .filter_map(|c| match c {
            Change::Order(o, _) => Some(o),
            _ => None,
        })
        .collect();
    let mut again = engine();
    again.configure(vec![r], vec![], vec![]);
    again.restore(a, o);
    let c = again.observe(&telemetry("p1", 1, json!({"temp": 95})), 0, &Models);
    assert!(alerts(&c).is_empty(), "no second alert: {c:?}");
    assert!(!c.iter().any(|c| matches!(c, Change::Order(..))));
}

#[test]
fn values_held_back_by_the_patch_interval_are_written_at_a_later_tick() {
    let mut e = Engine::new(
        Makers {
            detector: Box::new(|| Box::new(FromFirst(None))),
            learned: Box::new(|_| None),
        },
        10_000,
    );
    e.observe(&telemetry("p1", 0, json!({"a": 1})), 0, &Models);
    // Within the interval the new score is held back...
    let c = e.observe(&telemetry("p1", 1, json!({"a": 9})), 1_000, &Models);
    assert!(!c.iter().any(|c| matches!(c, Change::Patch { .. })));
    assert!(
        !e.tick(5_000, &Models)
            .iter()
            .any(|c| matches!(c, Change::Patch { .. }))
    );
    // ...and written by the first tick after it, with no new data.
    let c = e.tick(11_000, &Models);
    let ops = c
        .iter()
        .find_map(|c| match c {
            Change::Patch { ops, .. } => Some(ops.clone()),
            _ => None,
        })
        .expect("a patch");
    assert_eq!(ops[0]["value"], 0.8);
    assert!(e.tick(30_000, &Models).is_empty(), "written once");
}
