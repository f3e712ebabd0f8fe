//! Reads JSON-LD documents into a graph of generic DTDL elements, checking
//! each element against its material class and supplemental types.

mod layer;
mod literal;

use crate::context::{self, Ctx, CtxOptions};
use crate::diagnostic::{Diag, Location};
use crate::dtmi;
use crate::json::{Node, Val};
use crate::meta::{limit, meta};
use layer::has_layer_type;
use std::collections::HashMap;
use std::sync::Arc;

/// A property value of an element.
#[derive(Debug, Clone)]
pub enum PVal {
    /// A reference by id (a DTMI or a term mapped to a standard element).
    Ref(String, u32),
    /// A nested element, by index in the graph.
    Elem(usize),
    /// A literal.
    Lit(Node),
}

/// A generic DTDL element.
#[derive(Debug, Clone)]
pub struct Elem {
    /// Its id, given or generated.
    pub id: String,
    /// True when the id was generated.
    pub auto: bool,
    /// DTDL version of its context.
    pub version: u8,
    /// Its active context.
    pub ctx: Arc<Ctx>,
    /// Its material class.
    pub class: String,
    /// Supplemental type IRIs.
    pub cotypes: Vec<String>,
    /// Undefined co-types kept as given (tolerated extension types).
    pub extra_types: Vec<String>,
    /// Material properties in document order.
    pub props: Vec<(String, Vec<PVal>, u32)>,
    /// Supplemental properties: (IRI, name, values).
    pub sprops: Vec<(String, String, Vec<PVal>)>,
    /// Parent element and the property holding this one.
    pub parent: Option<(usize, String)>,
    /// The top-level element (partition) containing it.
    pub top: usize,
    /// Document index.
    pub doc: usize,
    /// Line of the element's opening brace.
    pub line: u32,
    /// Read under DTDL v2 solecism tolerance.
    pub lenient: bool,
    /// Supplemental types named in `@type`, valid or not.
    pub declared_cotypes: Vec<String>,
    /// Whether some `@type` value was rejected (its properties are then not judged).
    pub failed_types: bool,
    /// Supplemental types named in `@type` that do not apply to its class (their properties are dropped unjudged).
    pub misplaced_cotypes: Vec<String>,
    /// The layer that defined it (the `@id` fragment, inherited from the parent; "" is the base).
    pub layer: String,
    /// Layers that have defined this id so far (kept on the first definition).
    pub layers: Vec<String>,
    /// The first definition of the same id, when this one is a further layer folded into it.
    pub merged_into: Option<usize>,
}

impl Elem {
    /// True when this definition was folded into another layer's (checks skip it).
    pub fn ghost(&self) -> bool {
        self.merged_into.is_some()
    }
    /// Values of material property `name`.
    pub fn get(&self, name: &str) -> &[PVal] {
        self.props
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, v, _)| v.as_slice())
            .unwrap_or(&[])
    }
    /// The string literal of property `name`.
    pub fn str_of(&self, name: &str) -> Option<&str> {
        self.get(name).iter().find_map(|v| match v {
            PVal::Lit(n) => match &n.v {
                Val::Str(s) => Some(s.as_str()),
                Val::Obj(_) => n.get("@value").and_then(Node::as_str),
                _ => None,
            },
            _ => None,
        })
    }
}

/// Parser options from the test-case format and callers.
#[derive(Debug, Clone)]
pub struct Options {
    /// Context options.
    pub ctx: CtxOptions,
    /// Tolerate DTDL v2 solecisms (reserved ids, `@id`-only references) in this document.
    pub solecisms: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ctx: CtxOptions {
                allow_undefined_extensions: None,
                max_version: 4,
                acceptable_limits: None,
            },
            solecisms: false,
        }
    }
}

/// The element graph of a model set.
#[derive(Debug, Default)]
pub struct Graph {
    /// Whether the document being read tolerates v2 solecisms.
    pub solecisms: bool,
    /// All elements.
    pub elems: Vec<Elem>,
    /// Defined ids to element indexes (first definition).
    pub by_id: HashMap<String, usize>,
    /// Problems found, with locations.
    pub diags: Vec<Diag>,
    /// Document names.
    pub docs: Vec<String>,
    /// Top-level elements per document, for partition checks.
    pub tops: Vec<usize>,
}

const MAX_DEPTH: usize = 64;

struct Site<'a> {
    parent: usize,
    prop: &'a str,
    class: Option<&'a str>,
    segment: Option<&'a str>,
    type_optional_class: Option<&'a str>,
}

impl Graph {
    /// Location of a line in a document.
    pub fn loc(&self, doc: usize, line: u32) -> Option<Location> {
        self.docs.get(doc).map(|d| Location {
            document: d.clone(),
            line,
            column: 1,
        })
    }

    fn push(&mut self, d: Diag, doc: usize, line: u32) {
        let l = self.loc(doc, line);
        self.diags.push(d.at(l));
    }

    /// Parses one document's text and adds its elements.
    pub fn add_document(&mut self, name: &str, text: &str, opts: &Options, resolved: bool) {
        self.solecisms = opts.solecisms;
        let doc = self.docs.len();
        self.docs.push(name.to_string());
        let root = match crate::json::parse(text) {
            Ok(n) => n,
            Err(e) => {
                let d = Diag::new("notJsonObject").value(e.message.clone());
                self.push(d, doc, e.line);
                return;
            }
        };
        let items: Vec<&Node> = match &root.v {
            Val::Arr(a) => a.iter().collect(),
            Val::Obj(_) => vec![&root],
            _ => {
                self.push(Diag::new("notJsonObject"), doc, root.line);
                return;
            }
        };
        for item in items {
            if !matches!(item.v, Val::Obj(_)) {
                self.push(Diag::new("notJsonObject"), doc, item.line);
                continue;
            }
            self.top_level(item, doc, opts, resolved);
        }
    }

