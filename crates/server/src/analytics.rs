//! Wires analytics into the server: the graph answers its questions about
//! models and takes its property patches, `ferrotwin-anomaly` scores every
//! series, and a trained `ferrotwin-rul` model (when configured) serves
//! twins whose settings ask for the learned estimator `cmapss`.

use std::collections::VecDeque;
use std::sync::Arc;

use ferrotwin_analytics::{
    DetectorMaker, Estimate, Explanation, Makers, RulEstimator, SeriesDetector, Service, Twins,
    TwinsFuture,
};
use ferrotwin_graph::Graph;
use serde_json::Value;

use crate::config::AnalyticsConfig;

/// The graph, as analytics sees it.
pub struct GraphTwins(pub Graph);

impl Twins for GraphTwins {
    fn is_a(&self, model: &str, base: &str) -> bool {
        self.0.model_is_a(model, base)
    }
    fn declares(&self, model: &str, name: &str) -> bool {
        self.0.model_declares_property(model, name)
    }
    fn model_of(&self, twin: &str) -> Option<String> {
        self.0.twin_model(twin)
    }
    fn patch<'a>(&'a self, twin: &'a str, ops: Value) -> TwinsFuture<'a> {
        Box::pin(async move {
            self.0
                .patch_twin(twin, None, ops, None)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

struct Anomaly(ferrotwin_anomaly::Detector);

impl SeriesDetector for Anomaly {
    fn update(&mut self, t_ms: i64, value: f64) -> (f64, Explanation) {
        let s = self.0.update(t_ms, value);
        (
            s.score,
            Explanation {
                feature: s.explanation.feature.to_string(),
                expected: s.explanation.expected,
                observed: s.explanation.observed,
            },
        )
    }
}

/// A maker of `ferrotwin-anomaly` detectors, one per series, all with the default parameters.
pub fn detectors() -> DetectorMaker {
    let params = ferrotwin_anomaly::Params::default();
    Box::new(move || Box::new(Anomaly(ferrotwin_anomaly::Detector::new(&params))))
}

/// One engine's recent cycles for the learned model.
struct Learned {
    model: Arc<ferrotwin_rul::Model>,
    recent: VecDeque<ferrotwin_rul::Cycle>,
    age: usize,
}

impl RulEstimator for Learned {
    fn observe(&mut self, _t_ms: i64, signals: &[(String, f64)]) -> Option<Estimate> {
        let find = |name: &str| signals.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
        let mut settings = [0.0; 3];
        for (slot, name) in settings.iter_mut().zip(ferrotwin_rul::SETTING_NAMES) {
            *slot = find(name)?;
        }
        let mut sensors = [0.0; 21];
        for (slot, name) in sensors.iter_mut().zip(ferrotwin_rul::SENSOR_NAMES) {
            *slot = find(name)?;
        }
        self.age += 1;
        self.recent
            .push_back(ferrotwin_rul::Cycle { settings, sensors });
        while self.recent.len() > self.model.window() {
            self.recent.pop_front();
        }
        let e = self
            .model
            .estimate_recent(self.recent.make_contiguous(), self.age);
        Some(Estimate {
            value: e.rul,
            lower: e.lower,
            upper: e.upper,
            unit: "cycles".into(),
            health: e.health,
            method: "cmapss".into(),
        })
    }
}

/// Opens analytics in `<data>/analytics.redb` and starts it on the graph's events.
pub fn start(
    cfg: &AnalyticsConfig,
    data: &std::path::Path,
    graph: &Graph,
    stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<(Arc<Service>, tokio::task::JoinHandle<()>)> {
    let rul = match &cfg.rul_model {
        Some(p) => Some(Arc::new(ferrotwin_rul::Model::load(p).map_err(|e| {
            anyhow::anyhow!("loading the RUL model {}: {e}", p.display())
        })?)),
        None => None,
    };
    let makers = Makers {
        detector: detectors(),
        learned: Box::new(move |name| match (name, &rul) {
            ("cmapss", Some(m)) => Some(Box::new(Learned {
                model: m.clone(),
                recent: VecDeque::new(),
                age: 0,
            }) as Box<dyn RulEstimator>),
            _ => None,
        }),
    };
    let service = Service::open(
        &data.join("analytics.redb"),
        graph.bus().clone(),
        Arc::new(GraphTwins(graph.clone())),
        makers,
        cfg.patch_every,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let task = tokio::spawn(service.clone().run(async move {
        let mut stop = stop;
        let _ = stop.wait_for(|s| *s).await;
    }));
    Ok((service, task))
}
