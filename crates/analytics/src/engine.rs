//! The analytics engine: fed events and times, it scores series, updates
//! RUL estimates, evaluates rules, and says what changed (alerts, work
//! orders, twin properties). It does no IO and reads no clock, so tests
//! drive it exactly; [`crate::Service`] runs it on the live bus.

mod rules;

use std::collections::HashMap;

use ferrotwin_events::{AnalyticsChange, Event};
use serde::Serialize;
use serde_json::{Value, json};

use crate::time::rfc3339;
use crate::{
    Alert, AlertState, AnalyticsError, Estimate, Explanation, RulEstimator, RulSpec, Rule,
    SeriesDetector, Settings, Severity, Template, TrendEstimator, WorkOrder, numeric_signals,
};

/// What the caller must persist, publish or apply.
#[derive(Debug, Clone)]
pub enum Change {
    /// An alert to save and publish.
    Alert(Alert, AnalyticsChange),
    /// A work order to save and publish.
    Order(WorkOrder, AnalyticsChange),
    /// A JSON Patch for a twin's analytics properties (`health`, `rul`, `anomalyScore`).
    Patch {
        /// The twin.
        twin: String,
        /// The operations.
        ops: Value,
    },
}

/// Questions about models the engine asks its caller.
pub trait ModelInfo {
    /// Whether `model` is `base` or extends it.
    fn is_a(&self, model: &str, base: &str) -> bool;
    /// Whether `model` declares a property `name`.
    fn declares(&self, model: &str, name: &str) -> bool;
}

/// Makes a fresh anomaly detector for a series.
pub type DetectorMaker = Box<dyn Fn() -> Box<dyn SeriesDetector> + Send>;

/// Makes a learned RUL estimator by name; None when the name is unknown.
pub type LearnedMaker = Box<dyn Fn(&str) -> Option<Box<dyn RulEstimator>> + Send>;

/// Makes detectors and learned estimators.
pub struct Makers {
    /// A fresh anomaly detector for a series.
    pub detector: DetectorMaker,
    /// A learned RUL estimator by name.
    pub learned: LearnedMaker,
}

/// One series' live analytics.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesStatus {
    /// The last anomaly score.
    pub score: f64,
    /// Recent evidence: the score's slowly decaying maximum.
    pub evidence: f64,
    /// Why the last score is what it is.
    pub explanation: Option<Explanation>,
    /// The highest score seen since analytics started watching the series.
    pub peak: f64,
    /// When it was seen.
    pub peak_at: Option<String>,
    /// The last value.
    pub value: f64,
    /// Its time.
    pub at: String,
}

/// A twin's live analytics.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TwinStatus {
    /// The twin.
    pub twin: String,
    /// Its model.
    pub model: String,
    /// The highest current anomaly score over its series.
    pub anomaly_score: f64,
    /// Per series.
    pub series: std::collections::BTreeMap<String, SeriesStatus>,
    /// The latest RUL estimate.
    pub rul: Option<Estimate>,
}

struct Series {
    detector: Option<Box<dyn SeriesDetector>>,
    last: Option<(i64, f64)>,
    prev: Option<(i64, f64)>,
    score: f64,
    evidence: f64,
    explanation: Option<Explanation>,
    peak: (f64, i64),
    seen_wall: i64,
}

struct TwinRt {
    model: String,
    series: HashMap<String, Series>,
    seen_wall: i64,
    settings_gen: u64,
    anomaly: Option<Option<Vec<String>>>,
    rul_spec: Option<RulSpec>,
    estimator: Option<Box<dyn RulEstimator>>,
    estimate: Option<Estimate>,
    rules_gen: u64,
    rules: Vec<usize>,
    sample_secs: f64,
    last_t: Option<i64>,
    patched: (i64, Option<Value>),
    dirty: bool,
}

#[derive(Default)]
struct RuleRt {
    since: Option<i64>,
    false_since: Option<i64>,
}

/// Evidence decays by this factor per sample of the series.
const EVIDENCE_DECAY: f64 = 0.995;

