//! Layers: definitions of one id in several layers (`@id` fragments) are
//! folded into the first definition, and their disagreements reported.

use super::{Elem, Graph, PVal, Site, short_type};
use crate::context::Ctx;
use crate::diagnostic::Diag;
use crate::json::{Node, Val};
use crate::meta::meta;
use std::collections::BTreeMap;

/// Whether `@type` names the `Layer` co-type.
pub(super) fn has_layer_type(type_node: Option<&Node>) -> bool {
    let Some(t) = type_node else { return false };
    let terms: Vec<&Node> = match &t.v {
        Val::Arr(a) => a.iter().collect(),
        _ => vec![t],
    };
    terms
        .iter()
        .filter_map(|n| n.as_str())
        .any(|s| s == "Layer" || s.ends_with(":Layer") || s.contains(":Layer;"))
}

/// Whether the layering extension context is in effect.
fn layering(ctx: &Ctx) -> bool {
    ctx.ids
        .iter()
        .chain(ctx.undefined.iter())
        .any(|c| c.starts_with("dtmi:dtdl:extension:layering"))
}

/// Whether a node's own `@context` names the layering extension.
fn names_layering(node: &Node) -> bool {
    let Some(c) = node.get("@context") else {
        return false;
    };
    let items: Vec<&Node> = match &c.v {
        Val::Arr(a) => a.iter().collect(),
        _ => vec![c],
    };
    items
        .iter()
        .filter_map(|n| n.as_str())
        .any(|s| s.starts_with("dtmi:dtdl:extension:layering"))
}

/// The id as written, with its layer fragment.
fn raw_id(e: &Elem) -> String {
    if e.layer.is_empty() {
        e.id.clone()
    } else {
        format!("{}#{}", e.id, e.layer)
    }
}

