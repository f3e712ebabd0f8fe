//! Model-wide rules checked after every element is read: reference types,
//! partitions, uniqueness, inheritance, and the metamodel's descendant
//! controls (nesting depth, recursion, excluded types, enum datatypes).

use crate::diagnostic::Diag;
use crate::json::Val;
use crate::meta::{Control, limit, meta};
use crate::parser::{Elem, Graph, PVal};
use std::collections::{HashMap, HashSet};

/// Runs every model-wide check, adding diagnostics to the graph.
pub fn run(g: &mut Graph) {
    let partitions = partitions(g);
    let mut out: Vec<(Diag, usize, u32)> = Vec::new();
    references(g, &partitions, &mut out);
    uniqueness(g, &mut out);
    inheritance(g, &mut out);
    controls(g, &mut out);
    id_length_for_type(g, &mut out);
    for (d, doc, line) in out {
        let l = g.loc(doc, line);
        g.diags.push(d.at(l));
    }
}

type Out = Vec<(Diag, usize, u32)>;

/// The partition (nearest enclosing Interface) of every element.
fn partitions(g: &Graph) -> Vec<usize> {
    let mut p = Vec::with_capacity(g.elems.len());
    for (i, e) in g.elems.iter().enumerate() {
        let v = if e.class == "Interface" {
            i
        } else {
            e.parent.as_ref().and_then(|(pi, _)| p.get(*pi).copied()).unwrap_or(e.top)
        };
        p.push(v);
    }
    p
}

/// Elements a value denotes: nested children and defined references.
fn target(g: &Graph, v: &PVal) -> Option<usize> {
    match v {
        PVal::Elem(i) => Some(*i),
        PVal::Ref(id, _) => g.by_id.get(id).copied(),
        PVal::Lit(_) => None,
    }
}

fn is_reserved(id: &str) -> bool {
    meta().reserved.values().flatten().any(|p| id.starts_with(p.as_str()))
}

fn references(g: &Graph, partitions: &[usize], out: &mut Out) {
    let m = meta();
    for (i, e) in g.elems.iter().enumerate() {
        for (pname, vals, pline) in &e.props {
            let Some((_, pv)) = m.prop(&e.class, pname, e.version) else { continue };
            let Some(expected) = pv.class.as_deref() else { continue };
            for v in vals {
                match v {
                    PVal::Ref(id, line) => {
                        if let Some(&t) = g.by_id.get(id) {
                            let te = &g.elems[t];
                            if !m.is_subclass(&te.class, expected) {
                                out.push((Diag::new("badType").primary(e.id.clone()).secondary(id.clone()).property(pname.clone()).param("type", expected.to_string()), e.doc, *line));
                                continue;
                            }
                            if !pv.versions.is_empty() && !pv.versions.contains(&te.version) {
                                out.push((Diag::new("disallowedVersionReference").primary(e.id.clone()).secondary(id.clone()).property(pname.clone()).value(te.version.to_string()), e.doc, *line));
                            }
                            let tp = partitions[t];
                            if tp != t && tp != partitions[i] {
                                out.push((Diag::new("crossPartitionReference").primary(e.id.clone()).secondary(id.clone()).property(pname.clone()).value(g.elems[tp].id.clone()), e.doc, *line));
                            }
                            if let Some(vals) = &pv.values {
                                let _ = vals;
                            }
                        } else if let Some((_, ty)) = m.elements.get(id) {
                            let ok = m.classes.get(ty).is_none_or(|_| m.is_subclass(ty, expected));
                            if !ok {
                                out.push((Diag::new("badType").primary(e.id.clone()).secondary(id.clone()).property(pname.clone()).param("type", expected.to_string()), e.doc, *line));
                                continue;
                            }
                            if let Some(allowed) = &pv.values {
                                let short = crate::parser::short_type(id);
                                if !allowed.contains(&short) {
                                    out.push((Diag::new("notRequiredValue").primary(e.id.clone()).secondary(id.clone()).property(pname.clone()).param("restriction", allowed.join(" or ")), e.doc, *line));
                                }
                            }
                        } else if id.starts_with("dtmi:dtdl:class:") || id.starts_with("dtmi:dtdl:property:") {
                            out.push((Diag::new("badType").primary(e.id.clone()).secondary(id.clone()).property(pname.clone()).param("type", expected.to_string()), e.doc, *line));
                        } else if is_reserved(id) {
                            out.push((Diag::new("undefinedReservedId").primary(e.id.clone()).secondary(id.clone()).property(pname.clone()), e.doc, *line));
                        }
                    }
                    PVal::Elem(c) => {
                        if let Some(allowed) = &pv.values {
                            out.push((Diag::new("notRequiredValue").primary(e.id.clone()).secondary(g.elems[*c].id.clone()).property(pname.clone()).param("restriction", allowed.join(" or ")), e.doc, *pline));
                        }
                    }
                    PVal::Lit(_) => {}
                }
            }
        }
    }
}

