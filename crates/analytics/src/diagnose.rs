//! Naming the failing component from the fault signature: each template
//! of the twin's model lists the signals that show its component failing;
//! the component whose signals carry the most recent anomaly evidence is
//! suspected, and the signal that triggered the alert counts in full.

use std::collections::HashMap;

use crate::Template;

/// The template whose component is most likely failing, if any fits.
pub(crate) fn suspect<'a>(
    templates: &[&'a Template],
    evidence: &HashMap<String, f64>,
    trigger: Option<&str>,
) -> Option<&'a Template> {
    let mut best: Option<(&Template, f64)> = None;
    for t in templates {
        let mut score = t
            .signals
            .iter()
            .filter_map(|s| evidence.get(s))
            .fold(0.0f64, |a, b| a.max(*b));
        if trigger.is_some_and(|s| t.signals.iter().any(|x| x == s)) {
            score += 1.0;
        }
        if score > 0.0 && best.is_none_or(|(_, b)| score > b) {
            best = Some((t, score));
        }
    }
    best.map(|(t, _)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(component: &str, signals: &[&str]) -> Template {
        Template {
            id: component.into(),
            model: "dtmi:x:P;1".into(),
            component: component.into(),
            part: None,
            signals: signals.iter().map(|s| s.to_string()).collect(),
            title: "t".into(),
            steps: vec![],
        }
    }

    #[test]
    fn the_component_with_the_anomalous_signals_is_suspected() {
        let bearing = t("bearing", &["vibBpfo", "bearingTemperature"]);
        let coupling = t("coupling", &["vib2x"]);
        let all = [&bearing, &coupling];
        let ev: HashMap<String, f64> = [("vibBpfo".into(), 0.9), ("vib2x".into(), 0.3)]
            .into_iter()
            .collect();
        assert_eq!(suspect(&all, &ev, None).unwrap().component, "bearing");
        assert_eq!(
            suspect(&all, &ev, Some("vib2x")).unwrap().component,
            "coupling"
        );
        assert!(suspect(&all, &HashMap::new(), Some("flow")).is_none());
    }
}
