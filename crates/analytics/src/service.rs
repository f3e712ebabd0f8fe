//! The engine at work on the live event bus: it runs the engine on every
//! event and once a second, commits alert and work-order changes to the
//! analytics database before publishing them as events, patches twins'
//! analytics properties, and serves the API's reads and lifecycle actions.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrotwin_events::{AnalyticsChange, Event, EventBus, Received};
use serde_json::Value;

use crate::engine::{Makers, ModelInfo};
use crate::store::{Kind, Store, Write, put};
use crate::time::now_ms;
use crate::{
    Alert, AnalyticsError, Change, Engine, Rule, Settings, Template, TwinStatus, WorkOrder,
};

/// A boxed future of a twin patch.
pub type TwinsFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// What analytics needs of the twin graph; the server implements it.
pub trait Twins: Send + Sync {
    /// Whether `model` is `base` or extends it.
    fn is_a(&self, model: &str, base: &str) -> bool;
    /// Whether `model` declares a property `name`.
    fn declares(&self, model: &str, name: &str) -> bool;
    /// The model of a twin, if it exists.
    fn model_of(&self, twin: &str) -> Option<String>;
    /// Applies a JSON Patch to a twin.
    fn patch<'a>(&'a self, twin: &'a str, ops: Value) -> TwinsFuture<'a>;
}

struct Info<'a>(&'a dyn Twins);

impl ModelInfo for Info<'_> {
    fn is_a(&self, model: &str, base: &str) -> bool {
        self.0.is_a(model, base)
    }
    fn declares(&self, model: &str, name: &str) -> bool {
        self.0.declares(model, name)
    }
}

/// Filters for listing alerts and work orders.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    /// Only this twin's.
    pub twin: Option<String>,
    /// Only in this state (`raised`, `open`, `done`...); `open` means not closed.
    pub state: Option<String>,
}

/// Analytics, running.
pub struct Service {
    engine: Mutex<Engine>,
    store: Store,
    bus: EventBus,
    twins: Arc<dyn Twins>,
    lagged: std::sync::atomic::AtomicU64,
}

impl Service {
    /// Opens the analytics database at `path` and restores what was open.
    pub fn open(
        path: &Path,
        bus: EventBus,
        twins: Arc<dyn Twins>,
        makers: Makers,
        patch_every: Duration,
    ) -> Result<Arc<Service>, AnalyticsError> {
        let store = Store::open(path)?;
        let mut engine = Engine::new(makers, patch_every.as_millis() as i64);
        engine.configure(
            store.all(Kind::Rules)?,
            store.all(Kind::Templates)?,
            store.all(Kind::Settings)?,
        );
        engine.restore(store.all(Kind::Alerts)?, store.all(Kind::Orders)?);
        Ok(Arc::new(Service {
            engine: Mutex::new(engine),
            store,
            bus,
            twins,
            lagged: Default::default(),
        }))
    }

    fn engine(&self) -> std::sync::MutexGuard<'_, Engine> {
        self.engine.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs until `stop` resolves: every event, and absence checks each second.
    pub async fn run(self: Arc<Self>, stop: impl Future<Output = ()> + Send) {
        let mut sub = self.bus.subscribe();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tokio::pin!(stop);
        loop {
            let changes = tokio::select! {
                _ = &mut stop => break,
                _ = tick.tick() => {
                    let info = Info(self.twins.as_ref());
                    self.engine().tick(now_ms(), &info)
                }
                r = sub.recv() => match r {
                    Received::Event(e) => {
                        if matches!(*e, Event::Analytics { .. }) {
                            continue;
                        }
                        let info = Info(self.twins.as_ref());
                        self.engine().observe(&e, now_ms(), &info)
                    }
                    Received::Lagged(n) => {
                        self.lagged.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                        tracing::warn!(missed = n, "analytics fell behind the event stream");
                        continue;
                    }
                    Received::Closed => break,
                },
            };
            if let Err(e) = self.commit(changes).await {
                tracing::error!(error = %e, "analytics could not keep a change");
            }
        }
    }

    /// Events analytics missed because it fell behind.
    pub fn lagged(&self) -> u64 {
        self.lagged.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Saves alert and order changes (one transaction), publishes them,
    /// then applies twin patches.
    async fn commit(&self, changes: Vec<Change>) -> Result<(), AnalyticsError> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut writes = Vec::new();
        let mut events = Vec::new();
        let mut patches = Vec::new();
        for c in changes {
            match c {
                Change::Alert(a, how) => {
                    writes.push(put(Kind::Alerts, &a.id, &a));
                    events.push(event(&a.twin, &a.model, how, &a));
                }
                Change::Order(o, how) => {
                    writes.push(put(Kind::Orders, &o.id, &o));
                    events.push(event(&o.twin, &o.model, how, &o));
                }
                Change::Patch { twin, ops } => patches.push((twin, ops)),
            }
        }
        self.store.write(writes)?;
        if let Err(e) = self.bus.emit(events).await {
            tracing::warn!(error = %e, "an analytics event was not recorded");
        }
        for (twin, ops) in patches {
            if let Err(e) = self.twins.patch(&twin, ops).await {
                tracing::debug!(twin, error = %e, "analytics properties not written");
            }
        }
        Ok(())
    }

