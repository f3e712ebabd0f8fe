//! Model operations on the graph.

use serde_json::Value;

use crate::graph::Graph;
use crate::models::ModelInfo;
use crate::store::{Mutation, Table};
use crate::{GraphError, Page, PageRequest, time};

impl Graph {
    /// Adds models atomically: all are stored, or none.
    pub async fn add_models(&self, docs: Vec<Value>) -> Result<Vec<ModelInfo>, GraphError> {
        let now = time::now();
        self.write(|st| {
            let (records, set) = st.models.prepare_add(docs, &now)?;
            let infos = records.iter().map(|r| r.info(false)).collect();
            let muts = records
                .iter()
                .map(|r| Mutation::Put {
                    table: Table::Models,
                    key: r.id.clone(),
                    value: r.encode(),
                })
                .collect();
            st.models.apply_add(records, set);
            Ok((infos, muts, vec![]))
        })
        .await
    }

    /// Whether `model` is `base` or extends it (false for unknown models).
    pub fn model_is_a(&self, model: &str, base: &str) -> bool {
        self.read(|st| st.models.set().is_a(model, base))
    }

    /// Whether `model` declares (itself or by inheritance) a property `name`.
    pub fn model_declares_property(&self, model: &str, name: &str) -> bool {
        self.read(|st| {
            st.models.set().interface(model).is_some_and(|i| {
                matches!(
                    i.contents.get(name),
                    Some(ferrotwin_dtdl::Content::Property(_))
                )
            })
        })
    }

    /// One model.
    pub fn model(&self, id: &str, include_definition: bool) -> Result<ModelInfo, GraphError> {
        self.read(|st| st.models.get(id).map(|r| r.info(include_definition)))
            .ok_or_else(|| GraphError::ModelNotFound(id.to_string()))
    }

    /// A page of models: all of them, or those in `dependencies_for` and
    /// everything they depend on.
    pub fn models(
        &self,
        dependencies_for: &[String],
        include_definition: bool,
        page: &PageRequest,
    ) -> Result<Page<ModelInfo>, GraphError> {
        self.read(|st| {
            if dependencies_for.is_empty() {
                let from = page
                    .after
                    .clone()
                    .map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
                let it = st.models.records().filter(|r| match &from {
                    std::ops::Bound::Excluded(a) => r.id.as_str() > a.as_str(),
                    _ => true,
                });
                Ok(page.take(it.map(|r| r.info(include_definition)), |m| m.id.clone()))
            } else {
                let ids = st.models.with_dependencies(dependencies_for)?;
                let it = ids
                    .iter()
                    .filter_map(|id| st.models.get(id))
                    .map(|r| r.info(include_definition));
                Ok(page.take(it, |m| m.id.clone()))
            }
        })
    }

    /// Decommissions a model: existing twins keep it, new twins may not use it.
    pub async fn decommission_model(&self, id: &str) -> Result<(), GraphError> {
        self.write(|st| {
            let r = st.models.decommission(id)?;
            Ok((
                (),
                vec![Mutation::Put {
                    table: Table::Models,
                    key: r.id.clone(),
                    value: r.encode(),
                }],
                vec![],
            ))
        })
        .await
    }

    /// Deletes a model that no model references and no twin uses.
    pub async fn delete_model(&self, id: &str) -> Result<(), GraphError> {
        self.write(|st| {
            st.models.check_unreferenced(id)?;
            if let Some(n) = st.twins_per_model.get(id) {
                return Err(GraphError::ModelInUse(format!(
                    "model '{id}' is used by {n} twin(s); delete them first"
                )));
            }
            st.models.remove(id);
            Ok((
                (),
                vec![Mutation::Delete {
                    table: Table::Models,
                    key: id.to_string(),
                }],
                vec![],
            ))
        })
        .await
    }
}
