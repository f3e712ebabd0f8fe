//! Browsing a server's address space, so that a user can find the node ids
//! to map: the tree of hierarchical references under a node, with the data
//! type and current value of every variable.

use std::collections::{HashMap, HashSet};

use ua::client::Session;
use ua::types::{
    AttributeId, BrowseDescription, BrowseDirection, BrowseResultMask, ByteString, NodeClass,
    NodeId, ObjectId, ReadValueId, ReferenceDescription, ReferenceTypeId, TimestampsToReturn,
    Variant,
};

use super::client;
use super::config::{Connection, parse_node_id};
use super::value;
use crate::ConnectError;

/// Nodes listed at most, so a huge server cannot fill the terminal forever.
const MAX_NODES: usize = 10_000;

/// One node of the tree.
#[derive(Debug, Clone, PartialEq)]
pub struct BrowsedNode {
    /// Levels below the starting node (its children are at 1).
    pub depth: u32,
    /// Its node id, as `[ns=N;]i|s|g|b=...`.
    pub node_id: String,
    /// Its browse name, `N:Name` outside namespace 0.
    pub browse_name: String,
    /// `Object`, `Variable`, `Method`...
    pub node_class: String,
    /// A variable's data type, by its browse name (`Double`).
    pub data_type: Option<String>,
    /// A variable's current value as JSON, or its status when Bad.
    pub value: Option<String>,
}

/// The tree under `start` (the Objects folder when `None`) down to `depth`
/// levels, depth first, each node once.
pub async fn browse(
    conn: &Connection,
    start: Option<&str>,
    depth: u32,
) -> Result<Vec<BrowsedNode>, ConnectError> {
    let start = match start {
        Some(text) => parse_node_id(text).map_err(ConnectError::Config)?,
        None => ObjectId::ObjectsFolder.into(),
    };
    let mut c = client::client(conn, 0).map_err(ConnectError::OpcUa)?;
    let open = client::open(&mut c, conn, "browse")
        .await
        .map_err(ConnectError::OpcUa)?;
    let result = walk(&open.session, start, depth).await;
    open.close().await;
    result.map_err(ConnectError::OpcUa)
}

async fn walk(session: &Session, start: NodeId, depth: u32) -> Result<Vec<BrowsedNode>, String> {
    let mut out = Vec::new();
    let mut seen = HashSet::from([start.clone()]);
    let mut type_names = HashMap::new();
    // Pre-order: popping a node prints it, then pushes its children in
    // reverse, so they print right after it, in the server's order.
    let mut stack = expand(session, &start, 1, &mut type_names).await?;
    while let Some((node, id)) = stack.pop() {
        if out.len() >= MAX_NODES {
            break;
        }
        let level = node.depth;
        out.push(node);
        if level < depth && seen.insert(id.clone()) {
            stack.extend(expand(session, &id, level + 1, &mut type_names).await?);
        }
    }
    Ok(out)
}

/// The children of `node` at `depth`, reversed for the stack.
async fn expand(
    session: &Session,
    node: &NodeId,
    depth: u32,
    type_names: &mut HashMap<NodeId, String>,
) -> Result<Vec<(BrowsedNode, NodeId)>, String> {
    let refs = children(session, node).await?;
    let variables: Vec<NodeId> = refs
        .iter()
        .filter(|r| r.node_class == NodeClass::Variable)
        .map(|r| r.node_id.node_id.clone())
        .collect();
    let details = variable_details(session, &variables, type_names).await?;
    let mut out: Vec<(BrowsedNode, NodeId)> = refs
        .into_iter()
        .map(|r| {
            let id = r.node_id.node_id;
            let (data_type, value) = details.get(&id).cloned().unwrap_or_default();
            let node = BrowsedNode {
                depth,
                node_id: id.to_string(),
                browse_name: qualified(r.browse_name.namespace_index, r.browse_name.name.as_ref()),
                node_class: format!("{:?}", r.node_class),
                data_type,
                value,
            };
            (node, id)
        })
        .collect();
    out.reverse();
    Ok(out)
}

