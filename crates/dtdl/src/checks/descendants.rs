//! Descendant counts: the metamodel caps how many elements an Interface's
//! hierarchy may hold through its structural properties (100,000 in DTDL v3
//! and v4), counting each element once, referenced ones included.

use super::{Out, target};
use crate::diagnostic::Diag;
use crate::meta::{limit, meta};
use crate::parser::Graph;
use std::collections::HashSet;

/// Reports `excessiveCount` for each Interface whose hierarchy is too large.
pub(super) fn check(g: &Graph, out: &mut Out) {
    let m = meta();
    for (i, e) in g.elems.iter().enumerate() {
        if e.ghost() || e.class != "Interface" {
            continue;
        }
        // `extends` has its own count, checked with inheritance.
        let Some(c) = m.controls.iter().find(|c| {
            c.version == e.version
                && c.root_class == "Interface"
                && !c.max_count.is_empty()
                && !c.properties.iter().any(|p| p == "extends")
        }) else {
            continue;
        };
        let Some(max) = limit(&c.max_count, &e.ctx.limits) else {
            continue;
        };
        // Each element counts once, so no hierarchy outgrows the whole graph.
        if g.elems.len() <= max {
            continue;
        }
        let mut seen: HashSet<usize> = HashSet::new();
        let mut stack = vec![i];
        while let Some(n) = stack.pop() {
            for (p, vals, _) in &g.elems[n].props {
                if !c.properties.iter().any(|q| q == p) {
                    continue;
                }
                for t in vals.iter().filter_map(|v| target(g, v)) {
                    if t != i && seen.insert(t) {
                        stack.push(t);
                    }
                }
            }
        }
        if seen.len() > max {
            let props: Vec<String> = c.properties.iter().map(|p| format!("'{p}'")).collect();
            out.push((
                Diag::new("excessiveCount")
                    .primary(e.id.clone())
                    .property(props.join(" or "))
                    .param("count1", seen.len().to_string())
                    .param("count2", max.to_string()),
                e.doc,
                e.line,
            ));
        }
    }
}