    fn top_level(&mut self, node: &Node, doc: usize, opts: &Options, resolved: bool) {
        if let Some(graph) = node.get("@graph") {
            let has_ctx = node.get("@context").is_some();
            if !has_ctx {
                self.push(Diag::new("missingContext"), doc, node.line);
            }
            if has_ctx || graph.get("@context").is_some() {
                self.push(Diag::new("topLevelGraphDisallowed"), doc, node.line);
            }
            return;
        }
        let restricts = dtdl_version_hint(node) >= 3;
        for (k, l, _) in node.members().unwrap_or_default() {
            if restricts
                && matches!(
                    k.as_str(),
                    "@base"
                        | "@vocab"
                        | "@language"
                        | "@reverse"
                        | "@index"
                        | "@list"
                        | "@set"
                        | "@value"
                        | "@included"
                        | "@nest"
                        | "@direction"
                        | "@json"
                        | "@none"
                        | "@version"
                        | "@protected"
                        | "@import"
                        | "@propagate"
                )
            {
                self.push(
                    Diag::new("topLevelKeywordDisallowed").value(k.clone()),
                    doc,
                    *l,
                );
                return;
            }
        }
        let Some(c) = node.get("@context") else {
            self.push(Diag::new("missingContext"), doc, node.line);
            return;
        };
        let mut errs = Vec::new();
        let ctx = context::process(c, None, &opts.ctx, &mut errs);
        for e in errs {
            self.push(e, doc, c.line);
        }
        let Some(ctx) = ctx else { return };
        if let Some(i) = self.element(node, &ctx, None, doc, 0, opts, resolved, None) {
            self.tops.push(i);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn element(
        &mut self,
        node: &Node,
        outer: &Arc<Ctx>,
        site: Option<&Site<'_>>,
        doc: usize,
        depth: usize,
        opts: &Options,
        resolved: bool,
        top: Option<usize>,
    ) -> Option<usize> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut ctx = outer.clone();
        if site.is_some()
            && let Some(c) = node.get("@context")
        {
            let mut errs = Vec::new();
            let processed = context::process(c, Some(outer), &opts.ctx, &mut errs);
            for e in errs {
                self.push(e, doc, c.line);
            }
            ctx = processed?;
        }
        let version = ctx.version;
        let m = meta();
        let parent_id = site.map(|s| self.elems[s.parent].id.clone());

        // @id
        let mut id: Option<String> = None;
        let mut fragment: Option<String> = None;
        if let Some(idn) = node.get("@id") {
            match idn.as_str() {
                Some(s) if !s.is_empty() => {
                    if let Some((base, frag)) = self.check_id(s, &ctx, doc, idn.line) {
                        id = Some(base);
                        fragment = frag;
                    }
                }
                _ => self.push(Diag::new("idNotString"), doc, idn.line),
            }
        }

        // @type
        let mut materials: Vec<String> = Vec::new();
        let mut cotypes: Vec<String> = Vec::new();
        let mut extra: Vec<String> = Vec::new();
        let type_node = node.get("@type");
        let pid_for_type = id.clone();
        let first_diag = self.diags.len();
        if let Some(t) = type_node {
            let terms: Vec<&Node> = match &t.v {
                Val::Arr(a) => a.iter().collect(),
                _ => vec![t],
            };
            for tn in terms {
                let Some(term) = tn.as_str() else {
                    self.push(
                        Diag::new("typeNotDtmiNorTerm")
                            .primary_opt(pid_for_type.as_deref())
                            .value(crate::parser::json_text(tn)),
                        doc,
                        tn.line,
                    );
                    continue;
                };
                self.classify_type(
                    term,
                    &ctx,
                    &mut materials,
                    &mut cotypes,
                    &mut extra,
                    pid_for_type.as_deref(),
                    doc,
                    tn.line,
                );
            }
        }
        materials.dedup();
        let inferred = materials.is_empty() && type_node.is_none();
        let class: Option<String> = match materials.len() {
            0 => {
                let inferred = site
                    .filter(|_| type_node.is_none())
                    .and_then(|s| s.type_optional_class)
                    .filter(|c| {
                        m.classes
                            .get(*c)
                            .is_some_and(|k| k.type_optional.contains(&version))
                    });
                match inferred {
                    Some(c) => Some(c.to_string()),
                    None => {
                        if has_layer_type(type_node) {
                            let known = id.clone().or_else(|| {
                                site.and_then(|s| auto_id(&self.elems[s.parent].id, s, node))
                            });
                            if let Some(k) = known.filter(|k| self.by_id.contains_key(k)) {
                                self.push(
                                    Diag::new("layerMissingMaterialType").primary(k),
                                    doc,
                                    type_node.map_or(node.line, |t| t.line),
                                );
                                return None;
                            }
                        }
                        let d = match site {
                            Some(s) => Diag::new("badType")
                                .primary(self.elems[s.parent].id.clone())
                                .property(s.prop)
                                .param("type", s.class.unwrap_or("").to_string()),
                            None => {
                                self.push(
                                    Diag::new("typeNotRootable")
                                        .value(id.clone().unwrap_or_default())
                                        .param("type", "Interface"),
                                    doc,
                                    node.line,
                                );
                                Diag::new("badType")
                            }
                        };
                        let sid = id.clone().or_else(|| {
                            site.and_then(|s| auto_id(&self.elems[s.parent].id, s, node))
                        });
                        // Rejected types belong to the element, by its generated id if need be.
                        if let Some(i) = &sid {
                            for d in self.diags.iter_mut().skip(first_diag) {
                                if d.is_unattributed_type_error() {
                                    *d = d.clone().primary(i.clone());
                                }
                            }
                        }
                        let d = match sid {
                            Some(i) => d.secondary(i),
                            None => d,
                        };
                        self.push(d, doc, node.line);
                        None
                    }
                }
            }
            1 => Some(materials[0].clone()),
            _ => {
                self.push(
                    Diag::new("multipleMaterialTypes")
                        .primary_opt(id.as_deref())
                        .value(materials.join(", ")),
                    doc,
                    type_node.map_or(node.line, |t| t.line),
                );
                // Each material type must also fit where the element sits.
                if let Some(s) = site
                    && let Some(expected) = s.class
                {
                    let fits = |c: &String| {
                        m.classes
                            .get(expected)
                            .and_then(|k| k.concrete.get(&version))
                            .is_some_and(|k| k.contains(c))
                    };
                    if let Some(bad) = materials.iter().find(|c| !fits(c)) {
                        let mut d = Diag::new("badType")
                            .primary(self.elems[s.parent].id.clone())
                            .property(s.prop)
                            .param("type", expected.to_string())
                            .value(bad.clone());
                        if let Some(i) = id.clone() {
                            d = d.secondary(i);
                        }
                        self.push(d, doc, node.line);
                    }
                }
                None
            }
        };
        let class = class?;

        // Material class must fit where it sits.
        match site {
            None => {
                let rootable = m.classes.get(&class).is_some_and(|c| c.name == "Interface");
                if !rootable {
                    self.push(
                        Diag::new("typeNotRootable")
                            .value(id.clone().unwrap_or_default())
                            .param("type", "Interface"),
                        doc,
                        node.line,
                    );
                    return None;
                }
            }
            Some(s) => {
                if let Some(expected) = s.class {
                    // Classes whose instances are all standard elements (primitive schemas) cannot be defined by models.
                    let standard_only = m
                        .classes
                        .get(&class)
                        .and_then(|k| k.standard_elements.get(&version))
                        .is_some_and(|e| !e.is_empty());
                    let concrete_ok = !standard_only
                        && m.classes
                            .get(expected)
                            .and_then(|k| k.concrete.get(&version))
                            .is_some_and(|c| c.contains(&class));
                    if !concrete_ok {
                        let mut d = Diag::new("badType")
                            .primary(self.elems[s.parent].id.clone())
                            .property(s.prop)
                            .param("type", expected.to_string())
                            .value(class.clone());
                        if let Some(i) = id
                            .clone()
                            .or_else(|| auto_id(&self.elems[s.parent].id, s, node))
                        {
                            d = d.secondary(i);
                        }
                        self.push(d, doc, node.line);
                        return None;
                    }
                }
            }
        }

        // Id: required or generated.
        let auto = id.is_none();
        let id = match id {
            Some(i) => i,
            None => match (site, &parent_id) {
                (Some(s), Some(pid)) => {
                    let (base, ver) = dtmi::split_version(pid);
                    let mut g = format!("{base}:_{}", s.prop);
                    if let Some(seg) = s.segment {
                        match member(node, seg, &ctx, &class).map(single).map(|n| &n.v) {
                            Some(Val::Str(v)) => {
                                g.push_str(":__");
                                g.push_str(v);
                            }
                            Some(Val::Num(_, raw)) => {
                                g.push_str(":__");
                                g.push_str(raw);
                            }
                            _ => {
                                self.push(
                                    Diag::new("missingDtmiSegPropertyValue")
                                        .primary(pid.clone())
                                        .property(s.prop)
                                        .value(seg),
                                    doc,
                                    node.line,
                                );
                                return None;
                            }
                        }
                    }
                    g.push_str(ver);
                    g
                }
                _ => {
                    if node.get("@id").is_none() {
                        self.push(Diag::new("missingTopLevelId"), doc, node.line);
                    }
                    return None;
                }
            },
        };
        if auto {
            for d in self.diags.iter_mut().skip(first_diag) {
                if d.is_unattributed_type_error() {
                    *d = d.clone().primary(id.clone());
                }
            }
            if let Some(s) = site {
                let k = &m.classes[&class];
                let needed = k.id_required.contains(&version)
                    || k.id_required_when.get(&version).is_some_and(|w| {
                        w.iter().any(|(c, p)| {
                            p == s.prop && m.is_subclass(&self.elems[s.parent].class, c)
                        })
                    });
                let prop_needs = m
                    .prop(
                        &self.elems[s.parent].class,
                        s.prop,
                        self.elems[s.parent].version,
                    )
                    .is_some_and(|(_, pv)| pv.id_required);
                if needed || prop_needs {
                    self.push(
                        Diag::new("missingRequiredId")
                            .primary(self.elems[s.parent].id.clone())
                            .property(s.prop),
                        doc,
                        node.line,
                    );
                }
            }
        }

        // A partition's JSON text is limited in size (1 MiB in DTDL v3 and v4).
        if class == "Interface"
            && let Some(max) = m
                .partition_max_bytes
                .get(&version)
                .and_then(|l| limit(l, &ctx.limits))
            && node.len as usize > max
        {
            self.push(
                Diag::new("partitionTooLarge")
                    .primary(id.clone())
                    .param("count1", node.len.to_string())
                    .param("count2", max.to_string()),
                doc,
                node.line,
            );
        }
        let layer = self.layer_of(
            &id,
            auto,
            fragment.as_deref(),
            site,
            node,
            type_node,
            &ctx,
            doc,
        )?;
        let merging = self
            .by_id
            .get(&id)
            .is_some_and(|&p| !self.elems[p].layers.contains(&layer));

        let idx = self.elems.len();
        let top = top.unwrap_or(idx);
        self.elems.push(Elem {
            id: id.clone(),
            auto,
            version,
            ctx: ctx.clone(),
            class: class.clone(),
            cotypes: cotypes.clone(),
            extra_types: extra,
            props: Vec::new(),
            sprops: Vec::new(),
            parent: site.map(|s| (s.parent, s.prop.to_string())),
            top,
            doc,
            line: node.line,
            lenient: self.solecisms && version == 2,
            declared_cotypes: cotypes.clone(),
            failed_types: self.diags[first_diag..]
                .iter()
                .any(|d| d.is_unattributed_type_error() || d.id_is_type_error()),
            misplaced_cotypes: Vec::new(),
            layers: vec![layer.clone()],
            layer,
            merged_into: None,
        });
        self.check_cotypes(idx, doc, type_node.map_or(node.line, |t| t.line));

        // Members.
        let mut props: Vec<(String, Vec<PVal>, u32)> = Vec::new();
        let mut sprops: Vec<(String, String, Vec<PVal>)> = Vec::new();
        let mut raw_counts: Vec<(String, usize)> = Vec::new();
        for (key, kline, val) in node.members().unwrap_or_default() {
            if key.starts_with('@') {
                if !matches!(key.as_str(), "@id" | "@type" | "@context") && version >= 3 {
                    // The keyword is charged to the property holding the element, or to the document.
                    let d = match site {
                        Some(s) => Diag::new("keywordDisallowed")
                            .primary(self.elems[s.parent].id.clone())
                            .property(s.prop),
                        None => Diag::new("topLevelKeywordDisallowed"),
                    };
                    self.push(d.value(key.clone()), doc, *kline);
                }
                continue;
            }
            match self.resolve_key(key, idx) {
                Key::Material(pname) => {
                    let (p, pv) = match m.prop(&class, &pname, version) {
                        Some(x) => x,
                        None => continue,
                    };
                    if !pv.allowed {
                        self.push(
                            Diag::new("propertyIrrelevantDtmiOrTerm")
                                .primary(id.clone())
                                .property(key.clone()),
                            doc,
                            *kline,
                        );
                        self.push(
                            Diag::new("noTypeThatAllows")
                                .primary(id.clone())
                                .property(key.clone()),
                            doc,
                            *kline,
                        );
                        continue;
                    }
                    if matches!(val.v, Val::Null) {
                        self.push(
                            Diag::new("propertyValueNull")
                                .primary(id.clone())
                                .property(pname.clone()),
                            doc,
                            *kline,
                        );
                        // A null is also not a value of the property's datatype.
                        let not = match p.datatype.as_deref() {
                            Some("string") => Some("stringNotString"),
                            Some("boolean") => Some("booleanNotBoolean"),
                            Some("integer") => Some("integerNotInteger"),
                            _ => None,
                        };
                        if let Some(vid) = not {
                            self.push(
                                Diag::new(vid).primary(id.clone()).property(pname.clone()),
                                doc,
                                *kline,
                            );
                        }
                        continue;
                    }
                    if props.iter().any(|(n, _, _)| *n == pname) {
                        self.push(
                            Diag::new("duplicatePropertyName")
                                .primary(id.clone())
                                .property(pname.clone()),
                            doc,
                            *kline,
                        );
                        continue;
                    }
                    let vals = if p.literal || p.datatype.is_some() || pv.class.is_none() {
                        literal::check(self, idx, &pname, p, pv, val, doc, *kline)
                    } else {
                        self.object_values(
                            idx, &pname, p, pv, val, doc, *kline, depth, opts, resolved, top,
                        )
                    };
                    props.push((pname, vals, *kline));
                }
                Key::Supplemental(iri, sp) => {
                    if matches!(val.v, Val::Null) {
                        self.push(
                            Diag::new("propertyValueNull")
                                .primary(id.clone())
                                .property(sp.name.clone()),
                            doc,
                            *kline,
                        );
                        continue;
                    }
                    if sprops.iter().any(|(i, _, _)| *i == iri) {
                        self.push(
                            Diag::new("duplicatePropertyName")
                                .primary(id.clone())
                                .property(sp.name.clone()),
                            doc,
                            *kline,
                        );
                        continue;
                    }
                    let vals = literal::check_supplemental(self, idx, &sp, val, doc, *kline);
                    // References rejected for what they name still count as given.
                    let written = match &val.v {
                        Val::Arr(a) => a.iter().filter(|x| matches!(x.v, Val::Str(_))).count(),
                        Val::Str(_) => 1,
                        _ => 0,
                    }
                    .max(vals.len());
                    raw_counts.push((iri.clone(), written));
                    sprops.push((iri, sp.name.clone(), vals));
                }
                Key::Ignored => {}
                Key::Error(ds) => {
                    for d in ds {
                        // Where the type was inferred, it is that type that disallows the property.
                        let d = if inferred && d.vid() == "noTypeThatAllows" {
                            d.renamed("inferredTypeDoesNotAllow")
                        } else {
                            d
                        };
                        self.push(d, doc, *kline);
                    }
                }
            }
        }

        // Required properties.
        if let Some(k) = m.classes.get(&class) {
            let mut names: Vec<&String> = k.props.keys().collect();
            names.sort();
            for pname in names {
                let p = &k.props[pname];
                let Some(pv) = p.by_version.get(&version) else {
                    continue;
                };
                if pv.min_count.unwrap_or(0) == 0 || !pv.allowed {
                    continue;
                }
                let literal = p.literal || p.datatype.is_some() || pv.class.is_none();
                // A null literal counts as absent.
                if !props.iter().any(|(n, _, _)| n == pname)
                    && member(node, pname, &ctx, &class)
                        .is_none_or(|v| literal && matches!(v.v, Val::Null))
                {
                    let vid = if literal {
                        "missingLiteralProperty"
                    } else {
                        "missingObjectProperty"
                    };
                    self.push(
                        Diag::new(vid).primary(id.clone()).property(pname.clone()),
                        doc,
                        node.line,
                    );
                }
            }
        }
        let valid_cotypes = self.elems[idx].cotypes.clone();
        for ct in &valid_cotypes {
            for st in m.supplemental_chain(ct) {
                let mut keys: Vec<&String> = st.props.keys().collect();
                keys.sort();
                for piri in keys {
                    let sp = &st.props[piri];
                    let given = raw_counts.iter().find(|(i, _)| i == piri).map(|(_, n)| *n);
                    let object_valued = !sp
                        .type_iri
                        .as_deref()
                        .is_some_and(|t| t.starts_with("http://www.w3.org/2001/XMLSchema#"));
                    if object_valued && given.is_some_and(|n| n < sp.min_count.unwrap_or(0)) {
                        self.push(
                            Diag::new("objectCountBelowMin")
                                .primary(id.clone())
                                .property(sp.name.clone())
                                .param("count1", given.unwrap_or(0).to_string())
                                .param("count2", sp.min_count.unwrap_or(0).to_string()),
                            doc,
                            node.line,
                        );
                        continue;
                    }
                    if given.is_some() {
                        continue;
                    }
                    if sp.min_count.unwrap_or(0) > 0 {
                        let lit = sp
                            .type_iri
                            .as_deref()
                            .is_some_and(|t| t.starts_with("http://www.w3.org/2001/XMLSchema#"));
                        // A further layer lacking it is reported as a plain missing property.
                        let vid = if merging || !self.elems[idx].layer.is_empty() {
                            "missingObjectProperty"
                        } else if lit {
                            "missingSupplementalLiteralProperty"
                        } else {
                            "missingSupplementalObjectProperty"
                        };
                        self.push(
                            Diag::new(vid)
                                .primary(id.clone())
                                .property(sp.name.clone())
                                .param("type", short_type(ct)),
                            doc,
                            node.line,
                        );
                    }
                }
            }
        }

        let e = &mut self.elems[idx];
        e.props = props;
        e.sprops = sprops;
        if let Some(&prev) = self.by_id.get(&id) {
            if merging {
                return self.merge_layer(prev, idx, site, first_diag, doc, node.line);
            }
            // Clashing generated ids come from duplicate names, reported as such.
            if !(auto && self.elems[prev].auto) {
                self.push(
                    Diag::new("duplicateDefinition").primary(id.clone()),
                    doc,
                    node.line,
                );
            }
        } else {
            self.by_id.insert(id, idx);
        }
        Some(idx)
    }

    /// Checks a given `@id`: its identifier without fragment and the fragment (a layer name), or None when it cannot be used.
    fn check_id(
        &mut self,
        s: &str,
        ctx: &Ctx,
        doc: usize,
        line: u32,
    ) -> Option<(String, Option<String>)> {
        let m = meta();
        let v = ctx.version;
        if let Some(max) = m.id_max_len.get(&v).and_then(|l| limit(l, &ctx.limits))
            && s.len() > max
        {
            self.push(
                Diag::new("idTooLong")
                    .value(s)
                    .param("count1", max.to_string())
                    .param("restriction", v.to_string())
                    .param(
                        "transformation",
                        if ctx.limits.is_empty() {
                            "DTDL".to_string()
                        } else {
                            ctx.limits.clone()
                        },
                    ),
                doc,
                line,
            );
            return None;
        }
        let (base, frag) = match s.find('#') {
            Some(i) => (&s[..i], Some(&s[i..])),
            None => (s, None),
        };
        if !dtmi::is_valid_identifier(base, v) {
            self.push(
                Diag::new("invalidId")
                    .value(s)
                    .param("restriction", v.to_string()),
                doc,
                line,
            );
            return None;
        }
        if frag.is_some() {
            // Fragments name layers. Like DTDLParser, the id is reported as invalid, yet the
            // definition is still read as a layer of the base id so that layer conflicts show.
            self.push(
                Diag::new("invalidId")
                    .value(s)
                    .param("restriction", v.to_string()),
                doc,
                line,
            );
        }
        for p in ctx.reserved_prefixes() {
            if base.starts_with(p) && !(self.solecisms && v == 2) {
                self.push(Diag::new("reservedId").value(s), doc, line);
                return None;
            }
        }
        Some((
            base.to_string(),
            frag.map(|f| f.get(1..).unwrap_or("").to_string()),
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn classify_type(
        &mut self,
        term: &str,
        ctx: &Ctx,
        materials: &mut Vec<String>,
        cotypes: &mut Vec<String>,
        extra: &mut Vec<String>,
        pid: Option<&str>,
        doc: usize,
        line: u32,
    ) {
        let m = meta();
        let v = ctx.version;
        let iri: Option<&str> = ctx.term(term);
        let iri_s = iri.unwrap_or(term);
        if let Some(rest) = iri_s.strip_prefix("dtmi:dtdl:class:") {
            let (name, ver) = dtmi::split_version(rest);
            if ver == format!(";{v}")
                && m.classes.get(name).is_some_and(|c| c.versions.contains(&v))
            {
                materials.push(name.to_string());
                return;
            }
        }
        if let Some(st) = m.supplemental.get(iri_s) {
            // A v2 unit type is a subclass of the material class Unit, so it names that class.
            if v == 2 && st.extension_kind == "Unit" {
                materials.push("Unit".to_string());
                return;
            }
            cotypes.push(iri_s.to_string());
            return;
        }
        let apoc = |rule: &str| {
            m.apocrypha
                .get(&v)
                .and_then(|a| a.get(rule))
                .map(String::as_str)
                .unwrap_or("invalid")
        };
        let tolerate = |level: &str| level == "valid" || level == "tenable" && ctx.allow_explicit;
        let (rule, vid) = if iri.is_some() {
            ("irrelevantDtmiOrTermAsCotype", "typeIrrelevantDtmiOrTerm")
        } else if term.starts_with("dtmi:") {
            if dtmi::Dtmi::parse(term).is_some() {
                ("irrelevantDtmiOrTermAsCotype", "typeIrrelevantDtmiOrTerm")
            } else {
                ("invalidDtmiAsCotype", "typeInvalidDtmi")
            }
        } else if term.contains(':') {
            ("notDtmiNorTermAsCotype", "typeNotDtmiNorTerm")
        } else {
            ("undefinedTermAsCotype", "typeUndefinedTerm")
        };
        if tolerate(apoc(rule)) {
            extra.push(term.to_string());
        } else {
            self.push(
                Diag::new(vid)
                    .primary_opt(pid)
                    .value(term)
                    .param("restriction", v.to_string()),
                doc,
                line,
            );
        }
    }

    /// Checks co-types against the material class and each other; drops the invalid ones.
    fn check_cotypes(&mut self, idx: usize, doc: usize, line: u32) {
        let m = meta();
        let e = &self.elems[idx];
        let (id, class, version) = (e.id.clone(), e.class.clone(), e.version);
        let cotypes = e.cotypes.clone();
        let anc = m
            .classes
            .get(&class)
            .map(|c| c.ancestry.clone())
            .unwrap_or_default();
        let mut kept = Vec::new();
        let mut misplaced = Vec::new();
        for ct in &cotypes {
            let Some(st) = m.supplemental.get(ct) else {
                continue;
            };
            let tname = short_type(ct);
            let kind_ok = st.cotypes.iter().any(|c| anc.contains(c))
                || st.altcotypes.iter().any(|a| cotypes.contains(a));
            if st.is_abstract {
                self.push(
                    Diag::new("abstractSupplementalType")
                        .primary(id.clone())
                        .param("type", tname.clone()),
                    doc,
                    line,
                );
                continue;
            }
            if !st.cotype_versions.contains(&version) {
                let r = st
                    .cotype_versions
                    .iter()
                    .map(u8::to_string)
                    .collect::<Vec<_>>()
                    .join(" or ");
                self.push(
                    Diag::new("invalidCotypeVersion")
                        .primary(id.clone())
                        .param("type", tname.clone())
                        .param("restriction", r),
                    doc,
                    line,
                );
                if !kind_ok {
                    self.push(
                        Diag::new("invalidCotype")
                            .primary(id.clone())
                            .param("type", tname.clone()),
                        doc,
                        line,
                    );
                }
                continue;
            }
            if !kind_ok {
                self.push(
                    Diag::new("invalidCotype")
                        .primary(id.clone())
                        .param("type", tname.clone())
                        .param("restriction", st.cotypes.join(" or ")),
                    doc,
                    line,
                );
                // DTDLParser drops, unjudged, the properties of misplaced types that carry
                // rules of their own (constraints, co-type requirements); others stay unallowed.
                if !st.constraints.is_empty()
                    || !st.cocotypes.is_empty()
                    || !st.discotypes.is_empty()
                {
                    misplaced.push(ct.clone());
                }
                continue;
            }
            kept.push(ct.clone());
            for cc in &st.cocotypes {
                if !cotypes
                    .iter()
                    .any(|c| c == cc || m.supplemental_chain(c).iter().any(|s| &s.id == cc))
                {
                    self.push(
                        Diag::new("missingCocotype")
                            .primary(id.clone())
                            .param("type", tname.clone())
                            .param("restriction", short_type(cc)),
                        doc,
                        line,
                    );
                }
            }
            for dc in &st.discotypes {
                if cotypes.iter().any(|c| c == dc) {
                    self.push(
                        Diag::new("disallowedCocotype")
                            .primary(id.clone())
                            .param("type", tname.clone())
                            .param("restriction", short_type(dc)),
                        doc,
                        line,
                    );
                }
            }
        }
        let mut added: Vec<(String, String)> = Vec::new();
        for ct in &kept {
            for st in m.supplemental_chain(ct) {
                for sp in st.props.values() {
                    if let Some((other, _)) = added.iter().find(|(t, n)| t != ct && *n == sp.name) {
                        let other = other.clone();
                        self.push(
                            Diag::new("conflictingSupplementalTypes")
                                .primary(id.clone())
                                .param("type", short_type(&other))
                                .param("restriction", short_type(ct))
                                .property(sp.name.clone()),
                            doc,
                            line,
                        );
                    }
                    added.push((ct.clone(), sp.name.clone()));
                }
            }
        }
        self.elems[idx].cotypes = kept;
        self.elems[idx].misplaced_cotypes = misplaced;
    }

    fn resolve_key(&self, key: &str, idx: usize) -> Key {
        let m = meta();
        let e = &self.elems[idx];
        let v = e.version;
        if let Some(name) = material_key(key, &e.ctx, &e.class) {
            return Key::Material(name);
        }
        let iri = e.ctx.term(key);
        let iri_s = iri.unwrap_or(key);
        for ct in &e.cotypes {
            for st in m.supplemental_chain(ct) {
                if let Some(sp) = st.props.get(iri_s) {
                    return Key::Supplemental(iri_s.to_string(), sp.clone());
                }
            }
        }
        let apoc = |rule: &str| {
            m.apocrypha
                .get(&v)
                .and_then(|a| a.get(rule))
                .map(String::as_str)
                .unwrap_or("invalid")
        };
        // Undefined properties are only meaningful through an undefined co-type.
        let tolerate = |level: &str| {
            !e.extra_types.is_empty()
                && (level == "valid" || level == "tenable" && e.ctx.allow_undefined)
        };
        let pid = e.id.clone();
        if e.failed_types {
            // With a rejected type, only keys no context defines are still reported.
            // Terms of affiliate (non-DTDL) contexts not in effect are let pass, as DTDLParser does.
            let affiliate = m
                .contexts
                .iter()
                .any(|(c, t)| !c.starts_with("dtmi:dtdl:") && t.contains_key(key));
            let known_iri = key.starts_with("dtmi:dtdl:property:")
                || m.supplemental.values().any(|s| s.props.contains_key(key));
            if known_iri || iri.is_none() && affiliate {
                return Key::Ignored;
            }
            if key.contains(':') {
                let vid = if !key.starts_with("dtmi:") {
                    "propertyNotDtmiNorTerm"
                } else if dtmi::Dtmi::parse(key).is_some() {
                    "propertyIrrelevantDtmiOrTerm"
                } else {
                    "propertyInvalidDtmi"
                };
                return Key::Error(vec![
                    Diag::new(vid)
                        .primary(pid)
                        .property(key)
                        .param("restriction", v.to_string()),
                ]);
            }
            if iri.is_some() {
                return Key::Error(vec![
                    Diag::new("propertyIrrelevantDtmiOrTerm")
                        .primary(pid)
                        .property(key),
                ]);
            }
            return Key::Error(vec![
                Diag::new("propertyUndefinedTerm")
                    .primary(pid)
                    .property(key)
                    .param("restriction", v.to_string()),
            ]);
        }
        let misplaced = e.misplaced_cotypes.iter().any(|c| {
            m.supplemental_chain(c)
                .iter()
                .any(|s| s.props.contains_key(iri_s))
        });
        if misplaced {
            return Key::Ignored;
        }
        let declared = e.declared_cotypes.iter().any(|c| {
            m.supplemental_chain(c)
                .iter()
                .any(|s| s.props.contains_key(iri_s))
        });
        if declared {
            return Key::Error(vec![
                Diag::new("noTypeThatAllows").primary(pid).property(key),
            ]);
        }
        if let Some(i) = iri {
            // A defined property that some co-type usable here would allow: only the missing type is wrong.
            let relevant = i.starts_with("dtmi:dtdl:property:")
                || m.supplemental.values().any(|s| {
                    s.props.contains_key(i)
                        && s.cotype_versions.contains(&v)
                        && m.classes
                            .get(&e.class)
                            .is_some_and(|c| s.cotypes.iter().any(|ct| c.ancestry.contains(ct)))
                });
            if relevant && !e.extra_types.is_empty() && e.ctx.allow_undefined {
                return Key::Ignored;
            }
            if relevant && !i.contains("languageMajorVersion") && e.cotypes.is_empty() {
                // A core property of other classes is also irrelevant here; a supplemental one only lacks its type.
                let core = i.starts_with("dtmi:dtdl:property:")
                    && !m.supplemental.values().any(|s| s.props.contains_key(i));
                let mut ds = Vec::new();
                if core {
                    ds.push(
                        Diag::new("propertyIrrelevantDtmiOrTerm")
                            .primary(pid.clone())
                            .property(key),
                    );
                }
                ds.push(Diag::new("noTypeThatAllows").primary(pid).property(key));
                return Key::Error(ds);
            }
            if tolerate(apoc("irrelevantDtmiOrTermAsProperty")) {
                return Key::Ignored;
            }
            // A co-type's sibling rules may name the property (e.g. `annotates`): then it also lacks a type.
            let named_by_rules = e.cotypes.iter().any(|c| {
                m.supplemental_chain(c).iter().any(|st| {
                    st.siblings
                        .iter()
                        .chain(st.constraints.iter())
                        .any(|r| r.to_string().contains(i))
                })
            });
            let mut ds = vec![
                Diag::new("propertyIrrelevantDtmiOrTerm")
                    .primary(pid.clone())
                    .property(key),
            ];
            if e.cotypes.is_empty() || named_by_rules || !relevant {
                ds.push(Diag::new("noTypeThatAllows").primary(pid).property(key));
            }
            return Key::Error(ds);
        }
        let (rule, vid) = if key.starts_with("dtmi:") {
            if dtmi::Dtmi::parse(key).is_some() {
                let known_prop = m.supplemental.values().any(|s| s.props.contains_key(key));
                if known_prop {
                    return Key::Error(vec![
                        Diag::new("noTypeThatAllows").primary(pid).property(key),
                    ]);
                }
                (
                    "irrelevantDtmiOrTermAsProperty",
                    "propertyIrrelevantDtmiOrTerm",
                )
            } else {
                ("invalidDtmiAsProperty", "propertyInvalidDtmi")
            }
        } else if key.contains(':') {
            ("notDtmiNorTermAsProperty", "propertyNotDtmiNorTerm")
        } else {
            ("undefinedTermAsProperty", "propertyUndefinedTerm")
        };
        if tolerate(apoc(rule)) {
            Key::Ignored
        } else if rule == "undefinedTermAsProperty" && e.ctx.allow_undefined && !e.layer.is_empty()
        {
            // In a layer an undefined extension may define the term, but no type here allows it.
            Key::Error(vec![
                Diag::new("noTypeThatAllows").primary(pid).property(key),
            ])
        } else {
            let mut ds = vec![
                Diag::new(vid)
                    .primary(pid.clone())
                    .property(key)
                    .param("restriction", v.to_string()),
            ];
            if matches!(rule, "invalidDtmiAsProperty" | "notDtmiNorTermAsProperty")
                && !e.extra_types.is_empty()
            {
                // No extension could define such a property, so the tolerated undefined types fail too.
                ds.extend(e.extra_types.iter().filter(|t| !t.contains(':')).map(|t| {
                    Diag::new("typeUndefinedTerm")
                        .primary(pid.clone())
                        .value(t.clone())
                        .param("restriction", v.to_string())
                }));
            } else {
                ds.push(Diag::new("noTypeThatAllows").primary(pid).property(key));
            }
            Key::Error(ds)
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn object_values(
        &mut self,
        idx: usize,
        pname: &str,
        p: &crate::meta::Prop,
        pv: &crate::meta::PropVersion,
        val: &Node,
        doc: usize,
        line: u32,
        depth: usize,
        opts: &Options,
        resolved: bool,
        top: usize,
    ) -> Vec<PVal> {
        let items: Vec<&Node> = match &val.v {
            Val::Arr(a) => a.iter().collect(),
            _ => vec![val],
        };
        let pid = self.elems[idx].id.clone();
        let ctx = self.elems[idx].ctx.clone();
        let class = pv.class.clone().unwrap_or_default();
        let mut out = Vec::new();
        for it in items {
            match &it.v {
                Val::Str(s) => {
                    let target = match ctx.term(s) {
                        Some(i) => Some(i.to_string()),
                        None if dtmi::is_valid_identifier(s, ctx.version)
                            || dtmi::Dtmi::parse(s).is_some_and(|_| !s.contains('#'))
                                && self.elems[idx].version >= 3
                                && dtmi::is_valid_identifier(s, 3) =>
                        {
                            Some(s.clone())
                        }
                        None => None,
                    };
                    match target {
                        Some(t) => out.push(PVal::Ref(t, it.line)),
                        None => self.push(
                            Diag::new("badDtmiOrTerm")
                                .primary(pid.clone())
                                .property(pname)
                                .value(s.clone())
                                .param("restriction", ctx.version.to_string()),
                            doc,
                            it.line,
                        ),
                    }
                }
                Val::Obj(members) => {
                    if members.len() == 1 && members[0].0 == "@id" {
                        if self.solecisms && ctx.version == 2 {
                            // DTDL v2 solecism: an object holding only `@id` is a reference.
                            match members[0].2.as_str() {
                                Some(r)
                                    if dtmi::is_valid_identifier(r, 2) || ctx.term(r).is_some() =>
                                {
                                    out.push(PVal::Ref(
                                        ctx.term(r).unwrap_or(r).to_string(),
                                        it.line,
                                    ));
                                }
                                _ => self.push(
                                    Diag::new("idRefBadDtmiOrTerm")
                                        .primary(pid.clone())
                                        .property(pname)
                                        .value(json_text(&members[0].2))
                                        .param("restriction", "2"),
                                    doc,
                                    it.line,
                                ),
                            }
                            continue;
                        }
                        self.push(
                            Diag::new("idReference")
                                .primary(pid.clone())
                                .property(pname),
                            doc,
                            it.line,
                        );
                        continue;
                    }
                    if members.iter().any(|(k, _, _)| k == "@graph") {
                        self.push(
                            Diag::new("graphDisallowed")
                                .primary(pid.clone())
                                .property(pname),
                            doc,
                            it.line,
                        );
                        continue;
                    }
                    let site = Site {
                        parent: idx,
                        prop: pname,
                        class: Some(&class),
                        segment: p.dtmi_segment.as_deref(),
                        type_optional_class: Some(&class),
                    };
                    if let Some(c) = self.element(
                        it,
                        &ctx,
                        Some(&site),
                        doc,
                        depth + 1,
                        opts,
                        resolved,
                        Some(top),
                    ) {
                        let cv = self.elems[c].version;
                        if !pv.versions.is_empty() && !pv.versions.contains(&cv) {
                            self.push(
                                Diag::new("disallowedVersionDefinition")
                                    .primary(pid.clone())
                                    .property(pname)
                                    .value(cv.to_string()),
                                doc,
                                it.line,
                            );
                            continue;
                        }
                        out.push(PVal::Elem(c));
                    }
                }
                _ => self.push(
                    Diag::new("refNotStringOrObject")
                        .primary(pid.clone())
                        .property(pname),
                    doc,
                    it.line,
                ),
            }
        }
        let n = out.len();
        if let Some(max) = pv.max_count
            && n > max
        {
            if max == 1 && !p.plural {
                self.push(
                    Diag::new("objectMultipleValues")
                        .primary(pid.clone())
                        .property(pname),
                    doc,
                    line,
                );
            } else {
                self.push(
                    Diag::new("objectCountAboveMax")
                        .primary(pid.clone())
                        .property(pname)
                        .param("count1", n.to_string())
                        .param("count2", max.to_string()),
                    doc,
                    line,
                );
            }
        }
        if let Some(min) = pv.min_count
            && n < min
        {
            self.push(
                Diag::new("objectCountBelowMin")
                    .primary(pid)
                    .property(pname)
                    .param("count1", n.to_string())
                    .param("count2", min.to_string()),
                doc,
                line,
            );
        }
        out
    }
}

/// The only element of a one-element array, else the node itself.
fn single(n: &Node) -> &Node {
    let n = match &n.v {
        Val::Arr(a) if a.len() == 1 => &a[0],
        _ => n,
    };
    n.get("@value").unwrap_or(n)
}

/// The DTDL version an element's own `@context` names, or 0.
fn dtdl_version_hint(node: &Node) -> u8 {
    let first = match node.get("@context").map(|c| &c.v) {
        Some(Val::Arr(a)) => a.first().and_then(Node::as_str),
        Some(Val::Str(s)) => Some(s.as_str()),
        _ => None,
    };
    first
        .and_then(|s| s.strip_prefix("dtmi:dtdl:context;"))
        .and_then(|v| v.get(..1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The material property a member key names, as a term or as the property's IRI.
fn material_key(key: &str, ctx: &Ctx, class: &str) -> Option<String> {
    let iri = ctx.term(key).unwrap_or(key);
    let rest = iri.strip_prefix("dtmi:dtdl:property:")?;
    let (name, ver) = dtmi::split_version(rest);
    let v = ver.strip_prefix(';')?.parse::<u8>().ok()?;
    (v == ctx.version && meta().prop(class, name, v).is_some()).then(|| name.to_string())
}

/// The member of `node` that sets material property `prop`.
fn member<'n>(node: &'n Node, prop: &str, ctx: &Ctx, class: &str) -> Option<&'n Node> {
    node.members()?
        .iter()
        .find(|(k, _, _)| k == prop || material_key(k, ctx, class).as_deref() == Some(prop))
        .map(|(_, _, v)| v)
}

/// The id DTDLParser generates for an element without `@id` at `site`.
fn auto_id(parent: &str, site: &Site<'_>, node: &Node) -> Option<String> {
    let (base, ver) = dtmi::split_version(parent);
    let mut g = format!("{base}:_{}", site.prop);
    if let Some(seg) = site.segment {
        let v = node.get(seg).or_else(|| {
            node.members()?
                .iter()
                .find(|(k, _, _)| {
                    k.starts_with("dtmi:dtdl:property:") && k.contains(&format!(":{seg};"))
                })
                .map(|(_, _, v)| v)
        });
        match v.map(single).map(|n| &n.v) {
            Some(Val::Str(v)) => {
                g.push_str(":__");
                g.push_str(v);
            }
            Some(Val::Num(_, raw)) => {
                g.push_str(":__");
                g.push_str(raw);
            }
            _ => return None,
        }
    }
    g.push_str(ver);
    Some(g)
}

enum Key {
    Material(String),
    Supplemental(String, crate::meta::SupProp),
    Ignored,
    Error(Vec<Diag>),
}

/// The short name of a type IRI (`dtmi:...:class:Temperature;3` -> `Temperature`).
pub fn short_type(iri: &str) -> String {
    let (base, _) = dtmi::split_version(iri);
    base.rsplit(':').next().unwrap_or(base).to_string()
}

/// Compact JSON text of a node, for messages.
pub fn json_text(n: &Node) -> String {
    match &n.v {
        Val::Str(s) => s.clone(),
        _ => n.to_value().to_string(),
    }
}
