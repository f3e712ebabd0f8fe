//! JSON-LD `@context` processing: the DTDL version, extension and affiliate
//! contexts, modeling limits, and the resulting term definitions.

mod local;

use crate::diagnostic::Diag;
use crate::json::{Node, Val};
use crate::meta::meta;
use std::sync::Arc;

/// The active context of an element.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    /// DTDL major version (2, 3 or 4).
    pub version: u8,
    /// Context DTMIs in effect, DTDL context first.
    pub ids: Vec<String>,
    /// Limit spec key (`aio_1`) or "" for the default limits.
    pub limits: String,
    /// Undefined extension contexts named (allowed when extensions may be undefined).
    pub undefined: Vec<String>,
    /// Whether undefined extension terms and types are tolerated.
    pub allow_undefined: bool,
    /// Whether the caller explicitly allowed undefined extensions.
    pub allow_explicit: bool,
}

impl Ctx {
    /// The IRI a term maps to in this context, later contexts winning.
    pub fn term(&self, term: &str) -> Option<&'static str> {
        let m = meta();
        self.ids.iter().rev().find_map(|c| {
            m.contexts
                .get(c)
                .and_then(|t| t.get(term))
                .map(String::as_str)
        })
    }
    /// The reserved id prefixes of this context.
    pub fn reserved_prefixes(&self) -> Vec<&'static str> {
        let m = meta();
        self.ids
            .iter()
            .filter_map(|c| m.reserved.get(c))
            .flatten()
            .map(String::as_str)
            .collect()
    }
}

/// Options that affect context processing.
#[derive(Debug, Clone)]
pub struct CtxOptions {
    /// Whether unknown extension contexts are tolerated (`None`: version default).
    pub allow_undefined_extensions: Option<bool>,
    /// Highest DTDL version accepted.
    pub max_version: u8,
    /// Extension limit contexts models may name (`None`: every one the parser knows).
    pub acceptable_limits: Option<Arc<[String]>>,
}

impl CtxOptions {
    /// Whether limit context `id` is among the acceptable ones: an entry without a
    /// version accepts every version, one with a version its major version at
    /// that minor version or later.
    fn accepts_limit(&self, id: &crate::dtmi::Dtmi) -> bool {
        let Some(list) = &self.acceptable_limits else {
            return true;
        };
        list.iter().any(|a| match crate::dtmi::Dtmi::parse(a) {
            Some(d) if d.major != 0 || a.contains(';') => {
                d.versionless() == id.versionless() && d.major == id.major && id.minor >= d.minor
            }
            _ => a == &id.versionless(),
        })
    }
}