    fn reconfigure(&self) -> Result<(), AnalyticsError> {
        self.engine().configure(
            self.store.all(Kind::Rules)?,
            self.store.all(Kind::Templates)?,
            self.store.all(Kind::Settings)?,
        );
        Ok(())
    }

    /// Every rule.
    pub fn rules(&self) -> Result<Vec<Rule>, AnalyticsError> {
        self.store.all(Kind::Rules)
    }

    /// One rule.
    pub fn rule(&self, id: &str) -> Result<Rule, AnalyticsError> {
        self.store
            .get(Kind::Rules, id)?
            .ok_or_else(|| AnalyticsError::NotFound(format!("rule '{id}'")))
    }

    /// Creates or replaces a rule.
    pub fn put_rule(&self, id: &str, mut rule: Rule) -> Result<Rule, AnalyticsError> {
        check_id(id, "rule")?;
        rule.id = id.into();
        rule.check()?;
        self.store.write(vec![put(Kind::Rules, id, &rule)])?;
        self.reconfigure()?;
        Ok(rule)
    }

    /// Deletes a rule (its open alerts stay open until resolved).
    pub fn delete_rule(&self, id: &str) -> Result<(), AnalyticsError> {
        self.rule(id)?;
        self.store
            .write(vec![Write::Delete(Kind::Rules, id.into())])?;
        self.reconfigure()
    }

    /// Every template.
    pub fn templates(&self) -> Result<Vec<Template>, AnalyticsError> {
        self.store.all(Kind::Templates)
    }

    /// One template.
    pub fn template(&self, id: &str) -> Result<Template, AnalyticsError> {
        self.store
            .get(Kind::Templates, id)?
            .ok_or_else(|| AnalyticsError::NotFound(format!("work order template '{id}'")))
    }

    /// Creates or replaces a template.
    pub fn put_template(&self, id: &str, mut t: Template) -> Result<Template, AnalyticsError> {
        check_id(id, "template")?;
        t.id = id.into();
        t.check()?;
        self.store.write(vec![put(Kind::Templates, id, &t)])?;
        self.reconfigure()?;
        Ok(t)
    }

    /// Deletes a template.
    pub fn delete_template(&self, id: &str) -> Result<(), AnalyticsError> {
        self.template(id)?;
        self.store
            .write(vec![Write::Delete(Kind::Templates, id.into())])?;
        self.reconfigure()
    }

    /// Every settings record.
    pub fn settings(&self) -> Result<Vec<Settings>, AnalyticsError> {
        self.store.all(Kind::Settings)
    }

    /// Creates or replaces a settings record.
    pub fn put_settings(&self, id: &str, mut s: Settings) -> Result<Settings, AnalyticsError> {
        check_id(id, "settings")?;
        s.id = id.into();
        s.check()?;
        self.store.write(vec![put(Kind::Settings, id, &s)])?;
        self.reconfigure()?;
        Ok(s)
    }

    /// Deletes a settings record.
    pub fn delete_settings(&self, id: &str) -> Result<(), AnalyticsError> {
        if self.store.get::<Settings>(Kind::Settings, id)?.is_none() {
            return Err(AnalyticsError::NotFound(format!("settings '{id}'")));
        }
        self.store
            .write(vec![Write::Delete(Kind::Settings, id.into())])?;
        self.reconfigure()
    }

    /// A twin's live analytics.
    pub fn status(&self, twin: &str) -> Option<TwinStatus> {
        self.engine().status(twin)
    }

    /// Alerts, newest first.
    pub fn alerts(&self, f: &ListFilter) -> Result<Vec<Alert>, AnalyticsError> {
        let mut all: Vec<Alert> = self.store.all(Kind::Alerts)?;
        all.retain(|a| {
            f.twin.as_ref().is_none_or(|t| *t == a.twin)
                && f.state.as_deref().is_none_or(|s| match s {
                    "open" => a.is_open(),
                    s => state_name(&a.state) == s,
                })
        });
        all.sort_by(|a, b| b.raised_at.cmp(&a.raised_at));
        Ok(all)
    }

