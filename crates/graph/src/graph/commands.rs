//! Commands a twin's model declares: finding one, and checking the
//! payloads that go to and come back from the device.

use ferrotwin_dtdl::{Command, Content, validate_instance};
use serde_json::Value;

use crate::GraphError;
use crate::graph::Graph;

impl Graph {
    /// The command `name` of twin `id` (or of its `component`), with
    /// `request` checked against the command's request schema.
    pub fn command(
        &self,
        id: &str,
        component: Option<&str>,
        name: &str,
        request: Option<&Value>,
    ) -> Result<Command, GraphError> {
        self.read(|st| {
            let t = st
                .twin(id)
                .ok_or_else(|| GraphError::TwinNotFound(id.to_string()))?;
            let models = st.models.set();
            let mut iface = models
                .interface(&t.model)
                .ok_or_else(|| GraphError::ModelNotFound(t.model.to_string()))?;
            if let Some(c) = component {
                let Some(Content::Component(comp)) = iface.contents.get(c) else {
                    return Err(GraphError::ComponentNotFound(id.to_string(), c.to_string()));
                };
                iface = models
                    .interface(&comp.schema)
                    .ok_or_else(|| GraphError::ModelNotFound(comp.schema.clone()))?;
            }
            let Some(Content::Command(cmd)) = iface.contents.get(name) else {
                return Err(GraphError::CommandNotFound(format!(
                    "model '{}' has no command '{name}'",
                    iface.id
                )));
            };
            match (&cmd.request, request) {
                (None, None | Some(Value::Null)) => {}
                (None, Some(_)) => {
                    return Err(GraphError::ValidationFailed(format!(
                        "command '{name}' of model '{}' takes no request payload; send an empty body",
                        iface.id
                    )));
                }
                (Some(_), None) => {
                    return Err(GraphError::ValidationFailed(format!(
                        "command '{name}' of model '{}' needs a request payload in the body",
                        iface.id
                    )));
                }
                (Some(schema), Some(v)) => {
                    validate_instance(models, schema, v).map_err(|e| {
                        GraphError::ValidationFailed(format!(
                            "the request payload of command '{name}' does not fit model '{}': {e}",
                            iface.id
                        ))
                    })?;
                }
            }
            Ok(cmd.clone())
        })
    }

    /// Checks a device's answer to `cmd` against its response schema.
    pub fn check_command_response(
        &self,
        cmd: &Command,
        response: Option<&Value>,
    ) -> Result<(), GraphError> {
        let Some(schema) = &cmd.response else {
            return Ok(());
        };
        let Some(v) = response else {
            return Err(GraphError::ValidationFailed(format!(
                "the device answered command '{}' without a payload, but the model declares a response",
                cmd.name
            )));
        };
        self.read(|st| validate_instance(st.models.set(), schema, v))
            .map_err(|e| {
                GraphError::ValidationFailed(format!(
                    "the device's response to command '{}' does not fit the model: {e}",
                    cmd.name
                ))
            })
    }
}