/// The string form of a literal property used for uniqueness.
fn key_of(e: &Elem, prop: &str) -> Option<String> {
    e.get(prop).iter().find_map(|v| match v {
        PVal::Lit(n) => {
            let n = n.get("@value").unwrap_or(n);
            match &n.v {
                Val::Str(s) => Some(s.clone()),
                Val::Num(_, raw) => Some(raw.clone()),
                Val::Bool(b) => Some(b.to_string()),
                _ => None,
            }
        }
        _ => None,
    })
}

fn uniqueness(g: &Graph, out: &mut Out) {
    let m = meta();
    for e in &g.elems {
        for (pname, vals, line) in &e.props {
            let Some((_, pv)) = m.prop(&e.class, pname, e.version) else { continue };
            for u in &pv.unique_props {
                let mut seen: HashMap<String, usize> = HashMap::new();
                for v in vals {
                    let Some(t) = target(g, v) else { continue };
                    let Some(k) = key_of(&g.elems[t], u) else { continue };
                    if let Some(prev) = seen.insert(k.clone(), t) {
                        if prev != t {
                            out.push((Diag::new("nonUniquePropertyValue").primary(e.id.clone()).property(pname.clone()).value(k).param("auxProperty", u.clone()), e.doc, *line));
                        }
                    }
                }
            }
        }
    }
}

fn control<'m>(version: u8, root: &str, prop: &str) -> Option<&'m Control> {
    meta().controls.iter().find(|c| c.version == version && c.root_class == root && c.properties.iter().any(|p| p == prop))
}

fn inheritance(g: &Graph, out: &mut Out) {
    for (i, e) in g.elems.iter().enumerate() {
        if e.class != "Interface" {
            continue;
        }
        let ctl = control(e.version, "Interface", "extends");
        let max_depth = ctl.and_then(|c| limit(&c.max_depth, &e.ctx.limits)).unwrap_or(usize::MAX);
        let max_count = ctl.and_then(|c| limit(&c.max_count, &e.ctx.limits)).unwrap_or(usize::MAX);
        // Breadth-first over `extends`, tracking depth, count and cycles.
        let mut level: Vec<usize> = e.get("extends").iter().filter_map(|v| target(g, v)).collect();
        let mut seen: HashSet<usize> = HashSet::new();
        let mut depth = 1;
        let mut count = 0;
        let mut recursive = false;
        let mut reported_depth = false;
        let mut ancestors: Vec<usize> = Vec::new();
        while !level.is_empty() && depth <= 64 {
            let mut next = Vec::new();
            for t in level {
                if t == i {
                    recursive = true;
                    continue;
                }
                if !seen.insert(t) {
                    continue;
                }
                count += 1;
                ancestors.push(t);
                if depth > max_depth && !reported_depth {
                    reported_depth = true;
                    out.push((Diag::new("excessiveDepthNarrow").primary(e.id.clone()).secondary(g.elems[t].id.clone()).property("extends").param("count1", depth.to_string()).param("count2", max_depth.to_string()), e.doc, e.line));
                }
                next.extend(g.elems[t].get("extends").iter().filter_map(|v| target(g, v)));
            }
            level = next;
            depth += 1;
        }
        if recursive {
            out.push((Diag::new("recursiveStructureNarrow").primary(e.id.clone()).property("extends"), e.doc, e.line));
            continue;
        }
        if count > max_count {
            out.push((Diag::new("excessiveCount").primary(e.id.clone()).property("extends").param("count1", count.to_string()).param("count2", max_count.to_string()), e.doc, e.line));
        }
        // Contents imported through `extends` must not clash by name.
        let mut names: HashMap<String, usize> = HashMap::new();
        for v in e.get("contents") {
            if let Some(t) = target(g, v) {
                if let Some(n) = key_of(&g.elems[t], "name") {
                    names.entry(n).or_insert(t);
                }
            }
        }
        let mut reported = HashSet::new();
        for a in ancestors {
            for v in g.elems[a].get("contents") {
                let Some(t) = target(g, v) else { continue };
                let Some(n) = key_of(&g.elems[t], "name") else { continue };
                match names.get(&n) {
                    Some(&prev) if prev != t => {
                        if reported.insert(n.clone()) {
                            out.push((Diag::new("nonUniqueImportedPropertyValue").primary(e.id.clone()).secondary(g.elems[a].id.clone()).property("contents").value(n).param("auxProperty", "name").param("transformation", "extends"), e.doc, e.line));
                        }
                    }
                    Some(_) => {}
                    None => {
                        names.insert(n, t);
                    }
                }
            }
        }
    }
}

/// Children of an element through the given properties (all when `None`).
fn children(g: &Graph, e: &Elem, props: Option<&[String]>) -> Vec<usize> {
    e.props
        .iter()
        .filter(|(n, _, _)| props.is_none_or(|ps| ps.iter().any(|p| p == n)))
        .flat_map(|(_, vals, _)| vals.iter().filter_map(|v| target(g, v)))
        .collect()
}

