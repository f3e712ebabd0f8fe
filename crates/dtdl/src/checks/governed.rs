//! Supplemental property values governed by another property of the same
//! element: the digest's `instanceProperty` (iotoperations `minimum`,
//! `maximum`, `scaleFactor`) says the value must be an instance of the
//! schema the element names, e.g. `minimum` of an `integer` Telemetry.

use super::Out;
use crate::diagnostic::Diag;
use crate::meta::meta;
use crate::parser::{Graph, PVal};

/// Reports `nonConformantPropertyValue` for each governed value that is not an
/// instance of its governing schema. Only standard (primitive) schemas are
/// judged; a complex governing schema is left to the type constraints.
pub(super) fn check(g: &Graph, out: &mut Out) {
    let m = meta();
    for e in g.elems.iter().filter(|e| !e.ghost()) {
        for (iri, name, vals) in &e.sprops {
            let Some(governing) = e.cotypes.iter().find_map(|ct| {
                m.supplemental_chain(ct)
                    .iter()
                    .find_map(|st| st.props.get(iri))
                    .and_then(|sp| sp.instance_property.clone())
            }) else {
                continue;
            };
            let Some(PVal::Ref(schema_id, _)) = e.get(&governing).first() else {
                continue;
            };
            let Some(schema) = crate::typed::standard_schema(schema_id) else {
                continue;
            };
            let violations: Vec<String> = vals
                .iter()
                .filter_map(|v| match v {
                    PVal::Lit(n) => crate::instance::validate_instance(
                        &crate::model::ModelSet::default(),
                        &schema,
                        &n.to_value(),
                    )
                    .err(),
                    _ => None,
                })
                .map(|err| err.to_string())
                .collect();
            if let Some(first) = violations.first() {
                out.push((
                    Diag::new("nonConformantPropertyValue")
                        .primary(e.id.clone())
                        .property(name.clone())
                        .param("restriction", governing.clone())
                        .param("count1", violations.len().to_string())
                        .param("firstViolation", first.clone()),
                    e.doc,
                    e.line,
                ));
            }
        }
    }
}