    /// One alert.
    pub fn alert(&self, id: &str) -> Result<Alert, AnalyticsError> {
        if let Some(a) = self.engine().open_alert(id) {
            return Ok(a.clone());
        }
        self.store
            .get(Kind::Alerts, id)?
            .ok_or_else(|| AnalyticsError::NotFound(format!("alert '{id}'")))
    }

    /// A person acknowledges an alert.
    pub async fn acknowledge(&self, id: &str, by: &str) -> Result<Alert, AnalyticsError> {
        self.alert(id)?;
        let a = self.engine().acknowledge(id, by, now_ms())?;
        self.commit(vec![Change::Alert(
            a.clone(),
            AnalyticsChange::AlertUpdated,
        )])
        .await?;
        Ok(a)
    }

    /// A person resolves an alert.
    pub async fn resolve(&self, id: &str, by: &str) -> Result<Alert, AnalyticsError> {
        self.alert(id)?;
        let a = self.engine().resolve(id, by, now_ms())?;
        self.commit(vec![Change::Alert(
            a.clone(),
            AnalyticsChange::AlertResolved,
        )])
        .await?;
        Ok(a)
    }

    /// Work orders, newest first.
    pub fn orders(&self, f: &ListFilter) -> Result<Vec<WorkOrder>, AnalyticsError> {
        let mut all: Vec<WorkOrder> = self.store.all(Kind::Orders)?;
        all.retain(|o| {
            f.twin.as_ref().is_none_or(|t| *t == o.twin)
                && f.state.as_deref().is_none_or(|s| match s {
                    "open" => o.is_open(),
                    s => order_state_name(&o.state) == s,
                })
        });
        all.sort_by(|a, b| b.created_at.cmp(&a.created_at));
        Ok(all)
    }

    /// One work order.
    pub fn order(&self, id: &str) -> Result<WorkOrder, AnalyticsError> {
        self.store
            .get(Kind::Orders, id)?
            .ok_or_else(|| AnalyticsError::NotFound(format!("work order '{id}'")))
    }

    /// Creates a work order by hand for `twin` from template `template`.
    pub async fn create_order(
        &self,
        twin: &str,
        template: &str,
        priority: Option<u8>,
        by: &str,
    ) -> Result<WorkOrder, AnalyticsError> {
        let model = self
            .twins
            .model_of(twin)
            .ok_or_else(|| AnalyticsError::NotFound(format!("digital twin '{twin}'")))?;
        let t = self.template(template)?;
        if !self.twins.is_a(&model, &t.model) {
            return Err(AnalyticsError::Invalid(format!(
                "template '{template}' is for {} and twin '{twin}' is a {model}",
                t.model
            )));
        }
        if let Some(p) = priority.filter(|p| !(1..=4).contains(p)) {
            return Err(AnalyticsError::Invalid(format!(
                "priority must be 1 to 4, not {p}"
            )));
        }
        let now = now_ms();
        let priority = priority.unwrap_or(3);
        let days = [1, 3, 14, 30][priority as usize - 1];
        let mut o = WorkOrder::new(
            twin,
            &model,
            format!("{twin}: {}", t.title),
            priority,
            now + days * 86_400_000,
            &t.steps,
            now,
            format!("by {by}"),
        );
        o.component = Some(t.component.clone());
        o.part = t.part.clone();
        o.template = Some(t.id.clone());
        self.engine().order_opened(&o);
        self.commit(vec![Change::Order(
            o.clone(),
            AnalyticsChange::WorkOrderCreated,
        )])
        .await?;
        Ok(o)
    }

    /// Changes a work order with `f`, saves and publishes it.
    pub async fn update_order(
        &self,
        id: &str,
        f: impl FnOnce(&mut WorkOrder, i64) -> Result<(), AnalyticsError>,
    ) -> Result<WorkOrder, AnalyticsError> {
        let mut o = self.order(id)?;
        f(&mut o, now_ms())?;
        if !o.is_open() {
            self.engine().order_closed(&o);
        }
        self.commit(vec![Change::Order(
            o.clone(),
            AnalyticsChange::WorkOrderUpdated,
        )])
        .await?;
        Ok(o)
    }
}

fn event<T: serde::Serialize>(twin: &str, model: &str, change: AnalyticsChange, v: &T) -> Event {
    Event::Analytics {
        twin_id: twin.into(),
        model: model.into(),
        change,
        data: serde_json::to_value(v).expect("analytics records serialise"),
    }
}

fn state_name(s: &crate::AlertState) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn order_state_name(s: &crate::OrderState) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn check_id(id: &str, what: &str) -> Result<(), AnalyticsError> {
    if id.is_empty()
        || id.len() > 128
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
    {
        return Err(AnalyticsError::Invalid(format!(
            "{what} id '{id}' must be 1 to 128 letters, digits, '-', '_', '.' or ':'"
        )));
    }
    Ok(())
}