/// The engine.
pub struct Engine {
    rules: Vec<Rule>,
    templates: Vec<Template>,
    settings: Vec<Settings>,
    generation: u64,
    makers: Makers,
    twins: HashMap<String, TwinRt>,
    rule_rt: HashMap<(String, String), RuleRt>,
    open_alerts: HashMap<(String, String), Alert>,
    open_orders: HashMap<(String, String), String>,
    patch_every_ms: i64,
}

impl Engine {
    /// An engine with no rules; twin properties are patched at most every `patch_every_ms`.
    pub fn new(makers: Makers, patch_every_ms: i64) -> Engine {
        Engine {
            rules: vec![],
            templates: vec![],
            settings: vec![],
            generation: 1,
            makers,
            twins: HashMap::new(),
            rule_rt: HashMap::new(),
            open_alerts: HashMap::new(),
            open_orders: HashMap::new(),
            patch_every_ms,
        }
    }

    /// Replaces the rules, templates and settings.
    pub fn configure(
        &mut self,
        rules: Vec<Rule>,
        templates: Vec<Template>,
        settings: Vec<Settings>,
    ) {
        self.rules = rules;
        self.templates = templates;
        self.settings = settings;
        self.generation += 1;
        let ids: std::collections::HashSet<&str> =
            self.rules.iter().map(|r| r.id.as_str()).collect();
        self.rule_rt.retain(|(r, _), _| ids.contains(r.as_str()));
    }

    /// Takes up the alerts and orders still open from before a restart.
    pub fn restore(&mut self, alerts: Vec<Alert>, orders: Vec<WorkOrder>) {
        for a in alerts.into_iter().filter(Alert::is_open) {
            let key = (a.rule.clone(), a.twin.clone());
            // Its condition was true when the process stopped: not a new occurrence.
            self.rule_rt.insert(
                key.clone(),
                RuleRt {
                    since: Some(0),
                    false_since: None,
                },
            );
            self.open_alerts.insert(key, a);
        }
        for o in orders.into_iter().filter(WorkOrder::is_open) {
            let key = (o.twin.clone(), o.component.clone().unwrap_or_default());
            self.open_orders.insert(key, o.id.clone());
        }
    }

    /// The open alert with this id.
    pub fn open_alert(&self, id: &str) -> Option<&Alert> {
        self.open_alerts.values().find(|a| a.id == id)
    }

    /// A person acknowledges an open alert.
    pub fn acknowledge(&mut self, id: &str, by: &str, now: i64) -> Result<Alert, AnalyticsError> {
        let a = self
            .open_alerts
            .values_mut()
            .find(|a| a.id == id)
            .ok_or_else(|| AnalyticsError::Conflict(format!("alert '{id}' is not open")))?;
        if a.state == AlertState::Raised {
            a.state = AlertState::Acknowledged;
            a.acknowledged_at = Some(rfc3339(now));
            a.acknowledged_by = Some(by.into());
        }
        Ok(a.clone())
    }

    /// A person resolves an open alert.
    pub fn resolve(&mut self, id: &str, by: &str, now: i64) -> Result<Alert, AnalyticsError> {
        let key = self
            .open_alerts
            .iter()
            .find(|(_, a)| a.id == id)
            .map(|(k, _)| k.clone())
            .ok_or_else(|| AnalyticsError::Conflict(format!("alert '{id}' is not open")))?;
        let mut a = self.open_alerts.remove(&key).expect("found above");
        close(&mut a, by, now);
        self.rule_rt.remove(&key);
        Ok(a)
    }

    /// An order was closed (done or cancelled) through the API.
    pub fn order_closed(&mut self, order: &WorkOrder) {
        self.open_orders.retain(|_, id| *id != order.id);
    }

    /// An order was created through the API.
    pub fn order_opened(&mut self, order: &WorkOrder) {
        let key = (
            order.twin.clone(),
            order.component.clone().unwrap_or_default(),
        );
        self.open_orders.insert(key, order.id.clone());
    }