fn controls(g: &Graph, out: &mut Out) {
    let m = meta();
    for (i, e) in g.elems.iter().enumerate() {
        let Some(class) = m.classes.get(&e.class) else { continue };
        for c in m.controls.iter().filter(|c| c.version == e.version && class.ancestry.contains(&c.root_class)) {
            if c.root_class != e.class && c.root_class != class.ancestry.get(1).map_or("", String::as_str) && !class.ancestry.contains(&c.root_class) {
                continue;
            }
            if let Some(limit_d) = limit(&c.max_depth, &e.ctx.limits) {
                if c.root_class == "Interface" {
                    continue;
                }
                // Only the most specific control applies to a class.
                if c.root_class != e.class && m.controls.iter().any(|o| o.version == e.version && o.root_class == e.class && !o.max_depth.is_empty()) {
                    continue;
                }
                depth_check(g, i, c, limit_d, out);
            }
            if let Some(ex) = &c.exclude_type {
                exclusion(g, i, c, ex, out);
            }
            if let Some(dp) = &c.datatype_property {
                datatype(g, i, dp, c, out);
            }
        }
    }
}

fn depth_check(g: &Graph, root: usize, c: &Control, max: usize, out: &mut Out) {
    let m = meta();
    let e = &g.elems[root];
    let counts = |t: usize| m.is_subclass(&g.elems[t].class, &c.defining_class);
    // Depth-first; each path tracks its own elements to stop on cycles.
    let mut stack: Vec<(usize, usize, Vec<usize>)> = vec![(root, 1, vec![root])];
    let mut reported_depth = false;
    let mut reported_self = false;
    let mut steps = 0usize;
    while let Some((n, d, path)) = stack.pop() {
        steps += 1;
        if steps > 100_000 {
            break;
        }
        for t in children(g, &g.elems[n], None) {
            if t == root {
                if !c.allow_self && !reported_self {
                    reported_self = true;
                    out.push((Diag::new("recursiveStructureWide").primary(e.id.clone()), e.doc, e.line));
                }
                continue;
            }
            if path.contains(&t) {
                continue;
            }
            let nd = if counts(t) { d + 1 } else { d };
            if nd > max && !reported_depth {
                reported_depth = true;
                out.push((Diag::new("excessiveDepthWide").primary(e.id.clone()).secondary(g.elems[t].id.clone()).param("count1", nd.to_string()).param("count2", max.to_string()), e.doc, e.line));
                continue;
            }
            let mut p = path.clone();
            p.push(t);
            stack.push((t, nd, p));
        }
    }
}

fn exclusion(g: &Graph, root: usize, c: &Control, ex: &str, out: &mut Out) {
    let m = meta();
    let e = &g.elems[root];
    let first = children(g, e, Some(&c.properties));
    let mut stack: Vec<usize> = first;
    let mut seen: HashSet<usize> = HashSet::new();
    let prop = c.properties.iter().map(|p| format!("'{p}'")).collect::<Vec<_>>().join(" or ");
    while let Some(n) = stack.pop() {
        if !seen.insert(n) || seen.len() > 100_000 {
            continue;
        }
        let ne = &g.elems[n];
        if m.is_subclass(&ne.class, ex) {
            out.push((Diag::new("excludedType").primary(e.id.clone()).secondary(ne.id.clone()).property(prop.clone()).param("type", c.root_class.clone()).param("restriction", ex.to_string()), e.doc, e.line));
            break;
        }
        let next = if c.narrow { children(g, ne, Some(&c.properties)) } else { children(g, ne, None) };
        stack.extend(next);
    }
}

fn datatype(g: &Graph, root: usize, dp: &str, c: &Control, out: &mut Out) {
    let e = &g.elems[root];
    let Some(PVal::Ref(schema, _)) = e.get(dp).first() else { return };
    let want = crate::parser::short_type(schema);
    let Some(lit_prop) = c.properties.first() else { return };
    for v in e.get("enumValues") {
        let Some(t) = target(g, v) else { continue };
        let te = &g.elems[t];
        for lv in te.get(lit_prop) {
            let PVal::Lit(n) = lv else { continue };
            let n = n.get("@value").unwrap_or(n);
            let ok = match (want.as_str(), &n.v) {
                ("integer", Val::Num(_, raw)) => !raw.contains(['.', 'e', 'E']) && raw.parse::<i32>().is_ok(),
                ("string", Val::Str(_)) => true,
                ("integer" | "string", _) => false,
                _ => true,
            };
            if !ok {
                out.push((Diag::new("nonConformantDatatype").primary(te.id.clone()).secondary(e.id.clone()).property(lit_prop.clone()).value(crate::parser::json_text(n)).param("type", want.clone()), te.doc, te.line));
            }
        }
    }
}

fn id_length_for_type(g: &Graph, out: &mut Out) {
    let m = meta();
    for e in &g.elems {
        if e.auto {
            continue;
        }
        if let Some(max) = m.id_max_len_class.get(&(e.class.clone(), e.version)).and_then(|l| limit(l, &e.ctx.limits)) {
            if e.id.len() > max {
                out.push((Diag::new("idTooLongForType").value(e.id.clone()).param("type", e.class.clone()).param("count1", max.to_string()), e.doc, e.line));
            }
        }
    }
}
