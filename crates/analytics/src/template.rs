//! Maintenance procedure templates, one per model and component: the
//! component's fault signature (the signals that show it failing), its 3D
//! part, and the ordered steps of the repair.

use serde::{Deserialize, Serialize};

use crate::AnalyticsError;

/// A torque specification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Torque {
    /// The fastener it applies to.
    pub fastener: String,
    /// The torque.
    pub value: f64,
    /// Its unit, e.g. `N·m`.
    pub unit: String,
}

/// One step of a procedure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StepTemplate {
    /// A short title.
    pub title: String,
    /// What to do.
    pub instructions: String,
    /// Tools needed.
    #[serde(default)]
    pub tools: Vec<String>,
    /// Torque specifications.
    #[serde(default)]
    pub torque: Vec<Torque>,
    /// Safety warnings, shown before the step.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The 3D part the step concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
}

/// A procedure template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Template {
    /// Its id (from the URL).
    #[serde(default)]
    pub id: String,
    /// The model DTMI it serves (and models extending it).
    pub model: String,
    /// The component it repairs, e.g. `bearing`.
    pub component: String,
    /// The component's 3D part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// The fault signature: signals whose anomalies point at this component.
    #[serde(default)]
    pub signals: Vec<String>,
    /// The work order's title.
    pub title: String,
    /// The ordered steps.
    pub steps: Vec<StepTemplate>,
}

impl Template {
    /// Checks the template's values.
    pub fn check(&self) -> Result<(), AnalyticsError> {
        let what = format!("template '{}'", self.id);
        if !self.model.starts_with("dtmi:") {
            return Err(AnalyticsError::Invalid(format!(
                "{what}: model must be a DTMI, not '{}'",
                self.model
            )));
        }
        if self.component.is_empty() || self.title.is_empty() {
            return Err(AnalyticsError::Invalid(format!(
                "{what}: component and title must not be empty"
            )));
        }
        if self.steps.is_empty() {
            return Err(AnalyticsError::Invalid(format!(
                "{what}: a procedure needs at least one step"
            )));
        }
        for (i, s) in self.steps.iter().enumerate() {
            if s.title.is_empty() || s.instructions.is_empty() {
                return Err(AnalyticsError::Invalid(format!(
                    "{what}: step {} needs a title and instructions",
                    i + 1
                )));
            }
            if let Some(t) = s
                .torque
                .iter()
                .find(|t| !t.value.is_finite() || t.value <= 0.0)
            {
                return Err(AnalyticsError::Invalid(format!(
                    "{what}: step {}: torque for '{}' must be a positive number",
                    i + 1,
                    t.fastener
                )));
            }
        }
        Ok(())
    }
}