impl Graph {
    /// The layer of a definition, reporting fragments and layers that do not fit where they sit;
    /// None when the definition must be dropped.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn layer_of(
        &mut self,
        id: &str,
        auto: bool,
        fragment: Option<&str>,
        site: Option<&Site<'_>>,
        node: &Node,
        type_node: Option<&Node>,
        ctx: &Ctx,
        doc: usize,
    ) -> Option<String> {
        let parent = site.map(|s| (s.parent, s.prop));
        let parent_layer = parent.map(|(p, _)| self.elems[p].layer.clone());
        let layer = match (fragment, &parent_layer) {
            (Some(f), _) => f.to_string(),
            (None, Some(p)) if auto => p.clone(),
            _ => String::new(),
        };
        if let Some((p, prop)) = parent {
            let pe = &self.elems[p];
            if names_layering(node) && !layering(&pe.ctx) {
                let d = Diag::new("mismatchedLayers")
                    .primary(raw_id(pe))
                    .property(prop)
                    .param("layer", layer.clone());
                self.push(d, doc, node.line);
            } else if !auto && parent_layer.as_deref() != Some(layer.as_str()) {
                let own = match fragment {
                    Some(f) => format!("{id}#{f}"),
                    None => id.to_string(),
                };
                let d = Diag::new("mismatchedLayers")
                    .primary(pe.id.clone())
                    .secondary(own)
                    .property(prop)
                    .param("layer", layer.clone());
                self.push(d, doc, node.line);
            }
        }
        if fragment.is_some_and(|f| !f.is_empty()) && layering(ctx) && !has_layer_type(type_node) {
            self.push(
                Diag::new("disallowedIdFragment").primary(id.to_string()),
                doc,
                node.line,
            );
            return None;
        }
        Some(layer)
    }

    /// Folds definition `idx` (a further layer) into the first definition `prev`.
    /// Returns the element the parent should hold, or None when the layers cannot be joined.
    pub(super) fn merge_layer(
        &mut self,
        prev: usize,
        idx: usize,
        site: Option<&Site<'_>>,
        first_diag: usize,
        doc: usize,
        line: u32,
    ) -> Option<usize> {
        self.elems[idx].merged_into = Some(prev);
        let layer = self.elems[idx].layer.clone();
        self.elems[prev].layers.push(layer);
        self.reparent(idx, prev);
        let id = self.elems[prev].id.clone();
        if self.elems[prev].class != self.elems[idx].class {
            // The definition's own problems are moot once its type clashes.
            self.diags.truncate(first_diag.min(self.diags.len()));
            let m = meta();
            let fits = site.and_then(|s| s.class).is_none_or(|c| {
                m.classes
                    .get(c)
                    .and_then(|k| k.concrete.get(&self.elems[idx].version))
                    .is_some_and(|k| k.contains(&self.elems[prev].class))
            });
            if fits {
                let d = Diag::new("multipleMaterialTypes")
                    .primary(id)
                    .value(format!(
                        "{}, {}",
                        self.elems[prev].class, self.elems[idx].class
                    ));
                self.push(d, doc, line);
                return None;
            }
            let mut d = Diag::new("incompatibleType")
                .secondary(id.clone())
                .param("type", self.elems[prev].class.clone())
                .param("restriction", self.elems[idx].class.clone());
            d = match site {
                Some(s) => d.primary(self.elems[s.parent].id.clone()).property(s.prop),
                None => d.primary(id.clone()),
            };
            self.push(d, doc, line);
            return None;
        }
        if self.elems[prev].version != self.elems[idx].version {
            let d = Diag::new("inconsistentContext")
                .primary(id)
                .value(self.elems[idx].version.to_string())
                .param("restriction", self.elems[prev].version.to_string());
            self.push(d, doc, line);
            return None;
        }
        let parent_id = |g: &Graph, i: usize| {
            g.elems[i]
                .parent
                .as_ref()
                .map(|(p, _)| g.elems[*p].id.clone())
        };
        if parent_id(self, prev) != parent_id(self, idx) {
            self.push(Diag::new("inconsistentParent").primary(id), doc, line);
            return None;
        }
        let conflict = self.merge_cotypes(prev, idx, doc, line);
        self.merge_props(prev, idx, !conflict, doc, line);
        Some(prev)
    }

    /// Points the children and partition members of `from` at `to`.
    fn reparent(&mut self, from: usize, to: usize) {
        for e in self.elems.iter_mut().skip(from + 1) {
            if let Some((p, _)) = &mut e.parent
                && *p == from
            {
                *p = to;
            }
            if e.top == from {
                e.top = to;
            }
        }
    }

    fn merge_props(&mut self, prev: usize, idx: usize, sprops: bool, doc: usize, line: u32) {
        let m = meta();
        let (id, class, version) = {
            let p = &self.elems[prev];
            (p.id.clone(), p.class.clone(), p.version)
        };
        let incoming = std::mem::take(&mut self.elems[idx].props);
        for (name, vals, pline) in &incoming {
            let Some((p, pv)) = m.prop(&class, name, version) else {
                continue;
            };
            let existing = self.elems[prev]
                .props
                .iter()
                .position(|(n, _, _)| n == name);
            let Some(pos) = existing else {
                self.elems[prev]
                    .props
                    .push((name.clone(), vals.clone(), *pline));
                continue;
            };
            let literal = p.literal || p.datatype.is_some() || pv.class.is_none();
            let singular = pv.max_count == Some(1) || !p.plural;
            let old = self.elems[prev].props[pos].1.clone();
            let dt = p.datatype.clone().unwrap_or_else(|| "identifier".into());
            if let Some(d) = self.compare(&id, name, &dt, literal, singular, &old, vals) {
                self.push(d, doc, line);
                continue;
            }
            let known: Vec<String> = old.iter().filter_map(|v| self.value_key(v)).collect();
            let added: Vec<PVal> = vals
                .iter()
                .filter(|v| self.value_key(v).is_none_or(|k| !known.contains(&k)))
                .cloned()
                .collect();
            if dt == "langString" || added.is_empty() {
                continue;
            }
            self.elems[prev].props[pos].1.extend(added);
            let n = self.elems[prev].props[pos].1.len();
            if let Some(max) = pv.max_count
                && n > max
                && !singular
            {
                let d = Diag::new("objectCountAboveMax")
                    .primary(id.clone())
                    .property(name.clone())
                    .param("count1", n.to_string())
                    .param("count2", max.to_string());
                self.push(d, doc, line);
            }
        }
        if !sprops {
            return;
        }
        self.elems[idx].props = incoming;
        let incoming = std::mem::take(&mut self.elems[idx].sprops);
        for (iri, name, vals) in &incoming {
            let existing = self.elems[prev]
                .sprops
                .iter()
                .position(|(i, _, _)| i == iri);
            let Some(pos) = existing else {
                self.elems[prev]
                    .sprops
                    .push((iri.clone(), name.clone(), vals.clone()));
                continue;
            };
            let sp = self.elems[prev]
                .cotypes
                .iter()
                .flat_map(|c| m.supplemental_chain(c))
                .find_map(|s| s.props.get(iri).cloned());
            let (literal, dt, singular) = match &sp {
                Some(sp) => {
                    let t = sp.type_iri.as_deref().unwrap_or("");
                    let lit = t.starts_with("http://www.w3.org/2001/XMLSchema#");
                    let dt = t.rsplit('#').next().unwrap_or("").to_string();
                    (lit, dt, sp.max_count == Some(1))
                }
                None => (false, String::new(), true),
            };
            let old = self.elems[prev].sprops[pos].2.clone();
            if let Some(d) = self.compare(&id, iri, &dt, literal, singular, &old, vals) {
                self.push(d, doc, line);
            }
        }
        self.elems[idx].sprops = incoming;
    }

    /// The identity of a value for union and comparison: the id of an element or reference, or the literal's JSON.
    fn value_key(&self, v: &PVal) -> Option<String> {
        match v {
            PVal::Ref(id, _) => Some(id.clone()),
            PVal::Elem(i) => self.elems.get(*i).map(|e| e.id.clone()),
            PVal::Lit(n) => Some(n.to_value().to_string()),
        }
    }

    /// The disagreement between a property's values in two layers, if any.
    #[allow(clippy::too_many_arguments)]
    fn compare(
        &self,
        id: &str,
        prop: &str,
        dt: &str,
        literal: bool,
        singular: bool,
        old: &[PVal],
        new: &[PVal],
    ) -> Option<Diag> {
        if dt == "langString" {
            let (a, b) = (lang_values(old), lang_values(new));
            let clash = b.iter().find(|(k, v)| a.get(*k).is_some_and(|x| x != *v))?;
            return Some(
                Diag::new("inconsistentLangStringValues")
                    .primary(id.to_string())
                    .property(prop.to_string())
                    .value(clash.0.clone())
                    .param("count1", "1"),
            );
        }
        if !singular {
            return None;
        }
        let (a, b) = (
            old.first().and_then(|v| self.value_key(v)),
            new.first().and_then(|v| self.value_key(v)),
        );
        if a.is_none() || b.is_none() || a == b {
            return None;
        }
        let vid = if !literal {
            "inconsistentObjectValues"
        } else {
            match dt {
                "string" => "inconsistentStringValues",
                "boolean" => "inconsistentBooleanValues",
                "integer" | "int" | "long" | "nonNegativeInteger" | "positiveInteger" => {
                    "inconsistentIntegerValues"
                }
                "double" | "float" | "decimal" | "number" => "inconsistentNumericValues",
                "identifier" | "anyURI" => "inconsistentIdentifierValues",
                "json" => "inconsistentJsonValues",
                _ => "inconsistentLiteralValues",
            }
        };
        Some(
            Diag::new(vid)
                .primary(id.to_string())
                .property(prop.to_string())
                .value(b.unwrap_or_default())
                .param("restriction", a.unwrap_or_default()),
        )
    }

    /// Adds the layer's co-types; true when one conflicts with those already there.
    fn merge_cotypes(&mut self, prev: usize, idx: usize, doc: usize, line: u32) -> bool {
        let m = meta();
        let id = self.elems[prev].id.clone();
        let had = self.elems[prev].cotypes.clone();
        let new: Vec<String> = self.elems[idx]
            .cotypes
            .iter()
            .filter(|c| !had.contains(c))
            .cloned()
            .collect();
        let mut conflict = false;
        for ct in &new {
            let names: Vec<&str> = m
                .supplemental_chain(ct)
                .iter()
                .flat_map(|s| s.props.values().map(|p| p.name.as_str()))
                .collect();
            for other in &had {
                let shared = m
                    .supplemental_chain(other)
                    .iter()
                    .flat_map(|s| s.props.values())
                    .find(|p| names.contains(&p.name.as_str()))
                    .map(|p| p.name.clone());
                if let Some(pn) = shared {
                    conflict = true;
                    let d = Diag::new("conflictingSupplementalTypes")
                        .primary(id.clone())
                        .param("type", short_type(other))
                        .param("restriction", short_type(ct))
                        .property(pn);
                    self.push(d, doc, line);
                }
            }
        }
        self.elems[prev].cotypes.extend(new);
        conflict
    }
}

/// A language-string value as language code to text (a plain string is `en`).
fn lang_values(vals: &[PVal]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for v in vals {
        let PVal::Lit(n) = v else { continue };
        collect_lang(n, &mut out);
    }
    out
}

fn collect_lang(n: &Node, out: &mut BTreeMap<String, String>) {
    match &n.v {
        Val::Str(s) => {
            out.insert("en".into(), s.clone());
        }
        Val::Arr(a) => a.iter().for_each(|x| collect_lang(x, out)),
        Val::Obj(members) => {
            if let (Some(l), Some(v)) = (
                n.get("@language").and_then(Node::as_str),
                n.get("@value").and_then(Node::as_str),
            ) {
                out.insert(l.to_string(), v.to_string());
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
