//! Event route definitions on the graph.

use crate::graph::Graph;
use crate::store::{Mutation, Table};
use crate::{EventRoute, GraphError, Page, PageRequest};

impl Graph {
    /// One event route.
    pub fn route(&self, id: &str) -> Result<EventRoute, GraphError> {
        self.read(|st| st.routes.get(id).cloned())
            .ok_or_else(|| GraphError::EventRouteNotFound(id.to_string()))
    }

    /// A page of event routes.
    pub fn routes(&self, page: &PageRequest) -> Page<EventRoute> {
        self.read(|st| page.take(st.routes.values().cloned(), |r| r.id.clone()))
    }

    /// Creates or replaces an event route.
    pub async fn put_route(&self, route: EventRoute) -> Result<(), GraphError> {
        if route.id.is_empty()
            || route.id.len() > 256
            || !route
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(GraphError::EventRouteInvalid(format!(
                "event route id '{}' is invalid: use 1 to 256 letters, digits, '-', '_' or '.'",
                route.id
            )));
        }
        if route.endpoint_name.trim().is_empty() {
            return Err(GraphError::EventRouteInvalid(
                "the event route needs an 'endpointName'".into(),
            ));
        }
        if let Err(e) = ferrotwin_events::Filter::parse(&route.filter) {
            return Err(GraphError::EventRouteInvalid(format!(
                "the event route filter '{}' is invalid {e}",
                route.filter
            )));
        }
        self.write(|st| {
            let m = Mutation::Put {
                table: Table::Routes,
                key: route.id.clone(),
                value: route.to_document().to_string().into_bytes(),
            };
            st.routes.insert(route.id.clone(), route);
            Ok(((), vec![m], vec![]))
        })
        .await
    }

    /// Deletes an event route.
    pub async fn delete_route(&self, id: &str) -> Result<(), GraphError> {
        self.write(|st| {
            st.routes
                .remove(id)
                .ok_or_else(|| GraphError::EventRouteNotFound(id.to_string()))?;
            Ok((
                (),
                vec![Mutation::Delete {
                    table: Table::Routes,
                    key: id.to_string(),
                }],
                vec![],
            ))
        })
        .await
    }
}
