//! Maintenance work orders: the asset, the suspected component, a priority
//! and due date, and a procedure whose steps are checked off, with a
//! lifecycle open → assigned → in progress → done (or cancelled) and a
//! history of every change.

use serde::{Deserialize, Serialize};

use crate::time::rfc3339;
use crate::{AnalyticsError, Estimate, StepTemplate};

/// Where a work order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OrderState {
    /// Created, nobody assigned.
    Open,
    /// Someone is assigned.
    Assigned,
    /// Work has started (a step was checked off or it was started).
    InProgress,
    /// Every step done.
    Done,
    /// Called off.
    Cancelled,
}

/// A procedure step on an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// The step as the template gave it.
    #[serde(flatten)]
    pub template: StepTemplate,
    /// Whether it is done.
    pub done: bool,
    /// When it was checked off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at: Option<String>,
    /// Who checked it off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_by: Option<String>,
    /// What they noted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One entry of an order's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkOrderEntry {
    /// When.
    pub at: String,
    /// Who (`analytics` for the platform).
    pub by: String,
    /// What happened: `created`, `assigned`, `started`, `step`, `done`, `cancelled`.
    pub action: String,
    /// Details.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// A work order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkOrder {
    /// Its id.
    pub id: String,
    /// The asset's twin.
    pub twin: String,
    /// The twin's model.
    pub model: String,
    /// The suspected component.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// The component's 3D part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// What to do.
    pub title: String,
    /// 1 (most urgent) to 4.
    pub priority: u8,
    /// When it should be done by.
    pub due: String,
    /// The RUL estimate it was planned from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rul: Option<Estimate>,
    /// The template its procedure came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// The alert that raised it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    /// Its state.
    pub state: OrderState,
    /// Who is assigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// The procedure.
    pub steps: Vec<Step>,
    /// Every change, oldest first.
    pub history: Vec<WorkOrderEntry>,
    /// When it was created.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

impl WorkOrder {
    /// Whether it still needs doing.
    pub fn is_open(&self) -> bool {
        !matches!(self.state, OrderState::Done | OrderState::Cancelled)
    }

    fn log(&mut self, now: i64, by: &str, action: &str, detail: String) {
        self.updated_at = rfc3339(now);
        self.history.push(WorkOrderEntry {
            at: self.updated_at.clone(),
            by: by.into(),
            action: action.into(),
            detail,
        });
    }

    fn must_be_open(&self) -> Result<(), AnalyticsError> {
        if self.is_open() {
            Ok(())
        } else {
            Err(AnalyticsError::Conflict(format!(
                "work order '{}' is {:?} and can no longer change",
                self.id, self.state
            )))
        }
    }

    /// Assigns it to `assignee`.
    pub fn assign(&mut self, assignee: &str, by: &str, now: i64) -> Result<(), AnalyticsError> {
        self.must_be_open()?;
        if assignee.is_empty() {
            return Err(AnalyticsError::Invalid("assignee must not be empty".into()));
        }
        self.assignee = Some(assignee.into());
        if self.state == OrderState::Open {
            self.state = OrderState::Assigned;
        }
        self.log(now, by, "assigned", assignee.into());
        Ok(())
    }

    /// Marks work as started.
    pub fn start(&mut self, by: &str, now: i64) -> Result<(), AnalyticsError> {
        self.must_be_open()?;
        if self.state != OrderState::InProgress {
            self.state = OrderState::InProgress;
            self.log(now, by, "started", String::new());
        }
        Ok(())
    }

    /// Checks off (or reopens) step `n` (1-based).
    pub fn step(
        &mut self,
        n: usize,
        done: bool,
        note: Option<String>,
        by: &str,
        now: i64,
    ) -> Result<(), AnalyticsError> {
        self.must_be_open()?;
        let count = self.steps.len();
        let Some(step) = n.checked_sub(1).and_then(|i| self.steps.get_mut(i)) else {
            return Err(AnalyticsError::NotFound(format!(
                "step {n} of work order '{}' (it has {count})",
                self.id
            )));
        };
        step.done = done;
        step.done_at = done.then(|| rfc3339(now));
        step.done_by = done.then(|| by.to_string());
        step.note = note;
        let title = step.template.title.clone();
        self.state = OrderState::InProgress;
        let verb = if done { "done" } else { "reopened" };
        self.log(now, by, "step", format!("{n} {verb}: {title}"));
        Ok(())
    }

    /// Completes it; every step must be done.
    pub fn complete(&mut self, by: &str, now: i64) -> Result<(), AnalyticsError> {
        self.must_be_open()?;
        let left: Vec<String> = self
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.done)
            .map(|(i, _)| (i + 1).to_string())
            .collect();
        if !left.is_empty() {
            return Err(AnalyticsError::Conflict(format!(
                "work order '{}' still has steps {} to do",
                self.id,
                left.join(", ")
            )));
        }
        self.state = OrderState::Done;
        self.log(now, by, "done", String::new());
        Ok(())
    }

    /// Calls it off.
    pub fn cancel(&mut self, reason: &str, by: &str, now: i64) -> Result<(), AnalyticsError> {
        self.must_be_open()?;
        self.state = OrderState::Cancelled;
        self.log(now, by, "cancelled", reason.into());
        Ok(())
    }

    /// A new order with `steps` from a template (or none).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        twin: &str,
        model: &str,
        title: String,
        priority: u8,
        due_ms: i64,
        steps: &[StepTemplate],
        now: i64,
        detail: String,
    ) -> WorkOrder {
        let mut o = WorkOrder {
            id: uuid::Uuid::new_v4().to_string(),
            twin: twin.into(),
            model: model.into(),
            component: None,
            part: None,
            title,
            priority,
            due: rfc3339(due_ms),
            rul: None,
            template: None,
            alert: None,
            state: OrderState::Open,
            assignee: None,
            steps: steps
                .iter()
                .map(|t| Step {
                    template: t.clone(),
                    done: false,
                    done_at: None,
                    done_by: None,
                    note: None,
                })
                .collect(),
            history: vec![],
            created_at: rfc3339(now),
            updated_at: rfc3339(now),
        };
        o.log(now, "analytics", "created", detail);
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(title: &str) -> StepTemplate {
        StepTemplate {
            title: title.into(),
            instructions: "do it".into(),
            tools: vec![],
            torque: vec![],
            warnings: vec![],
            part: None,
        }
    }

    #[test]
    fn an_order_walks_its_lifecycle_and_keeps_its_history() {
        let mut o = WorkOrder::new(
            "p1",
            "m",
            "fix".into(),
            2,
            0,
            &[step("a"), step("b")],
            0,
            "x".into(),
        );
        o.assign("ana", "boss", 1).unwrap();
        assert_eq!(o.state, OrderState::Assigned);
        o.step(1, true, Some("ok".into()), "ana", 2).unwrap();
        assert_eq!(o.state, OrderState::InProgress);
        assert_eq!(
            o.complete("ana", 3).unwrap_err().to_string(),
            format!("work order '{}' still has steps 2 to do", o.id)
        );
        assert!(matches!(
            o.step(3, true, None, "ana", 3),
            Err(AnalyticsError::NotFound(_))
        ));
        o.step(2, true, None, "ana", 4).unwrap();
        o.complete("ana", 5).unwrap();
        assert_eq!(o.state, OrderState::Done);
        assert!(o.cancel("late", "boss", 6).is_err());
        let actions: Vec<&str> = o.history.iter().map(|h| h.action.as_str()).collect();
        assert_eq!(actions, ["created", "assigned", "step", "step", "done"]);
    }
}
