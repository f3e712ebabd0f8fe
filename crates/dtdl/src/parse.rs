//! The parse entry point: documents in, resolver loop, checks, typed model out.

use crate::context::CtxOptions;
use crate::diagnostic::{Diag, Diagnostic, Location};
use crate::meta::meta;
use crate::model::ModelSet;
use crate::parser::{Graph, PVal};
use std::collections::{BTreeMap, BTreeSet};

/// One input document: a name used in locations (a file path, or "models[3]") and its JSON text.
#[derive(Debug, Clone)]
pub struct Document {
    /// Name shown in locations.
    pub name: String,
    /// The JSON text.
    pub text: String,
}

/// Supplies definitions of DTMIs that the documents reference but do not define.
pub trait Resolver {
    /// Returns JSON texts (each a model object or array) for the DTMIs it knows.
    fn resolve(&self, dtmis: &[String]) -> Vec<String>;
}

/// Parser options beyond the defaults (used by the conformance runner).
#[derive(Debug, Clone)]
pub struct Options {
    /// Tolerate extension contexts the parser does not know (`None`: DTDL version default, i.e. only v2).
    pub allow_undefined_extensions: Option<bool>,
    /// Highest DTDL version accepted.
    pub max_dtdl_version: u8,
    /// Tolerate DTDL v2 solecisms in the documents (DTDLParser's `TolerateSolecismsInParse`).
    pub tolerate_solecisms_in_parse: bool,
    /// Tolerate DTDL v2 solecisms in resolved documents (`TolerateSolecismsInResolve`).
    pub tolerate_solecisms_in_resolve: bool,
    /// Extension limit contexts (`dtmi:dtdl:limits:onvif`, or with a version: that major
    /// version at that minor version or later) models may name; others are reported as
    /// `disallowedLimitContext`. `None` accepts every limit context the parser knows.
    pub acceptable_limits: Option<Vec<String>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            allow_undefined_extensions: None,
            max_dtdl_version: 4,
            tolerate_solecisms_in_parse: false,
            tolerate_solecisms_in_resolve: false,
            acceptable_limits: None,
        }
    }
}

/// A DTMI referenced but defined neither by the documents nor the resolver.
#[derive(Debug, Clone, PartialEq)]
pub struct Unresolved {
    /// The missing DTMI.
    pub dtmi: String,
    /// Each referencing element and where the reference is.
    pub referenced_from: Vec<(String, Option<Location>)>,
}

/// The result of [`parse`].
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// The interfaces, inheritance resolved. Complete only when valid.
    pub models: ModelSet,
    /// Every problem found.
    pub diagnostics: Vec<Diagnostic>,
    /// DTMIs that could not be resolved, with their referrers.
    pub unresolved: Vec<Unresolved>,
    /// Number of elements defined (interfaces, contents, schemas, ...).
    pub element_count: usize,
}

impl Parsed {
    /// True when there are no diagnostics.
    pub fn is_valid(&self) -> bool {
        self.diagnostics.is_empty()
    }
}

/// Parses and validates `docs`, asking `resolver` for DTMIs they reference but do not define.
pub fn parse(docs: &[Document], resolver: Option<&dyn Resolver>) -> Parsed {
    parse_with(docs, resolver, &Options::default())
}

const MAX_RESOLUTION_ROUNDS: usize = 64;

/// [`parse`] with explicit options.
pub fn parse_with(docs: &[Document], resolver: Option<&dyn Resolver>, options: &Options) -> Parsed {
    parse_graph(docs, resolver, options).0
}