/// Processes the `@context` of an element; `outer` is the enclosing context.
pub fn process(
    node: &Node,
    outer: Option<&Arc<Ctx>>,
    opts: &CtxOptions,
    errs: &mut Vec<Diag>,
) -> Option<Arc<Ctx>> {
    let items: Vec<&Node> = match &node.v {
        Val::Arr(a) => a.iter().collect(),
        _ => vec![node],
    };
    if items.is_empty() || matches!(&node.v, Val::Str(s) if s.is_empty()) {
        if let Some(o) = outer {
            return Some(o.clone());
        }
        errs.push(Diag::new("emptyContext"));
        return None;
    }
    let m = meta();
    let mut ctx = outer.map(|o| (**o).clone()).unwrap_or_default();
    let top = outer.is_none();
    let mut saw_affiliate = false;
    let mut saw_other = false;
    let mut limit_missed = false;
    let mut affiliate_first = false;
    // A top-level context may open with an affiliate, but must then name the DTDL context.
    let mut needs_dtdl = false;
    let mut limitless = false;
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let s = match &item.v {
            Val::Str(s) => s.as_str(),
            Val::Obj(members) => {
                let v = if ctx.version == 0 { 2 } else { ctx.version };
                errs.push(Diag::new("disallowedLocalContext").param("restriction", v.to_string()));
                local::check(members, i + 1 == items.len(), errs);
                ok = false;
                continue;
            }
            _ => {
                errs.push(Diag::new("invalidContext").value(crate::parser::json_text(item)));
                ok = false;
                continue;
            }
        };
        if !s.starts_with("dtmi:") {
            errs.push(Diag::new("nonDtmiContextSpecifier").value(s));
            ok = false;
            continue;
        }
        let (base, frag) = match s.find('#') {
            Some(p) => (&s[..p], &s[p..]),
            None => (s, ""),
        };
        let Some(d) = crate::dtmi::Dtmi::parse(base) else {
            errs.push(Diag::new("invalidContextSpecifier").value(s));
            ok = false;
            continue;
        };
        if d.major == 0 {
            errs.push(Diag::new("invalidContextSpecifierForVersion").value(s));
            errs.push(Diag::new("missingContextVersion").value(s));
            ok = false;
            continue;
        }
        let versionless = d.versionless();
        if versionless == "dtmi:dtdl:context" {
            // Nested, the DTDL context must come before any other context it lists.
            if saw_affiliate && !affiliate_first || saw_other && !top {
                errs.push(Diag::new("dtdlContextFollowsAffiliate").value(s));
                ok = false;
                continue;
            }
            if !m.contexts.contains_key(base) {
                if d.minor != 0 {
                    errs.push(
                        Diag::new("invalidContextSpecifierForVersion")
                            .value(s)
                            .param("restriction", d.major.to_string()),
                    );
                } else {
                    errs.push(Diag::new("unrecognizedContextVersion").value(s));
                }
                ok = false;
                continue;
            }
            let v = u8::try_from(d.major).unwrap_or(0);
            if v > opts.max_version {
                errs.push(
                    Diag::new("disallowedContextVersion")
                        .value(s)
                        .param("restriction", opts.max_version.to_string()),
                );
                ok = false;
                continue;
            }
            if !frag.is_empty() {
                if v < 4 {
                    errs.push(
                        Diag::new("disallowedContextFragment")
                            .value(s)
                            .param("restriction", v.to_string()),
                    );
                    ok = false;
                    continue;
                }
                if frag != "#limitless" && frag != "#limits" {
                    errs.push(Diag::new("invalidContextFragment").value(s));
                    ok = false;
                    continue;
                }
                if frag == "#limits" {
                    if !limitless {
                        errs.push(Diag::new("misplacedLimitContext").value(s));
                        ok = false;
                        continue;
                    }
                    limitless = false;
                    ctx.limits = String::new();
                    continue;
                }
                limitless = true;
            } else if limitless {
                // A plain DTDL context after `#limitless` restores the default limits.
                limitless = false;
                ctx.limits = String::new();
            }
            needs_dtdl = false;
            ctx.version = v;
            ctx.ids.retain(|c| !c.starts_with("dtmi:dtdl:context;"));
            ctx.ids.insert(0, base.to_string());
            continue;
        }
        saw_other = true;
        if ctx.version == 0 {
            // An affiliate context may come first: it implies its DTDL version.
            if let Some(av) = m.affiliates.get(base) {
                ctx.version = *av;
                ctx.ids.insert(0, format!("dtmi:dtdl:context;{av}"));
                ctx.ids.push(base.to_string());
                saw_affiliate = true;
                affiliate_first = true;
                needs_dtdl = top;
                continue;
            }
            errs.push(Diag::new("missingDtdlContext"));
            return None;
        }
        let _ = (top, i);
        if !frag.is_empty() {
            // Only the DTDL context takes fragments; elsewhere the specifier itself is invalid.
            errs.push(Diag::new("invalidContextSpecifier").value(s));
            ok = false;
            limitless = false;
            continue;
        }
        if let Some((lv, spec)) = m.limit_contexts.get(base) {
            if limit_missed {
                continue;
            }
            if !limitless || *lv != ctx.version {
                errs.push(Diag::new("misplacedLimitContext").value(s));
                ok = false;
                continue;
            }
            limitless = false;
            if !opts.accepts_limit(&d) {
                errs.push(Diag::new("disallowedLimitContext").value(s));
                ok = false;
                continue;
            }
            ctx.limits = spec.clone();
            continue;
        }
        if limitless {
            // Reported once, unless an earlier context was already at fault.
            if ok {
                errs.push(
                    Diag::new("missingLimitContext")
                        .value(ctx.ids.first().cloned().unwrap_or_default() + "#limitless")
                        .param("restriction", ctx.version.to_string()),
                );
            }
            ok = false;
            limitless = false;
            limit_missed = true;
        }
        if d.minor != 0 && ctx.version < 3 {
            errs.push(
                Diag::new("invalidContextSpecifierForVersion")
                    .value(s)
                    .param("restriction", ctx.version.to_string()),
            );
            ok = false;
            continue;
        }
        if m.affiliates.contains_key(base) {
            // An affiliate context defines its terms in any DTDL version; its types
            // say themselves which versions they may co-type (invalidCotypeVersion).
            saw_affiliate = true;
        } else if m.contexts.contains_key(base) {
        } else {
            let known_name = m
                .contexts
                .keys()
                .any(|k| crate::dtmi::split_version(k).0 == crate::dtmi::split_version(base).0);
            let allow = opts.allow_undefined_extensions.unwrap_or(ctx.version == 2);
            if allow {
                ctx.undefined.push(base.to_string());
            } else if known_name {
                errs.push(Diag::new("unresolvableContextVersion").value(s));
                ok = false;
            } else {
                errs.push(Diag::new("unresolvableContextSpecifier").value(s));
                ok = false;
            }
            continue;
        }
        if !ctx.ids.iter().any(|c| c == base) {
            ctx.ids.push(base.to_string());
        }
    }
    if limitless {
        errs.push(
            Diag::new("missingLimitContext")
                .value(ctx.ids.first().cloned().unwrap_or_default() + "#limitless")
                .param("restriction", ctx.version.to_string()),
        );
        ok = false;
    }
    if needs_dtdl {
        errs.push(Diag::new("missingDtdlContext"));
        return None;
    }
    ctx.allow_undefined = opts.allow_undefined_extensions.unwrap_or(ctx.version == 2);
    ctx.allow_explicit = opts.allow_undefined_extensions == Some(true);
    if ctx.version == 0 {
        if ok {
            errs.push(Diag::new("missingDtdlContext"));
        }
        return None;
    }
    if !ok {
        return None;
    }
    Some(Arc::new(ctx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_contexts_define_terms() {
        let n =
            crate::json::parse(r#"["dtmi:dtdl:context;3", "dtmi:dtdl:extension:mqtt;3"]"#).unwrap();
        let mut errs = Vec::new();
        let c = process(
            &n,
            None,
            &CtxOptions {
                allow_undefined_extensions: None,
                max_version: 4,
                acceptable_limits: None,
            },
            &mut errs,
        )
        .unwrap();
        assert!(errs.is_empty());
        assert_eq!(
            c.term("payloadFormat"),
            Some("dtmi:dtdl:extension:mqtt:v3:Mqtt:payloadFormat"),
            "{:?}",
            c.ids
        );
    }
}