/// The forward hierarchical references of `node`, following continuation
/// points.
async fn children(session: &Session, node: &NodeId) -> Result<Vec<ReferenceDescription>, String> {
    let desc = BrowseDescription {
        node_id: node.clone(),
        browse_direction: BrowseDirection::Forward,
        reference_type_id: ReferenceTypeId::HierarchicalReferences.into(),
        include_subtypes: true,
        node_class_mask: 0,
        result_mask: BrowseResultMask::All as u32,
    };
    let mut results = session
        .browse(&[desc], 1000, None)
        .await
        .map_err(|e| format!("browsing {node}: {e}"))?;
    let mut refs = Vec::new();
    let mut result = results.pop();
    while let Some(r) = result.take() {
        if r.status_code.is_bad() {
            return Err(format!("browsing {node}: {}", r.status_code));
        }
        refs.extend(r.references.unwrap_or_default());
        if r.continuation_point.is_null_or_empty() {
            break;
        }
        let next: ByteString = r.continuation_point;
        result = session
            .browse_next(false, &[next])
            .await
            .map_err(|e| format!("browsing {node} further: {e}"))?
            .pop();
    }
    Ok(refs)
}

/// The data type name and current value of each variable.
async fn variable_details(
    session: &Session,
    variables: &[NodeId],
    type_names: &mut HashMap<NodeId, String>,
) -> Result<HashMap<NodeId, (Option<String>, Option<String>)>, String> {
    if variables.is_empty() {
        return Ok(HashMap::new());
    }
    let read = |node: &NodeId, attr: AttributeId| ReadValueId {
        node_id: node.clone(),
        attribute_id: attr as u32,
        ..Default::default()
    };
    let ids: Vec<ReadValueId> = variables
        .iter()
        .flat_map(|v| [read(v, AttributeId::Value), read(v, AttributeId::DataType)])
        .collect();
    let values = session
        .read(&ids, TimestampsToReturn::Neither, 0.0)
        .await
        .map_err(|e| format!("reading variables: {e}"))?;
    let mut types = Vec::new();
    for pair in values.chunks(2) {
        if let Some(Variant::NodeId(t)) = pair.get(1).and_then(|d| d.value.as_ref())
            && !type_names.contains_key(t.as_ref())
            && !types.contains(t.as_ref())
        {
            types.push((**t).clone());
        }
    }
    if !types.is_empty() {
        let names: Vec<ReadValueId> = types
            .iter()
            .map(|t| read(t, AttributeId::BrowseName))
            .collect();
        let read_names = session
            .read(&names, TimestampsToReturn::Neither, 0.0)
            .await
            .map_err(|e| format!("reading data type names: {e}"))?;
        for (t, dv) in types.into_iter().zip(read_names) {
            let name = match dv.value {
                Some(Variant::QualifiedName(q)) => q.name.to_string(),
                _ => t.to_string(),
            };
            type_names.insert(t, name);
        }
    }
    let mut out = HashMap::new();
    for (node, pair) in variables.iter().zip(values.chunks(2)) {
        let value = pair.first().map(|dv| {
            let status = dv.status.unwrap_or(ua::types::StatusCode::Good);
            if status.is_bad() {
                format!("({status})")
            } else {
                match dv.value.as_ref().map(value::to_json) {
                    Some(_) if matches!(dv.value, Some(Variant::Empty)) => "null".into(),
                    Some(Ok(v)) => v.to_string(),
                    Some(Err(why)) => format!("({why})"),
                    None => "(no value)".into(),
                }
            }
        });
        let data_type = match pair.get(1).and_then(|d| d.value.as_ref()) {
            Some(Variant::NodeId(t)) => type_names.get(t.as_ref()).cloned(),
            _ => None,
        };
        out.insert(node.clone(), (data_type, value));
    }
    Ok(out)
}

fn qualified(ns: u16, name: &str) -> String {
    if ns == 0 {
        name.to_string()
    } else {
        format!("{ns}:{name}")
    }
}