/// [`parse_with`], also handing back the element graph (for the conformance runner).
pub(crate) fn parse_graph(
    docs: &[Document],
    resolver: Option<&dyn Resolver>,
    options: &Options,
) -> (Parsed, Graph) {
    let opts = crate::parser::Options {
        ctx: CtxOptions {
            allow_undefined_extensions: options.allow_undefined_extensions,
            max_version: options.max_dtdl_version,
            acceptable_limits: options.acceptable_limits.as_deref().map(Into::into),
        },
        solecisms: options.tolerate_solecisms_in_parse,
    };
    let resolve_opts = crate::parser::Options {
        solecisms: options.tolerate_solecisms_in_resolve,
        ..opts.clone()
    };
    let mut g = Graph::default();
    for d in docs {
        g.add_document(&d.name, &d.text, &opts, false);
    }
    let mut asked: BTreeSet<String> = BTreeSet::new();
    let mut round = 0;
    if let Some(r) = resolver {
        loop {
            round += 1;
            let missing: Vec<String> = undefined_refs(&g)
                .into_keys()
                .filter(|d| !asked.contains(d))
                .collect();
            if missing.is_empty() || round > MAX_RESOLUTION_ROUNDS {
                break;
            }
            asked.extend(missing.iter().cloned());
            let texts = r.resolve(&missing);
            if texts.is_empty() {
                break;
            }
            for (i, t) in texts.iter().enumerate() {
                g.add_document(&format!("resolved[{round}.{i}]"), t, &resolve_opts, true);
            }
        }
    }
    if let Some(r) = resolver {
        // Elements defined in layers are completed with the layers the resolver knows.
        let layered: Vec<String> = g
            .elems
            .iter()
            .filter(|e| !e.ghost() && !e.auto && e.layers.iter().any(|l| !l.is_empty()))
            .map(|e| e.id.clone())
            .collect::<BTreeSet<String>>()
            .into_iter()
            .collect();
        if !layered.is_empty() {
            for (i, t) in r.resolve(&layered).iter().enumerate() {
                g.add_document(&format!("layers[{i}]"), t, &resolve_opts, true);
            }
        }
    }
    let undefined = undefined_refs(&g);
    let mut unresolved = Vec::new();
    for (dtmi, refs) in &undefined {
        let mut from = Vec::new();
        for (e, line) in refs {
            let el = &g.elems[*e];
            from.push((g.elems[el.top].id.clone(), g.loc(el.doc, *line)));
            let d = Diag::new("unresolvedReference")
                .primary(el.id.clone())
                .secondary(dtmi.clone())
                .at(g.loc(el.doc, *line));
            g.diags.push(d);
        }
        unresolved.push(Unresolved {
            dtmi: dtmi.clone(),
            referenced_from: from,
        });
    }
    if undefined.is_empty() {
        crate::checks::run(&mut g);
    }
    let mut diagnostics: Vec<Diagnostic> = g.diags.drain(..).map(Diag::finish).collect();
    for d in &mut diagnostics {
        if d.validation_id == "dtmi:dtdl:parsingError:unresolvedReference" {
            d.validation_id = "dtmi:dtdl:resolutionError:unresolvedReference".into();
            let target = d.secondary_id.clone().unwrap_or_default();
            d.cause = format!(
                "{} refers to {target}, which is not defined in the models and could not be resolved.",
                crate::diagnostic::render_id(d.primary_id.as_deref().unwrap_or(""), "n")
            );
            d.action = format!(
                "Add the definition of {target} to the models, or provide it through the resolver."
            );
        }
    }
    let models = crate::typed::build(&g);
    let parsed = Parsed {
        models,
        diagnostics,
        unresolved,
        element_count: g.elems.iter().filter(|e| !e.ghost()).count(),
    };
    (parsed, g)
}

/// DTMIs referenced where an element is expected but defined nowhere, with (element, line) of each reference.
fn undefined_refs(g: &Graph) -> BTreeMap<String, Vec<(usize, u32)>> {
    let m = meta();
    let mut out: BTreeMap<String, Vec<(usize, u32)>> = BTreeMap::new();
    for (i, e) in g.elems.iter().enumerate() {
        if e.ghost() {
            continue;
        }
        for (_, vals, _) in &e.props {
            for v in vals {
                if let PVal::Ref(id, line) = v {
                    if g.by_id.contains_key(id) || m.elements.contains_key(id) || is_reserved(id) {
                        continue;
                    }
                    if e.class == "Relationship"
                        && e.get("target")
                            .iter()
                            .any(|t| matches!(t, PVal::Ref(x, _) if x == id))
                    {
                        continue;
                    }
                    out.entry(id.clone()).or_default().push((i, *line));
                }
            }
        }
    }
    out
}

fn is_reserved(id: &str) -> bool {
    meta()
        .reserved
        .values()
        .flatten()
        .any(|p| id.starts_with(p.as_str()))
}
