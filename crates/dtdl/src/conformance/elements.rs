//! Compares a case's expected `elements` (ids, types, co-types, property
//! values) and `elementCount` with the parsed element graph.

use crate::json::{Node, Val};
use crate::parser::{Elem, Graph, PVal};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Whether the case gives element expectations, and if so whether the graph meets them all.
pub(super) fn agrees(g: &Graph, element_count: usize, expect: &Value) -> Option<bool> {
    let list = expect.get("elements").and_then(Value::as_array);
    let count = expect
        .get("elementCount")
        .or_else(|| expect.get("elementsCount"))
        .and_then(Value::as_u64);
    if list.is_none() && count.is_none() {
        return None;
    }
    let count_ok = count.is_none_or(|c| c == (element_count + standard_refs(g)) as u64);
    let elems_ok = list
        .into_iter()
        .flatten()
        .all(|want| element_agrees(g, want));
    Some(count_ok && elems_ok)
}

fn element_agrees(g: &Graph, want: &Value) -> bool {
    let Some(id) = want.get("id").and_then(Value::as_str) else {
        return false;
    };
    let Some(e) = g.by_id.get(id).map(|&i| &g.elems[i]) else {
        return false;
    };
    if want.get("type").and_then(Value::as_str) != Some(e.class.as_str()) {
        return false;
    }
    if let Some(st) = want.get("supplementalTypes").and_then(Value::as_array) {
        let a: BTreeSet<&str> = st.iter().filter_map(Value::as_str).collect();
        let b: BTreeSet<&str> = e.cotypes.iter().map(String::as_str).collect();
        if a != b {
            return false;
        }
    }
    // Only `properties` holds property values, as DTDLParser's harness reads them
    // (ParserUnitTester.CheckObjectModel); other keys, such as a `name` given to an
    // Interface, which has no name, are not compared.
    let mut props: Vec<(&str, &Value)> = Vec::new();
    if let Some(p) = want.get("properties").and_then(Value::as_object) {
        props.extend(p.iter().map(|(k, v)| (k.as_str(), v)));
    }
    let material_ok = props
        .iter()
        .filter(|(k, v)| !(*k == "definedIn" && defined_in(g, e).as_deref() == v.as_str()))
        .filter(|(k, v)| {
            !(*k == "languageMajorVersion" && v.as_u64() == Some(u64::from(e.version)))
        })
        .all(|(k, v)| match *k {
            "contents" if e.class == "Interface" => value_agrees(g, &inherited_contents(g, e), v),
            "components" | "properties" | "telemetries" | "commands" | "relationships"
                if e.class == "Interface" =>
            {
                value_agrees(g, &contents_of_kind(g, e, k), v)
            }
            "extendedBy" => value_agrees(g, &extended_by(g, e), v),
            _ => value_agrees(g, e.get(k), v),
        });
    let supplemental_ok = want
        .get("supplementalProperties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .all(|(iri, v)| value_agrees(g, supplemental(e, iri), v));
    material_ok && supplemental_ok
}

fn supplemental<'e>(e: &'e Elem, iri: &str) -> &'e [PVal] {
    e.sprops
        .iter()
        .find(|(i, _, _)| i == iri)
        .map(|(_, _, v)| v.as_slice())
        .unwrap_or(&[])
}

/// Whether our values of a property match the expected JSON value.
fn value_agrees(g: &Graph, ours: &[PVal], want: &Value) -> bool {
    match want {
        Value::Object(map) => {
            if ours.iter().all(|v| matches!(v, PVal::Lit(_))) && !ours.is_empty() {
                let want: BTreeMap<&str, &str> = map
                    .iter()
                    .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
                    .collect();
                let got = lang_map(ours);
                return want.len() == got.len()
                    && got
                        .iter()
                        .all(|(k, v)| want.get(k.as_str()) == Some(&v.as_str()));
            }
            let want: BTreeSet<String> = map.values().filter_map(scalar_text).collect();
            want == ids(g, ours)
        }
        Value::Array(items) => {
            let want: BTreeSet<String> = items.iter().filter_map(scalar_text).collect();
            want == ids(g, ours)
        }
        Value::Null => ours.is_empty(),
        // An absent boolean takes its default, false.
        Value::Bool(false) if ours.is_empty() => true,
        scalar => {
            let [one] = ours else { return false };
            match (one, scalar) {
                (PVal::Lit(n), Value::Number(w)) => literal(n)
                    .and_then(|v| v.as_f64())
                    .zip(w.as_f64())
                    .is_some_and(|(a, b)| (a - b).abs() < 1e-9),
                (PVal::Lit(n), w) => literal(n).as_ref() == Some(w),
                (other, Value::String(s)) => {
                    id_of(g, other).map(|i| standard_neutral(&i)) == Some(standard_neutral(s))
                }
                _ => false,
            }
        }
    }
}