    /// The templates of `model` (and of the models it extends).
    pub fn templates_for<'a>(&'a self, model: &str, info: &dyn ModelInfo) -> Vec<&'a Template> {
        self.templates
            .iter()
            .filter(|t| info.is_a(model, &t.model))
            .collect()
    }

    /// A twin's live analytics, if it has any.
    pub fn status(&self, twin: &str) -> Option<TwinStatus> {
        let rt = self.twins.get(twin)?;
        let series: std::collections::BTreeMap<String, SeriesStatus> = rt
            .series
            .iter()
            .filter_map(|(name, s)| {
                let (t, v) = s.last?;
                Some((
                    name.clone(),
                    SeriesStatus {
                        score: s.score,
                        evidence: s.evidence,
                        explanation: s.explanation.clone(),
                        peak: s.peak.0,
                        peak_at: (s.peak.0 > 0.0).then(|| rfc3339(s.peak.1)),
                        value: v,
                        at: rfc3339(t),
                    },
                ))
            })
            .collect();
        Some(TwinStatus {
            twin: twin.into(),
            model: rt.model.clone(),
            anomaly_score: rt.series.values().map(|s| s.score).fold(0.0, f64::max),
            series,
            rul: rt.estimate.clone(),
        })
    }

    /// Number of series scored.
    pub fn series_count(&self) -> usize {
        self.twins.values().map(|t| t.series.len()).sum()
    }

    /// Handles one event seen at wall time `now` (ms).
    pub fn observe(&mut self, event: &Event, now: i64, info: &dyn ModelInfo) -> Vec<Change> {
        let mut out = Vec::new();
        let (twin_id, model) = match event {
            Event::Telemetry { twin_id, model, .. } | Event::TwinUpdated { twin_id, model, .. } => {
                (twin_id, model)
            }
            Event::TwinDeleted { twin_id, .. } => {
                self.twins.remove(twin_id);
                let keys: Vec<_> = self
                    .open_alerts
                    .keys()
                    .filter(|(_, t)| t == twin_id)
                    .cloned()
                    .collect();
                for k in keys {
                    let mut a = self.open_alerts.remove(&k).expect("listed");
                    close(&mut a, "twin deleted", now);
                    out.push(Change::Alert(a, AnalyticsChange::AlertResolved));
                    self.rule_rt.remove(&k);
                }
                return out;
            }
            _ => return out,
        };
        let (t, signals) = numeric_signals(event, now);
        if signals.is_empty() {
            return out;
        }
        let telemetry = matches!(event, Event::Telemetry { .. });
        self.refresh(twin_id, model, info);
        let rt = self.twins.get_mut(twin_id).expect("refreshed");
        rt.seen_wall = now;
        if let Some(prev) = rt.last_t
            && t > prev
        {
            let dt = (t - prev) as f64 / 1000.0;
            rt.sample_secs = if rt.sample_secs == 0.0 {
                dt
            } else {
                0.9 * rt.sample_secs + 0.1 * dt
            };
        }
        rt.last_t = Some(rt.last_t.map_or(t, |p| p.max(t)));
        let mut scored: Vec<(&str, f64)> = Vec::new();
        for (name, v) in &signals {
            let detect = telemetry
                && rt
                    .anomaly
                    .as_ref()
                    .is_some_and(|f| f.as_ref().is_none_or(|only| only.contains(name)));
            if !rt.series.contains_key(name) {
                let fresh = Series {
                    detector: None,
                    last: None,
                    prev: None,
                    score: 0.0,
                    evidence: 0.0,
                    explanation: None,
                    peak: (0.0, 0),
                    seen_wall: now,
                };
                rt.series.insert(name.clone(), fresh);
            }
            let s = rt.series.get_mut(name).expect("inserted above");
            s.prev = s.last;
            s.last = Some((t, *v));
            s.seen_wall = now;
            if detect {
                let d = s.detector.get_or_insert_with(|| (self.makers.detector)());
                let (score, why) = d.update(t, *v);
                let score = if score.is_finite() {
                    score.clamp(0.0, 1.0)
                } else {
                    0.0
                };
                s.score = score;
                s.evidence = score.max(s.evidence * EVIDENCE_DECAY);
                if score > s.peak.0 {
                    s.peak = (score, t);
                }
                s.explanation = Some(why);
                scored.push((name.as_str(), score));
            }
        }
        let mut new_estimate = false;
        if let Some(est) = rt.estimator.as_mut()
            && let Some(e) = est.observe(t, &signals)
        {
            rt.estimate = Some(e);
            new_estimate = true;
        }
        rt.dirty |= new_estimate || !scored.is_empty();
        // Taken out for the loop, since applying a verdict needs the engine mutably.
        let rule_ids = std::mem::take(&mut rt.rules);
        for &i in &rule_ids {
            let verdict = rules::evaluate(
                &self.rules[i],
                &self.twins[twin_id],
                &signals,
                &scored,
                new_estimate,
            );
            self.apply(i, twin_id, verdict, t, info, &mut out);
        }
        if let Some(rt) = self.twins.get_mut(twin_id) {
            rt.rules = rule_ids;
        }
        if let Some(p) = self.patch(twin_id, now, info) {
            out.push(p);
        }
        out
    }

    /// Evaluates absence rules at wall time `now`.
    pub fn tick(&mut self, now: i64, info: &dyn ModelInfo) -> Vec<Change> {
        let mut out = Vec::new();
        let mut todo = Vec::new();
        for (id, rt) in &self.twins {
            for &i in &rt.rules {
                if let Some(v) = rules::absent(&self.rules[i], rt, now) {
                    todo.push((i, id.clone(), v));
                }
            }
        }
        for (i, twin, v) in todo {
            self.apply(i, &twin, v, now, info, &mut out);
        }
        // Values held back by the patch interval are written once it has passed.
        let dirty: Vec<String> = self
            .twins
            .iter()
            .filter(|(_, rt)| rt.dirty)
            .map(|(id, _)| id.clone())
            .collect();
        for twin in dirty {
            if let Some(p) = self.patch(&twin, now, info) {
                out.push(p);
            }
        }
        out
    }

    fn refresh(&mut self, twin: &str, model: &str, info: &dyn ModelInfo) {
        let rt = self
            .twins
            .entry(twin.to_string())
            .or_insert_with(|| TwinRt {
                model: model.to_string(),
                series: HashMap::new(),
                seen_wall: 0,
                settings_gen: 0,
                anomaly: None,
                rul_spec: None,
                estimator: None,
                estimate: None,
                rules_gen: 0,
                rules: vec![],
                sample_secs: 0.0,
                last_t: None,
                patched: (i64::MIN, None),
                dirty: false,
            });
        if rt.model != model {
            rt.model = model.to_string();
            rt.settings_gen = 0;
            rt.rules_gen = 0;
        }
        if rt.rules_gen != self.generation {
            rt.rules = self
                .rules
                .iter()
                .enumerate()
                .filter(|(_, r)| r.scope.covers(twin, model, &|m, b| info.is_a(m, b)))
                .map(|(i, _)| i)
                .collect();
            rt.rules_gen = self.generation;
        }
        if rt.settings_gen != self.generation {
            // Most specific wins: the twin's own, then the model's, then defaults.
            let applicable: Vec<&Settings> = self
                .settings
                .iter()
                .filter(|s| s.scope.covers(twin, model, &|m, b| info.is_a(m, b)))
                .collect();
            let pick = |f: &dyn Fn(&Settings) -> bool| {
                applicable
                    .iter()
                    .filter(|s| f(s))
                    .max_by_key(|s| {
                        (
                            s.scope.twin.is_some(),
                            s.scope.model.as_deref() == Some(model),
                        )
                    })
                    .copied()
            };
            rt.anomaly = match pick(&|s| s.anomaly.is_some()).and_then(|s| s.anomaly.as_ref()) {
                Some(a) if !a.enabled => None,
                Some(a) => Some(a.signals.clone()),
                None => Some(None),
            };
            let spec = pick(&|s| s.rul.is_some()).and_then(|s| s.rul.clone());
            if spec != rt.rul_spec {
                rt.estimator = match &spec {
                    Some(RulSpec::Trend {
                        signal,
                        failure_threshold,
                    }) => Some(Box::new(TrendEstimator::new(
                        signal,
                        *failure_threshold,
                        60.0,
                    ))),
                    Some(RulSpec::Learned { estimator }) => (self.makers.learned)(estimator),
                    None => None,
                };
                rt.estimate = None;
                rt.rul_spec = spec;
            }
            rt.settings_gen = self.generation;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn apply(
        &mut self,
        rule: usize,
        twin: &str,
        verdict: rules::Verdict,
        t: i64,
        info: &dyn ModelInfo,
        out: &mut Vec<Change>,
    ) {
        let r = &self.rules[rule];
        let key = (r.id.clone(), twin.to_string());
        let st = self.rule_rt.entry(key.clone()).or_default();
        match verdict {
            rules::Verdict::Skip => {}
            rules::Verdict::False => {
                st.since = None;
                if r.auto_resolve && self.open_alerts.contains_key(&key) {
                    let from = *st.false_since.get_or_insert(t);
                    if t - from >= (r.clear_secs * 1000.0) as i64 {
                        let mut a = self.open_alerts.remove(&key).expect("checked");
                        close(&mut a, "rule", t);
                        self.rule_rt.remove(&key);
                        out.push(Change::Alert(a, AnalyticsChange::AlertResolved));
                    }
                }
            }
            rules::Verdict::True {
                signal,
                value,
                explanation,
            } => {
                st.false_since = None;
                let fresh = st.since.is_none();
                let since = *st.since.get_or_insert(t);
                if let Some(a) = self.open_alerts.get_mut(&key) {
                    a.last_seen_at = rfc3339(t);
                    a.value = Some(value);
                    if fresh {
                        a.count += 1;
                        out.push(Change::Alert(a.clone(), AnalyticsChange::AlertUpdated));
                    }
                } else if t - since >= (r.for_secs * 1000.0) as i64 {
                    let alert = self.raise(rule, twin, signal, value, explanation, t, info, out);
                    self.open_alerts.insert(key, alert);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn raise(
        &mut self,
        rule: usize,
        twin: &str,
        signal: Option<String>,
        value: f64,
        explanation: Option<Explanation>,
        t: i64,
        info: &dyn ModelInfo,
        out: &mut Vec<Change>,
    ) -> Alert {
        let r = &self.rules[rule];
        let rt = &self.twins[twin];
        let evidence: HashMap<String, f64> = rt
            .series
            .iter()
            .map(|(n, s)| (n.clone(), s.evidence))
            .collect();
        let templates = self.templates_for(&rt.model, info);
        let suspect = crate::diagnose::suspect(&templates, &evidence, signal.as_deref()).cloned();
        let mut alert = Alert {
            id: uuid::Uuid::new_v4().to_string(),
            rule: r.id.clone(),
            twin: twin.into(),
            model: rt.model.clone(),
            severity: r.severity,
            state: AlertState::Raised,
            description: r.description.clone(),
            signal,
            value: Some(value),
            explanation,
            component: suspect.as_ref().map(|s| s.component.clone()),
            part: suspect.as_ref().and_then(|s| s.part.clone()),
            work_order: None,
            raised_at: rfc3339(t),
            last_seen_at: rfc3339(t),
            count: 1,
            acknowledged_at: None,
            acknowledged_by: None,
            resolved_at: None,
            resolved_by: None,
        };
        if r.work_order {
            let component = alert.component.clone().unwrap_or_default();
            let okey = (twin.to_string(), component);
            if let Some(id) = self.open_orders.get(&okey) {
                alert.work_order = Some(id.clone());
            } else {
                let order = self.order(&alert, suspect.as_ref(), t);
                alert.work_order = Some(order.id.clone());
                self.open_orders.insert(okey, order.id.clone());
                out.push(Change::Order(order, AnalyticsChange::WorkOrderCreated));
            }
        }
        out.push(Change::Alert(alert.clone(), AnalyticsChange::AlertRaised));
        alert
    }

    fn order(&self, alert: &Alert, template: Option<&Template>, t: i64) -> WorkOrder {
        let rt = &self.twins[&alert.twin];
        let (priority, due) = plan(rt.estimate.as_ref(), rt.sample_secs, alert.severity, t);
        let title = match template {
            Some(tp) => format!("{}: {}", alert.twin, tp.title),
            None => format!("{}: inspect ({})", alert.twin, alert.description),
        };
        let detail = format!(
            "from alert {} (rule {}){}",
            alert.id,
            alert.rule,
            alert
                .component
                .as_ref()
                .map(|c| format!("; suspected component: {c}"))
                .unwrap_or_default()
        );
        let steps = template.map(|tp| tp.steps.as_slice()).unwrap_or(&[]);
        let mut o = WorkOrder::new(
            &alert.twin,
            &alert.model,
            title,
            priority,
            due,
            steps,
            t,
            detail,
        );
        o.component = alert.component.clone();
        o.part = alert.part.clone();
        o.template = template.map(|tp| tp.id.clone());
        o.alert = Some(alert.id.clone());
        o.rul = rt.estimate.clone();
        o
    }

    fn patch(&mut self, twin: &str, now: i64, info: &dyn ModelInfo) -> Option<Change> {
        let rt = self.twins.get_mut(twin)?;
        if now.saturating_sub(rt.patched.0) < self.patch_every_ms {
            return None;
        }
        let mut doc = serde_json::Map::new();
        let score = rt.series.values().map(|s| s.score).fold(0.0, f64::max);
        if rt.anomaly.is_some() && info.declares(&rt.model, "anomalyScore") {
            doc.insert("anomalyScore".into(), json!(round(score, 3)));
        }
        if let Some(e) = &rt.estimate {
            if info.declares(&rt.model, "health") {
                doc.insert("health".into(), json!(round(e.health, 3)));
            }
            if info.declares(&rt.model, "rul") {
                doc.insert(
                    "rul".into(),
                    json!({"value": round(e.value, 1), "lower": round(e.lower, 1),
                           "upper": round(e.upper, 1), "unit": e.unit, "method": e.method}),
                );
            }
        }
        let doc = Value::Object(doc);
        rt.dirty = false;
        if doc.as_object().is_some_and(|m| m.is_empty()) || rt.patched.1.as_ref() == Some(&doc) {
            return None;
        }
        rt.patched = (now, Some(doc.clone()));
        let ops: Vec<Value> = doc
            .as_object()
            .expect("built as an object")
            .iter()
            .map(|(k, v)| json!({"op": "add", "path": format!("/{k}"), "value": v}))
            .collect();
        Some(Change::Patch {
            twin: twin.into(),
            ops: Value::Array(ops),
        })
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    (x * p).round() / p
}

fn close(a: &mut Alert, by: &str, at: i64) {
    a.state = AlertState::Resolved;
    a.resolved_at = Some(rfc3339(at));
    a.resolved_by = Some(by.into());
}

/// Priority (1 most urgent) and due time from the RUL's lower bound, or
/// from the severity when there is no estimate.
fn plan(est: Option<&Estimate>, sample_secs: f64, severity: Severity, t: i64) -> (u8, i64) {
    const DAY: f64 = 86_400.0;
    let horizon = est.map(|e| match e.unit.as_str() {
        "cycles" => e.lower * sample_secs.max(1.0),
        _ => e.lower,
    });
    let secs = match (horizon, severity) {
        (Some(h), _) => h,
        (None, Severity::Critical) => DAY,
        (None, Severity::Major) => 3.0 * DAY,
        (None, Severity::Minor) => 14.0 * DAY,
        (None, Severity::Warning) => 30.0 * DAY,
    };
    let priority = if secs <= DAY {
        1
    } else if secs <= 3.0 * DAY {
        2
    } else if secs <= 14.0 * DAY {
        3
    } else {
        4
    };
    (priority, t + (secs * 1000.0) as i64)
}

#[cfg(test)]
mod tests;
