//! Model-wide rules checked after every element is read: reference types,
//! partitions, uniqueness, inheritance, and the metamodel's descendant
//! controls (nesting depth, recursion, excluded types, enum datatypes).

mod descendants;
mod governed;

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
    cotype_constraints(g, &mut out);
    siblings(g, &mut out);
    inverse_constraints(g, &mut out);
    id_length_for_type(g, &mut out);
    governed::check(g, &mut out);
    descendants::check(g, &mut out);
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
            e.parent
                .as_ref()
                .and_then(|(pi, _)| p.get(*pi).copied())
                .unwrap_or(e.top)
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
    meta()
        .reserved
        .values()
        .flatten()
        .any(|p| id.starts_with(p.as_str()))
}

fn references(g: &Graph, partitions: &[usize], out: &mut Out) {
    let m = meta();
    for (i, e) in g.elems.iter().enumerate() {
        if e.ghost() {
            continue;
        }
        for (pname, vals, pline) in &e.props {
            let Some((_, pv)) = m.prop(&e.class, pname, e.version) else {
                continue;
            };
            let Some(expected) = pv.class.as_deref() else {
                continue;
            };
            let mut bad = 0;
            for v in vals {
                match v {
                    PVal::Ref(id, line) => {
                        if let Some(&t) = g.by_id.get(id) {
                            let te = &g.elems[t];
                            if !m.is_subclass(&te.class, expected) {
                                bad += 1;
                                out.push((
                                    Diag::new("badType")
                                        .primary(e.id.clone())
                                        .secondary(id.clone())
                                        .property(pname.clone())
                                        .param("type", expected.to_string()),
                                    e.doc,
                                    *line,
                                ));
                                continue;
                            }
                            if !pv.versions.is_empty() && !pv.versions.contains(&te.version) {
                                out.push((
                                    Diag::new("disallowedVersionReference")
                                        .primary(e.id.clone())
                                        .secondary(id.clone())
                                        .property(pname.clone())
                                        .value(te.version.to_string()),
                                    e.doc,
                                    *line,
                                ));
                            }
                            let tp = partitions[t];
                            if tp != t && tp != partitions[i] {
                                out.push((
                                    Diag::new("crossPartitionReference")
                                        .primary(e.id.clone())
                                        .secondary(id.clone())
                                        .property(pname.clone())
                                        .value(g.elems[tp].id.clone()),
                                    e.doc,
                                    *line,
                                ));
                            }
                            if let Some(vals) = &pv.values {
                                let _ = vals;
                            }
                        } else if let Some((_, ty)) = m.elements.get(id) {
                            let ok = m
                                .classes
                                .get(ty)
                                .is_none_or(|_| m.is_subclass(ty, expected));
                            if !ok {
                                bad += 1;
                                out.push((
                                    Diag::new("badType")
                                        .primary(e.id.clone())
                                        .secondary(id.clone())
                                        .property(pname.clone())
                                        .param("type", expected.to_string()),
                                    e.doc,
                                    *line,
                                ));
                                continue;
                            }
                            if let Some(allowed) = &pv.values {
                                let short = crate::parser::short_type(id);
                                if !allowed.contains(&short) {
                                    out.push((
                                        Diag::new("incorrectPropertyValue")
                                            .primary(e.id.clone())
                                            .property(pname.clone())
                                            .value(short)
                                            .param("restriction", allowed.join(" or ")),
                                        e.doc,
                                        *line,
                                    ));
                                }
                            }
                        } else if id.starts_with("dtmi:dtdl:class:")
                            || id.starts_with("dtmi:dtdl:property:")
                        {
                            out.push((
                                Diag::new("badType")
                                    .primary(e.id.clone())
                                    .secondary(id.clone())
                                    .property(pname.clone())
                                    .param("type", expected.to_string()),
                                e.doc,
                                *line,
                            ));
                        } else if is_reserved(id) {
                            out.push((
                                Diag::new("undefinedReservedId")
                                    .primary(e.id.clone())
                                    .secondary(id.clone())
                                    .property(pname.clone()),
                                e.doc,
                                *line,
                            ));
                        }
                    }
                    PVal::Elem(c) => {
                        if let Some(allowed) = &pv.values {
                            out.push((
                                Diag::new("incorrectPropertyValue")
                                    .primary(e.id.clone())
                                    .property(pname.clone())
                                    .value(g.elems[*c].id.clone())
                                    .param("restriction", allowed.join(" or ")),
                                e.doc,
                                *pline,
                            ));
                        }
                    }
                    PVal::Lit(_) => {}
                }
            }
            // Values of the wrong type do not count towards the minimum.
            if bad > 0 && pv.min_count.is_some_and(|min| vals.len() - bad < min) {
                out.push((
                    Diag::new("propertyCountBelowMin")
                        .primary(e.id.clone())
                        .property(pname.clone())
                        .param("count1", (vals.len() - bad).to_string())
                        .param("count2", pv.min_count.unwrap_or(0).to_string()),
                    e.doc,
                    *pline,
                ));
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
        if e.ghost() {
            continue;
        }
        if e.class == "Interface" {
            let mut seen: HashMap<(String, String), usize> = HashMap::new();
            for v in e.get("contents") {
                let Some(t) = target(g, v) else { continue };
                let te = &g.elems[t];
                for (iri, name, vals) in &te.sprops {
                    let unique = te.cotypes.iter().any(|c| {
                        m.supplemental_chain(c)
                            .iter()
                            .any(|s| s.props.get(iri).is_some_and(|p| p.unique_value))
                    });
                    if !unique {
                        continue;
                    }
                    let Some(PVal::Lit(n)) = vals.first() else {
                        continue;
                    };
                    let k = crate::parser::json_text(n);
                    if seen.insert((iri.clone(), k.clone()), t).is_some() {
                        out.push((
                            Diag::new("nonUniquePropertyValue")
                                .primary(e.id.clone())
                                .property("contents")
                                .value(k)
                                .param("auxProperty", name.clone()),
                            e.doc,
                            e.line,
                        ));
                    }
                }
            }
        }
        for (pname, vals, line) in &e.props {
            let Some((_, pv)) = m.prop(&e.class, pname, e.version) else {
                continue;
            };
            for u in &pv.unique_props {
                let mut seen: HashMap<String, usize> = HashMap::new();
                for v in vals {
                    let Some(t) = target(g, v) else { continue };
                    let Some(k) = key_of(&g.elems[t], u) else {
                        continue;
                    };
                    // Tolerated v2 solecism: the same generated content defined twice.
                    let twin = |prev: usize| {
                        let (a, b) = (&g.elems[prev], &g.elems[t]);
                        a.lenient && b.lenient && a.auto && b.auto
                    };
                    // A second definition of the same id is a duplicate definition, not a second name.
                    if let Some(prev) = seen.insert(k.clone(), t)
                        && prev != t
                        && (g.elems[prev].id != g.elems[t].id || g.elems[t].auto)
                        && !twin(prev)
                    {
                        out.push((
                            Diag::new("nonUniquePropertyValue")
                                .primary(e.id.clone())
                                .property(pname.clone())
                                .value(k)
                                .param("auxProperty", u.clone()),
                            e.doc,
                            *line,
                        ));
                    }
                }
            }
        }
    }
}

fn control<'m>(version: u8, root: &str, prop: &str) -> Option<&'m Control> {
    meta().controls.iter().find(|c| {
        c.version == version && c.root_class == root && c.properties.iter().any(|p| p == prop)
    })
}

fn inheritance(g: &Graph, out: &mut Out) {
    for (i, e) in g.elems.iter().enumerate() {
        if e.ghost() {
            continue;
        }
        if e.class != "Interface" {
            continue;
        }
        let ctl = control(e.version, "Interface", "extends");
        let max_depth = ctl
            .and_then(|c| limit(&c.max_depth, &e.ctx.limits))
            .unwrap_or(usize::MAX);
        let max_count = ctl
            .and_then(|c| limit(&c.max_count, &e.ctx.limits))
            .unwrap_or(usize::MAX);
        // Breadth-first over `extends`, tracking depth, count and cycles.
        let mut level: Vec<usize> = e
            .get("extends")
            .iter()
            .filter_map(|v| target(g, v))
            .collect();
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
                    out.push((
                        Diag::new("excessiveDepthNarrow")
                            .primary(e.id.clone())
                            .secondary(g.elems[t].id.clone())
                            .property("extends")
                            .param("count1", depth.to_string())
                            .param("count2", max_depth.to_string()),
                        e.doc,
                        e.line,
                    ));
                }
                next.extend(
                    g.elems[t]
                        .get("extends")
                        .iter()
                        .filter_map(|v| target(g, v)),
                );
            }
            level = next;
            depth += 1;
        }
        if recursive {
            out.push((
                Diag::new("recursiveStructureNarrow")
                    .primary(e.id.clone())
                    .property("extends"),
                e.doc,
                e.line,
            ));
            continue;
        }
        if count > max_count {
            out.push((
                Diag::new("excessiveCount")
                    .primary(e.id.clone())
                    .property("extends")
                    .param("count1", count.to_string())
                    .param("count2", max_count.to_string()),
                e.doc,
                e.line,
            ));
        }
        // Contents imported through `extends` must not clash by name.
        let mut names: HashMap<String, usize> = HashMap::new();
        for v in e.get("contents") {
            if let Some(t) = target(g, v)
                && let Some(n) = key_of(&g.elems[t], "name")
            {
                names.entry(n).or_insert(t);
            }
        }
        let mut reported = HashSet::new();
        for a in ancestors {
            for v in g.elems[a].get("contents") {
                let Some(t) = target(g, v) else { continue };
                let Some(n) = key_of(&g.elems[t], "name") else {
                    continue;
                };
                match names.get(&n) {
                    Some(&prev) if prev != t => {
                        if reported.insert(n.clone()) {
                            out.push((
                                Diag::new("nonUniqueImportedPropertyValue")
                                    .primary(e.id.clone())
                                    .secondary(g.elems[a].id.clone())
                                    .property("contents")
                                    .value(n)
                                    .param("auxProperty", "name")
                                    .param("transformation", "extends"),
                                e.doc,
                                e.line,
                            ));
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
        if e.ghost() {
            continue;
        }
        let Some(class) = m.classes.get(&e.class) else {
            continue;
        };
        for c in m
            .controls
            .iter()
            .filter(|c| c.version == e.version && class.ancestry.contains(&c.root_class))
        {
            if c.root_class != e.class
                && c.root_class != class.ancestry.get(1).map_or("", String::as_str)
                && !class.ancestry.contains(&c.root_class)
            {
                continue;
            }
            if let Some(limit_d) = limit(&c.max_depth, &e.ctx.limits) {
                if c.root_class == "Interface" {
                    continue;
                }
                // Only the most specific control applies to a class.
                if c.root_class != e.class
                    && m.controls.iter().any(|o| {
                        o.version == e.version && o.root_class == e.class && !o.max_depth.is_empty()
                    })
                {
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
                    out.push((
                        Diag::new("recursiveStructureWide").primary(e.id.clone()),
                        e.doc,
                        e.line,
                    ));
                }
                continue;
            }
            if path.contains(&t) {
                continue;
            }
            let nd = if counts(t) { d + 1 } else { d };
            if nd > max && !reported_depth {
                reported_depth = true;
                out.push((
                    Diag::new("excessiveDepthWide")
                        .primary(e.id.clone())
                        .secondary(g.elems[t].id.clone())
                        .param("count1", nd.to_string())
                        .param("count2", max.to_string()),
                    e.doc,
                    e.line,
                ));
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
    // Standard geospatial schemas are objects built from arrays.
    if ex == "Array" {
        let geo = e
            .props
            .iter()
            .filter(|(n, _, _)| c.properties.contains(n))
            .flat_map(|(_, v, _)| v)
            .find_map(|v| match v {
                PVal::Ref(id, _) if id.starts_with("dtmi:standard:schema:geospatial:") => {
                    Some(id.clone())
                }
                _ => None,
            });
        if let Some(gid) = geo {
            let prop = c
                .properties
                .iter()
                .map(|p| format!("'{p}'"))
                .collect::<Vec<_>>()
                .join(" or ");
            out.push((
                Diag::new("excludedType")
                    .primary(e.id.clone())
                    .secondary(gid)
                    .property(prop)
                    .param("type", c.root_class.clone())
                    .param("restriction", ex.to_string()),
                e.doc,
                e.line,
            ));
            return;
        }
    }
    let first = children(g, e, Some(&c.properties));
    let mut stack: Vec<usize> = first;
    let mut seen: HashSet<usize> = HashSet::new();
    let prop = c
        .properties
        .iter()
        .map(|p| format!("'{p}'"))
        .collect::<Vec<_>>()
        .join(" or ");
    while let Some(n) = stack.pop() {
        if !seen.insert(n) || seen.len() > 100_000 {
            continue;
        }
        let ne = &g.elems[n];
        if m.is_subclass(&ne.class, ex) {
            out.push((
                Diag::new("excludedType")
                    .primary(e.id.clone())
                    .secondary(ne.id.clone())
                    .property(prop.clone())
                    .param("type", c.root_class.clone())
                    .param("restriction", ex.to_string()),
                e.doc,
                e.line,
            ));
            break;
        }
        let next = if c.narrow {
            children(g, ne, Some(&c.properties))
        } else {
            children(g, ne, None)
        };
        stack.extend(next);
        if c.narrow && ne.class == "Interface" && c.properties.iter().any(|p| p == "contents") {
            // Contents imported through `extends` count as the interface's own.
            let mut bases: Vec<usize> = ne
                .get("extends")
                .iter()
                .filter_map(|v| target(g, v))
                .collect();
            let mut seen_b: HashSet<usize> = HashSet::new();
            while let Some(b) = bases.pop() {
                if !seen_b.insert(b) || seen_b.len() > 1024 {
                    continue;
                }
                stack.extend(children(g, &g.elems[b], Some(&["contents".to_string()])));
                bases.extend(
                    g.elems[b]
                        .get("extends")
                        .iter()
                        .filter_map(|v| target(g, v)),
                );
            }
        }
    }
}

fn datatype(g: &Graph, root: usize, dp: &str, c: &Control, out: &mut Out) {
    let e = &g.elems[root];
    let Some(PVal::Ref(schema, _)) = e.get(dp).first() else {
        return;
    };
    let want = crate::parser::short_type(schema);
    let Some(lit_prop) = c.properties.first() else {
        return;
    };
    for v in e.get("enumValues") {
        let Some(t) = target(g, v) else { continue };
        let te = &g.elems[t];
        for lv in te.get(lit_prop) {
            let PVal::Lit(n) = lv else { continue };
            let n = n.get("@value").unwrap_or(n);
            let ok = match (want.as_str(), &n.v) {
                ("integer", Val::Num(_, raw)) => {
                    !raw.contains(['.', 'e', 'E']) && raw.parse::<i32>().is_ok()
                }
                ("string", Val::Str(_)) => true,
                ("integer" | "string", _) => false,
                _ => true,
            };
            if !ok {
                out.push((
                    Diag::new("nonConformantDatatype")
                        .primary(te.id.clone())
                        .secondary(e.id.clone())
                        .property(lit_prop.clone())
                        .value(crate::parser::json_text(n))
                        .param("type", want.clone()),
                    te.doc,
                    te.line,
                ));
            }
        }
    }
}

fn id_length_for_type(g: &Graph, out: &mut Out) {
    let m = meta();
    for e in &g.elems {
        if e.ghost() {
            continue;
        }
        if e.auto {
            continue;
        }
        if let Some(max) = m
            .id_max_len_class
            .get(&(e.class.clone(), e.version))
            .and_then(|l| limit(l, &e.ctx.limits))
            && e.id.len() > max
        {
            out.push((
                Diag::new("idTooLongForType")
                    .value(e.id.clone())
                    .param("type", e.class.clone())
                    .param("count1", max.to_string()),
                e.doc,
                e.line,
            ));
        }
    }
}

/// Constraints that supplemental types put on material properties: e.g. a
/// semantic type requires a numeric `schema`.
fn cotype_constraints(g: &Graph, out: &mut Out) {
    let m = meta();
    for e in &g.elems {
        if e.ghost() {
            continue;
        }
        for ct in &e.cotypes {
            for st in m.supplemental_chain(ct) {
                for c in &st.constraints {
                    let Some(prop) = c.get("property").and_then(|p| p.as_str()) else {
                        continue;
                    };
                    if c.get("inverse").is_some() || c.get("siblingKey").is_some() {
                        continue;
                    }
                    let req_types: Vec<String> = c
                        .get("requiredTypes")
                        .and_then(|r| r.as_array())
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str())
                                .map(crate::parser::short_type)
                                .collect()
                        })
                        .unwrap_or_default();
                    let req_values: Vec<&str> = c
                        .get("requiredValues")
                        .and_then(|r| r.as_array())
                        .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
                        .unwrap_or_default();
                    for v in e.get(prop) {
                        let (tid, class, tcot) = match v {
                            PVal::Elem(i) => (
                                g.elems[*i].id.clone(),
                                Some(g.elems[*i].class.clone()),
                                g.elems[*i].cotypes.clone(),
                            ),
                            PVal::Ref(id, _) => match g.by_id.get(id) {
                                Some(&i) => (
                                    id.clone(),
                                    Some(g.elems[i].class.clone()),
                                    g.elems[i].cotypes.clone(),
                                ),
                                None => (
                                    id.clone(),
                                    m.elements.get(id).map(|(_, t)| t.clone()),
                                    Vec::new(),
                                ),
                            },
                            PVal::Lit(_) => continue,
                        };
                        if !req_types.is_empty() {
                            let req_iris: Vec<&str> = c
                                .get("requiredTypes")
                                .and_then(|r| r.as_array())
                                .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
                                .unwrap_or_default();
                            let by_cotype = tcot.iter().any(|t| {
                                m.supplemental_chain(t)
                                    .iter()
                                    .any(|s| req_iris.contains(&s.id.as_str()))
                            });
                            let ok = by_cotype
                                || class.as_deref().is_some_and(|cl| {
                                    req_types.iter().any(|r| m.is_subclass(cl, r))
                                });
                            if !ok {
                                out.push((
                                    Diag::new("notRequiredType")
                                        .primary(e.id.clone())
                                        .secondary(tid.clone())
                                        .property(prop)
                                        .param("type", req_types.join(" or ")),
                                    e.doc,
                                    e.line,
                                ));
                            }
                        }
                        if !req_values.is_empty() && !req_values.contains(&tid.as_str()) {
                            out.push((
                                Diag::new("notRequiredValue")
                                    .primary(e.id.clone())
                                    .secondary(tid.clone())
                                    .property(prop)
                                    .param("restriction", req_values.join(" or ")),
                                e.doc,
                                e.line,
                            ));
                        }
                    }
                }
            }
        }
    }
}

/// Every content element of an interface, own and inherited.
fn full_contents(g: &Graph, i: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut stack = vec![i];
    let mut seen = HashSet::new();
    while let Some(n) = stack.pop() {
        if !seen.insert(n) || seen.len() > 4096 {
            continue;
        }
        let e = &g.elems[n];
        out.extend(e.get("contents").iter().filter_map(|v| target(g, v)));
        stack.extend(e.get("extends").iter().filter_map(|v| target(g, v)));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The string value of supplemental property `iri` (or one ending in `:name`).
fn sprop_str<'g>(e: &'g Elem, name: &str) -> Option<&'g str> {
    e.sprops
        .iter()
        .find(|(_, n, _)| n == name)
        .and_then(|(_, _, v)| {
            v.iter().find_map(|x| match x {
                PVal::Lit(n) => n.as_str(),
                PVal::Ref(s, _) => Some(s.as_str()),
                PVal::Elem(_) => None,
            })
        })
}

/// Sibling rules of supplemental types (annotation and overriding extensions):
/// an element names a sibling content by `annotates`, which must exist with
/// the right type and, for overrides, carry the overridden property.
fn siblings(g: &Graph, out: &mut Out) {
    let m = meta();
    let mut reported: HashSet<(usize, &'static str)> = HashSet::new();
    for (i, e) in g.elems.iter().enumerate() {
        if e.ghost() {
            continue;
        }
        if e.class != "Interface" {
            continue;
        }
        let contents = full_contents(g, i);
        if !contents.iter().any(|c| !g.elems[*c].cotypes.is_empty()) {
            continue;
        }
        let by_name: HashMap<String, usize> = contents
            .iter()
            .filter_map(|c| Some((key_of(&g.elems[*c], "name")?, *c)))
            .collect();
        let mut references: HashMap<(String, String), usize> = HashMap::new();
        for &x in &contents {
            let xe = &g.elems[x];
            for ct in &xe.cotypes {
                for st in m.supplemental_chain(ct) {
                    for rule in &st.siblings {
                        let keyref_iri = rule.get("keyref").and_then(|k| k.as_str()).unwrap_or("");
                        let keyref_name =
                            crate::parser::short_type(keyref_iri.rsplit(':').next().unwrap_or(""));
                        let Some(target_name) = sprop_str(xe, &keyref_name) else {
                            continue;
                        };
                        let Some(&s) = by_name.get(target_name) else {
                            continue;
                        };
                        let se = &g.elems[s];
                        if let Some(dis) = rule.get("disallowedType").and_then(|d| d.as_str())
                            && se.cotypes.iter().any(|c| c == dis)
                            && reported.insert((x, "disallowedType"))
                        {
                            out.push((
                                Diag::new("disallowedType")
                                    .primary(xe.id.clone())
                                    .secondary(se.id.clone())
                                    .property(keyref_name.clone())
                                    .value(target_name)
                                    .param("type", crate::parser::short_type(dis))
                                    .param("auxProperty", "name"),
                                xe.doc,
                                xe.line,
                            ));
                            continue;
                        }
                        if let Some(req) = rule.get("requiredTypes").and_then(|r| r.as_array()) {
                            let ok = req
                                .iter()
                                .filter_map(|r| r.as_str())
                                .any(|r| m.is_subclass(&se.class, &crate::parser::short_type(r)));
                            if !ok && reported.insert((x, "notSiblingRequiredType")) {
                                let ts = rule
                                    .get("requiredTypesString")
                                    .and_then(|t| t.as_str())
                                    .unwrap_or("");
                                out.push((
                                    Diag::new("notSiblingRequiredType")
                                        .primary(xe.id.clone())
                                        .secondary(se.id.clone())
                                        .property(keyref_name.clone())
                                        .value(target_name)
                                        .param("type", ts)
                                        .param("auxProperty", "name"),
                                    xe.doc,
                                    xe.line,
                                ));
                            }
                        }
                        if let Some(sp_iri) =
                            rule.get("supplementalProperty").and_then(|r| r.as_str())
                        {
                            let sp_name = sp_iri.rsplit(':').next().unwrap_or("");
                            let Some(overrides) = sprop_str(xe, sp_name) else {
                                continue;
                            };
                            let over_iri = xe.ctx.term(overrides).unwrap_or(overrides);
                            let is_sup = m
                                .supplemental
                                .values()
                                .any(|t| t.props.contains_key(over_iri));
                            if !is_sup {
                                if reported.insert((x, "matchingPropertyNotSupplemental")) {
                                    out.push((
                                        Diag::new("matchingPropertyNotSupplemental")
                                            .primary(xe.id.clone())
                                            .secondary(se.id.clone())
                                            .property(keyref_name.clone())
                                            .value(target_name)
                                            .param("restriction", overrides.to_string())
                                            .param("auxProperty", "name"),
                                        xe.doc,
                                        xe.line,
                                    ));
                                }
                                continue;
                            }
                            if !se.sprops.iter().any(|(iri, _, _)| iri == over_iri) {
                                if reported.insert((x, "noMatchingSupplementalProperty")) {
                                    out.push((
                                        Diag::new("noMatchingSupplementalProperty")
                                            .primary(xe.id.clone())
                                            .secondary(se.id.clone())
                                            .property(keyref_name.clone())
                                            .value(target_name)
                                            .param("restriction", overrides.to_string())
                                            .param("auxProperty", "name"),
                                        xe.doc,
                                        xe.line,
                                    ));
                                }
                                continue;
                            }
                            if rule.get("uniqueReference").is_some() {
                                let k = (target_name.to_string(), over_iri.to_string());
                                match references.get(&k) {
                                    Some(&prev) if prev != x => {
                                        if reported.insert((i, "multipleReference")) {
                                            out.push((
                                                Diag::new("multipleReference")
                                                    .primary(e.id.clone())
                                                    .secondary(sp_iri)
                                                    .property("contents")
                                                    .value(format!(
                                                        "'{target_name}' and '{overrides}'"
                                                    ))
                                                    .param(
                                                        "auxProperty",
                                                        format!("'{keyref_name}' and '{sp_name}'"),
                                                    ),
                                                e.doc,
                                                e.line,
                                            ));
                                        }
                                    }
                                    _ => {
                                        references.insert(k, x);
                                    }
                                }
                            }
                            // The override's schema must be the enumeration of the overridden value.
                            for c in &st.constraints {
                                let Some(prop) = c.get("property").and_then(|p| p.as_str()) else {
                                    continue;
                                };
                                if c.get("siblingParentOf").is_none() {
                                    continue;
                                }
                                let Some(PVal::Ref(schema, _)) = xe.get(prop).first() else {
                                    continue;
                                };
                                let value = se
                                    .sprops
                                    .iter()
                                    .find(|(iri, _, _)| iri == over_iri)
                                    .and_then(|(_, _, v)| v.first());
                                let Some(PVal::Ref(unit, _)) = value else {
                                    continue;
                                };
                                let unit_name = crate::parser::short_type(unit);
                                let ok = m
                                    .families
                                    .get(schema)
                                    .is_some_and(|f| f.contains(&unit_name));
                                if !ok && reported.insert((x, "siblingPropertyMismatch")) {
                                    out.push((
                                        Diag::new("siblingPropertyMismatch")
                                            .primary(xe.id.clone())
                                            .property(prop)
                                            .value(crate::parser::short_type(schema)),
                                        xe.doc,
                                        xe.line,
                                    ));
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Inverse constraints: a co-type on a child requires a co-type on its parent
/// (`parentMissingCotype`), may appear once among siblings
/// (`siblingDuplicatesCotype`), and may need another sibling co-type
/// (`siblingMissingCotype`).
fn inverse_constraints(g: &Graph, out: &mut Out) {
    let m = meta();
    for e in &g.elems {
        if e.ghost() {
            continue;
        }
        let Some((parent, prop)) = &e.parent else {
            continue;
        };
        let pe = &g.elems[*parent];
        let has = |el: &Elem, iri: &str| {
            el.cotypes
                .iter()
                .any(|c| m.supplemental_chain(c).iter().any(|s| s.id == iri))
        };
        for ct in &e.cotypes {
            for st in m.supplemental_chain(ct) {
                for c in st.constraints.iter().filter(|c| c.get("inverse").is_some()) {
                    if c.get("property").and_then(|p| p.as_str()) != Some(prop.as_str()) {
                        continue;
                    }
                    let tname = crate::parser::short_type(ct);
                    let required: Vec<&str> = c
                        .get("requiredTypes")
                        .and_then(|r| r.as_array())
                        .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
                        .unwrap_or_default();
                    if !required.iter().any(|r| has(pe, r)) {
                        let rs = c
                            .get("requiredTypesString")
                            .and_then(|r| r.as_str())
                            .unwrap_or("");
                        out.push((
                            Diag::new("parentMissingCotype")
                                .primary(e.id.clone())
                                .property(prop.clone())
                                .param("type", tname.clone())
                                .param("restriction", rs),
                            e.doc,
                            e.line,
                        ));
                        continue;
                    }
                    let siblings: Vec<usize> =
                        pe.get(prop).iter().filter_map(|v| target(g, v)).collect();
                    if let Some(none) = c.get("noneOtherType").and_then(|r| r.as_str()) {
                        // Siblings are compared in identifier order: each duplicate is
                        // charged to the one before it, naming the next as secondary.
                        let next = siblings
                            .iter()
                            .filter(|s| g.elems[**s].id > e.id && has(&g.elems[**s], none))
                            .min_by(|a, b| g.elems[**a].id.cmp(&g.elems[**b].id));
                        if let Some(&other) = next {
                            out.push((
                                Diag::new("siblingDuplicatesCotype")
                                    .primary(e.id.clone())
                                    .secondary(g.elems[other].id.clone())
                                    .property(prop.clone())
                                    .param("type", tname.clone())
                                    .param("restriction", crate::parser::short_type(none)),
                                e.doc,
                                e.line,
                            ));
                        }
                    }
                    if let Some(some) = c.get("someOtherType").and_then(|r| r.as_str()) {
                        if !siblings
                            .iter()
                            .any(|s| g.elems[*s].id != e.id && has(&g.elems[*s], some))
                        {
                            out.push((
                                Diag::new("siblingMissingCotype")
                                    .primary(e.id.clone())
                                    .property(prop.clone())
                                    .param("type", tname.clone())
                                    .param("restriction", crate::parser::short_type(some)),
                                e.doc,
                                e.line,
                            ));
                        }
                    }
                }
            }
        }
    }
}