/// Standard elements (`dtmi:dtdl:instance:...`) compare without their version: DTDLParser names them all `;2`.
fn standard_neutral(id: &str) -> String {
    if id.starts_with("dtmi:dtdl:instance:") {
        crate::dtmi::split_version(id).0.to_string()
    } else {
        id.to_string()
    }
}

/// The id of the interface an element is defined in (its nearest interface ancestor).
fn defined_in(g: &Graph, e: &Elem) -> Option<String> {
    let mut cur = e.parent.as_ref().map(|(p, _)| *p);
    let mut steps = 0;
    while let Some(p) = cur {
        let pe = g.elems.get(p)?;
        if pe.class == "Interface" {
            return Some(pe.id.clone());
        }
        steps += 1;
        if steps > g.elems.len() {
            return None;
        }
        cur = pe.parent.as_ref().map(|(q, _)| *q);
    }
    None
}

/// An interface's contents including those it inherits.
fn inherited_contents(g: &Graph, e: &Elem) -> Vec<PVal> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut stack = vec![e];
    while let Some(i) = stack.pop() {
        if !seen.insert(i.id.as_str()) {
            continue;
        }
        out.extend(i.get("contents").iter().cloned());
        for x in i.get("extends") {
            let base = id_of(g, x)
                .and_then(|id| g.by_id.get(&id))
                .map(|&b| &g.elems[b]);
            stack.extend(base);
        }
    }
    out
}

/// An interface's contents (inherited ones included) of the class a DTDLParser
/// object-model dictionary holds (`telemetries`: the Telemetry contents).
fn contents_of_kind(g: &Graph, e: &Elem, dictionary: &str) -> Vec<PVal> {
    let class = match dictionary {
        "components" => "Component",
        "properties" => "Property",
        "telemetries" => "Telemetry",
        "commands" => "Command",
        _ => "Relationship",
    };
    inherited_contents(g, e)
        .into_iter()
        .filter(|v| {
            id_of(g, v)
                .and_then(|id| g.by_id.get(&id))
                .is_some_and(|&i| g.elems[i].class == class)
        })
        .collect()
}

/// The interfaces that extend an interface directly.
fn extended_by(g: &Graph, e: &Elem) -> Vec<PVal> {
    g.elems
        .iter()
        .filter(|x| !x.ghost() && x.class == "Interface")
        .filter(|x| {
            x.get("extends")
                .iter()
                .any(|v| id_of(g, v).as_deref() == Some(e.id.as_str()))
        })
        .map(|x| PVal::Ref(x.id.clone(), 0))
        .collect()
}

/// Standard elements the models refer to, which DTDLParser counts as elements too.
fn standard_refs(g: &Graph) -> usize {
    let m = crate::meta::meta();
    let mut seen = BTreeSet::new();
    for e in g.elems.iter().filter(|e| !e.ghost()) {
        for (_, vals, _) in &e.props {
            for v in vals {
                if let PVal::Ref(id, _) = v
                    && !g.by_id.contains_key(id)
                    && m.elements.contains_key(id)
                {
                    seen.insert(id.as_str());
                }
            }
        }
    }
    seen.len()
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(standard_neutral(s)),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
        other => Some(other.to_string()),
    }
}

fn id_of(g: &Graph, v: &PVal) -> Option<String> {
    match v {
        PVal::Ref(id, _) => Some(id.clone()),
        PVal::Elem(i) => g.elems.get(*i).map(|e| e.id.clone()),
        PVal::Lit(n) => literal(n).as_ref().and_then(scalar_text),
    }
}

fn ids(g: &Graph, ours: &[PVal]) -> BTreeSet<String> {
    ours.iter()
        .filter_map(|v| id_of(g, v))
        .map(|i| standard_neutral(&i))
        .collect()
}

/// A literal's JSON value, unwrapping `{"@value": ...}`.
fn literal(n: &Node) -> Option<Value> {
    let n = match &n.v {
        Val::Arr(a) if a.len() == 1 => &a[0],
        _ => n,
    };
    Some(n.get("@value").unwrap_or(n).to_value())
}

/// A language string as code to text; a plain string is `en`.
fn lang_map(ours: &[PVal]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for v in ours {
        if let PVal::Lit(n) = v {
            collect(n, &mut out);
        }
    }
    out
}

fn collect(n: &Node, out: &mut BTreeMap<String, String>) {
    match &n.v {
        Val::Str(s) => {
            out.insert("en".into(), s.clone());
        }
        Val::Arr(a) => a.iter().for_each(|x| collect(x, out)),
        Val::Obj(members) => {
            if let Some(v) = n.get("@value").and_then(Node::as_str) {
                let lang = n.get("@language").and_then(Node::as_str).unwrap_or("en");
                out.insert(lang.to_string(), v.to_string());
                return;
            }
            for (k, _, v) in members {
                if let Some(s) = v.as_str() {
                    out.insert(k.clone(), s.to_string());
                }
            }
        }
        _ => {}
    }
}
