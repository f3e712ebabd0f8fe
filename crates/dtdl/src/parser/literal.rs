//! Checks of literal property values: strings, integers, booleans,
//! language-tagged strings, identifiers and JSON-LD value objects.

use super::{Graph, PVal};
use crate::diagnostic::Diag;
use crate::json::{Node, Val};
use crate::meta::{Prop, PropVersion, SupProp, limit};

/// Checks the literal values of material property `pname` and returns them.
#[allow(clippy::too_many_arguments)]
pub fn check(
    g: &mut Graph,
    idx: usize,
    pname: &str,
    p: &Prop,
    pv: &PropVersion,
    val: &Node,
    doc: usize,
    line: u32,
) -> Vec<PVal> {
    let pid = g.elems[idx].id.clone();
    let version = g.elems[idx].version;
    let limits = g.elems[idx].ctx.limits.clone();
    let dt = p.datatype.as_deref().unwrap_or(if pname == "enumValue" {
        "any"
    } else {
        "identifier"
    });
    if dt == "langString" {
        lang_string(g, &pid, pname, pv, val, doc, line, &limits, version);
        return vec![PVal::Lit(val.clone())];
    }
    let items: Vec<&Node> = match &val.v {
        Val::Arr(a) => a.iter().collect(),
        _ => vec![val],
    };
    let fam = family(dt);
    let given = items.len();
    let mut out = Vec::new();
    for it in items {
        let Some(lit) = unwrap_value_object(g, &pid, pname, it, fam, doc, version) else {
            continue;
        };
        let ok = match (dt, &lit.v) {
            ("string", Val::Str(s)) => {
                if let Some(max) = limit(&pv.max_length, &limits)
                    && s.chars().count() > max
                {
                    g.push(
                        Diag::new("stringTooLong")
                            .primary(pid.clone())
                            .property(pname)
                            .value(s.clone())
                            .param("count1", max.to_string()),
                        doc,
                        lit.line,
                    );
                    continue;
                }
                if pv.name_pattern && !crate::dtmi::user_segment(s) {
                    g.push(
                        Diag::new("stringInvalid")
                            .primary(pid.clone())
                            .property(pname)
                            .value(s.clone()),
                        doc,
                        lit.line,
                    );
                    continue;
                }
                true
            }
            ("integer", Val::Num(_, raw)) if is_int(raw) => {
                let n: i64 = raw.parse().unwrap_or(i64::MAX);
                if n > i64::from(i32::MAX) || n < i64::from(i32::MIN) {
                    let d = if n > 0 {
                        "valueAboveRange"
                    } else {
                        "valueBelowRange"
                    };
                    g.push(
                        Diag::new(d)
                            .primary(pid.clone())
                            .property(pname)
                            .value(raw.clone())
                            .param("restriction", "int"),
                        doc,
                        lit.line,
                    );
                    continue;
                }
                match (pv.min_inclusive, pv.max_inclusive) {
                    (Some(lo), Some(hi)) if lo == hi && n != lo => {
                        g.push(
                            Diag::new("valueNotExact")
                                .primary(pid.clone())
                                .property(pname)
                                .value(raw.clone())
                                .param("restriction", lo.to_string()),
                            doc,
                            lit.line,
                        );
                        continue;
                    }
                    (Some(lo), _) if n < lo => {
                        if n < 0 {
                            // Below the datatype's range (non-negative) as well as the minimum.
                            g.push(
                                Diag::new("valueBelowRange")
                                    .primary(pid.clone())
                                    .property(pname)
                                    .value(raw.clone()),
                                doc,
                                lit.line,
                            );
                        }
                        g.push(
                            Diag::new("valueBelowMin")
                                .primary(pid.clone())
                                .property(pname)
                                .value(raw.clone())
                                .param("restriction", lo.to_string()),
                            doc,
                            lit.line,
                        );
                        continue;
                    }
                    (_, Some(hi)) if n > hi => {
                        // DTDL v2 states the bound as the datatype's range.
                        let vid = if version == 2 {
                            "valueAboveRange"
                        } else {
                            "valueAboveMax"
                        };
                        g.push(
                            Diag::new(vid)
                                .primary(pid.clone())
                                .property(pname)
                                .value(raw.clone())
                                .param("restriction", hi.to_string()),
                            doc,
                            lit.line,
                        );
                        continue;
                    }
                    _ => true,
                }
            }
            ("boolean", Val::Bool(_)) => true,
            ("any", Val::Str(_) | Val::Num(..)) => true,
            ("identifier", Val::Str(s)) => {
                let t = g.elems[idx].ctx.term(s).map(str::to_string);
                let sref = t.as_deref().unwrap_or(s);
                if !crate::dtmi::is_valid_identifier(sref, version) {
                    g.push(
                        Diag::new("identifierNotDtmi")
                            .primary(pid.clone())
                            .property(pname)
                            .value(s.clone()),
                        doc,
                        lit.line,
                    );
                    continue;
                }
                if let Some(max) = limit(&pv.max_length, &limits)
                    && s.len() > max
                {
                    g.push(
                        Diag::new("identifierTooLong")
                            .primary(pid.clone())
                            .property(pname)
                            .value(s.clone())
                            .param("count1", max.to_string()),
                        doc,
                        lit.line,
                    );
                    continue;
                }
                out.push(PVal::Ref(sref.to_string(), lit.line));
                false
            }
            _ => {
                let vid = match dt {
                    "string" => "stringNotString",
                    "integer" => "integerNotInteger",
                    "boolean" => "booleanNotBoolean",
                    "identifier" => "identifierNotString",
                    _ => "literalNotValid",
                };
                g.push(
                    Diag::new(vid).primary(pid.clone()).property(pname),
                    doc,
                    lit.line,
                );
                continue;
            }
        };
        if ok {
            out.push(PVal::Lit(lit.clone()));
        }
    }
    let n = out.len();
    if n > 1 && (!p.plural || pv.max_count == Some(1)) {
        g.push(
            Diag::new(match fam {
                "string" => "stringMultipleValues",
                "integer" => "integerMultipleValues",
                "boolean" => "booleanMultipleValues",
                "identifier" => "identifierMultipleValues",
                _ => "literalTypeNotSingular",
            })
            .primary(pid.clone())
            .property(pname),
            doc,
            line,
        );
    }
    if let Some(min) = pv.min_count
        && given < min
    {
        let vid = match fam {
            "integer" => "integerCountBelowMin",
            "boolean" => "booleanCountBelowMin",
            "identifier" => "identifierCountBelowMin",
            _ => "stringCountBelowMin",
        };
        g.push(
            Diag::new(vid)
                .primary(pid)
                .property(pname)
                .param("count1", given.to_string())
                .param("count2", min.to_string()),
            doc,
            line,
        );
    }
    out
}

fn family(dt: &str) -> &str {
    match dt {
        "string" | "integer" | "boolean" | "identifier" => dt,
        _ => "literal",
    }
}

fn is_int(raw: &str) -> bool {
    !raw.contains(['.', 'e', 'E'])
}

/// Unwraps a JSON-LD value object (`{"@value": ...}`), reporting misuse.
fn unwrap_value_object<'a>(
    g: &mut Graph,
    pid: &str,
    pname: &str,
    it: &'a Node,
    fam: &str,
    doc: usize,
    version: u8,
) -> Option<&'a Node> {
    let Val::Obj(members) = &it.v else {
        return Some(it);
    };
    let restricts = version >= 3;
    if fam == "identifier" {
        g.push(
            Diag::new("identifierNotString")
                .primary(pid)
                .property(pname),
            doc,
            it.line,
        );
        return None;
    }
    for (k, l, _) in members {
        let vid = match k.as_str() {
            "@value" | "@type" => continue,
            "@context" => "valueObjectContext",
            "@graph" => "valueObjectGraph",
            "@id" => "valueObjectId",
            "@language" if !restricts => continue,
            "@language" => "valueObjectLanguage",
            k if k.starts_with('@') && !restricts => continue,
            k if k.starts_with('@') => "valueObjectKeyword",
            _ => "valueObjectInvalidProp",
        };
        g.push(
            Diag::new(vid).primary(pid).property(pname).value(k.clone()),
            doc,
            *l,
        );
        // A plain object with no `@value` also lacks the value itself.
        let no_value = match fam {
            "string" => Some("stringObjectNoValue"),
            "integer" => Some("integerObjectNoValue"),
            "boolean" => Some("booleanObjectNoValue"),
            _ => None,
        };
        if let Some(nv) =
            no_value.filter(|_| vid == "valueObjectInvalidProp" && it.get("@value").is_none())
        {
            g.push(Diag::new(nv).primary(pid).property(pname), doc, it.line);
        }
        return None;
    }
    let prefix = match fam {
        "string" | "integer" | "boolean" => fam,
        _ => "literal",
    };
    let Some(v) = it.get("@value") else {
        let vid = match prefix {
            "string" => "stringObjectNoValue",
            "integer" => "integerObjectNoValue",
            "boolean" => "booleanObjectNoValue",
            _ => "literalObjectNoValue",
        };
        g.push(Diag::new(vid).primary(pid).property(pname), doc, it.line);
        return None;
    };
    if let Some(t) = it.get("@type") {
        let want = match prefix {
            "string" => "xsd:string",
            "integer" => "xsd:integer",
            "boolean" => "xsd:boolean",
            _ => "",
        };
        if matches!(&t.v, Val::Arr(a) if a.len() > 1) {
            g.push(
                Diag::new("literalTypeNotSingular")
                    .primary(pid)
                    .property(pname),
                doc,
                t.line,
            );
            return None;
        }
        let tv = match &t.v {
            Val::Arr(a) if a.len() == 1 => a[0].as_str().unwrap_or(""),
            _ => t.as_str().unwrap_or(""),
        };
        let full = tv.replace("http://www.w3.org/2001/XMLSchema#", "xsd:");
        if !want.is_empty() && full != want {
            let vid = match prefix {
                "string" => "stringTypeNotString",
                "integer" => "integerTypeNotInteger",
                _ => "booleanTypeNotBoolean",
            };
            g.push(Diag::new(vid).primary(pid).property(pname), doc, t.line);
            return None;
        }
    }
    let typed = it
        .get("@type")
        .and_then(Node::as_str)
        .map(|t| t.replace("http://www.w3.org/2001/XMLSchema#", "xsd:"));
    let prefix = match (prefix, typed.as_deref()) {
        ("literal", Some("xsd:boolean")) => "boolean",
        ("literal", Some("xsd:integer" | "xsd:int")) => "integer",
        ("literal", Some("xsd:string")) => "string",
        (p, _) => p,
    };
    let ok = match (prefix, &v.v) {
        ("string", Val::Str(_)) | ("boolean", Val::Bool(_)) => true,
        ("integer", Val::Num(_, raw)) => is_int(raw),
        ("literal", _) => true,
        _ => false,
    };
    if fam == "literal" && (!ok || prefix == "boolean") {
        if !ok {
            let vid = match prefix {
                "string" => "stringValueNotString",
                "integer" => "integerValueNotInteger",
                _ => "booleanValueNotBoolean",
            };
            g.push(Diag::new(vid).primary(pid).property(pname), doc, v.line);
        }
        g.push(
            Diag::new("literalNotValid").primary(pid).property(pname),
            doc,
            it.line,
        );
        return None;
    }
    if !ok {
        let vid = match prefix {
            "string" => "stringValueNotString",
            "integer" => "integerValueNotInteger",
            _ => "booleanValueNotBoolean",
        };
        g.push(Diag::new(vid).primary(pid).property(pname), doc, v.line);
        return None;
    }
    Some(v)
}

#[allow(clippy::too_many_arguments)]
fn lang_string(
    g: &mut Graph,
    pid: &str,
    pname: &str,
    pv: &PropVersion,
    val: &Node,
    doc: usize,
    line: u32,
    limits: &str,
    version: u8,
) {
    let max = limit(&pv.max_length, limits);
    let too_long = |s: &str| max.is_some_and(|m| s.chars().count() > m);
    match &val.v {
        Val::Str(s) => {
            if too_long(s) {
                g.push(
                    Diag::new("langStringValueTooLong")
                        .primary(pid)
                        .property(pname)
                        .value(s.clone())
                        .param("count1", max.unwrap_or(0).to_string()),
                    doc,
                    val.line,
                );
            }
        }
        Val::Obj(members) => {
            if val.get("@value").is_some()
                && val.get("@language").is_some()
                && members.iter().all(|(k, _, _)| k.starts_with('@'))
            {
                // A language-tagged value where a language map belongs.
                g.push(
                    Diag::new("langTagValueInLangMap")
                        .primary(pid)
                        .property(pname),
                    doc,
                    val.line,
                );
                return;
            }
            for (k, l, v) in members {
                if k.starts_with('@') {
                    g.push(
                        Diag::new("langMapObjKeyword")
                            .primary(pid)
                            .property(pname)
                            .value(k.clone()),
                        doc,
                        *l,
                    );
                    continue;
                }
                if !valid_lang(k) {
                    g.push(
                        Diag::new("langStringInvalidCode")
                            .primary(pid)
                            .property(pname)
                            .value(k.clone()),
                        doc,
                        *l,
                    );
                    continue;
                }
                match &v.v {
                    Val::Str(s) if too_long(s) => {
                        g.push(
                            Diag::new("langStringValueTooLong")
                                .primary(pid)
                                .property(pname)
                                .value(s.clone())
                                .param("count1", max.unwrap_or(0).to_string()),
                            doc,
                            v.line,
                        );
                    }
                    Val::Str(_) => {}
                    _ => g.push(
                        Diag::new("langStringValueNotString")
                            .primary(pid)
                            .property(pname),
                        doc,
                        v.line,
                    ),
                }
            }
        }
        Val::Arr(a) => {
            let mut seen = Vec::new();
            for it in a {
                match &it.v {
                    Val::Str(s) => {
                        if seen.contains(&"en".to_string()) {
                            g.push(
                                Diag::new("langStringElementCodeNotUnique")
                                    .primary(pid)
                                    .property(pname)
                                    .value("en"),
                                doc,
                                it.line,
                            );
                        }
                        seen.push("en".into());
                        if too_long(s) {
                            g.push(
                                Diag::new("langStringValueTooLong")
                                    .primary(pid)
                                    .property(pname)
                                    .value(s.clone())
                                    .param("count1", max.unwrap_or(0).to_string()),
                                doc,
                                it.line,
                            );
                        }
                    }
                    Val::Obj(_) => lang_element(g, pid, pname, it, doc, &mut seen, max, version),
                    _ => g.push(
                        Diag::new("langStringElementNotStringOrObject")
                            .primary(pid)
                            .property(pname),
                        doc,
                        it.line,
                    ),
                }
            }
        }
        _ => {
            g.push(
                Diag::new("langStringNotLangString")
                    .primary(pid)
                    .property(pname),
                doc,
                line,
            );
            g.push(
                Diag::new("langStringElementNotStringOrObject")
                    .primary(pid)
                    .property(pname),
                doc,
                line,
            );
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn lang_element(
    g: &mut Graph,
    pid: &str,
    pname: &str,
    it: &Node,
    doc: usize,
    seen: &mut Vec<String>,
    max: Option<usize>,
    version: u8,
) {
    for (k, l, _) in it.members().unwrap_or_default() {
        let vid = match k.as_str() {
            "@value" | "@language" => continue,
            "@type" | "@index" | "@direction" if version < 3 => continue,
            k if k.starts_with('@')
                && version < 3
                && k != "@context"
                && k != "@graph"
                && k != "@id" =>
            {
                continue;
            }
            "@context" => "langStringElementContext",
            "@graph" => "langStringElementGraph",
            "@id" => "langStringElementId",
            "@type" => "langStringElementType",
            k if k.starts_with('@') => "langStringElementKeyword",
            _ => "langStringElementInvalidProp",
        };
        g.push(
            Diag::new(vid).primary(pid).property(pname).value(k.clone()),
            doc,
            *l,
        );
        if vid == "langStringElementInvalidProp" && it.get("@value").is_none() {
            g.push(
                Diag::new("langStringElementNoValue")
                    .primary(pid)
                    .property(pname),
                doc,
                it.line,
            );
        }
        return;
    }
    let Some(v) = it.get("@value") else {
        g.push(
            Diag::new("langStringElementNoValue")
                .primary(pid)
                .property(pname),
            doc,
            it.line,
        );
        return;
    };
    let Some(s) = v.as_str() else {
        g.push(
            Diag::new("langStringElementValueNotString")
                .primary(pid)
                .property(pname),
            doc,
            v.line,
        );
        return;
    };
    let code = match it.get("@language") {
        None => "en".to_string(),
        Some(c) => match c.as_str() {
            Some(c) => c.to_string(),
            None => {
                g.push(
                    Diag::new("langStringElementCodeNotString")
                        .primary(pid)
                        .property(pname),
                    doc,
                    c.line,
                );
                g.push(
                    Diag::new("langStringElementInvalidCode")
                        .primary(pid)
                        .property(pname)
                        .value(crate::parser::json_text(c)),
                    doc,
                    c.line,
                );
                return;
            }
        },
    };
    if !valid_lang(&code) {
        g.push(
            Diag::new("langStringElementInvalidCode")
                .primary(pid)
                .property(pname)
                .value(code),
            doc,
            it.line,
        );
        return;
    }
    if seen.contains(&code) {
        g.push(
            Diag::new("langStringElementCodeNotUnique")
                .primary(pid)
                .property(pname)
                .value(code.clone()),
            doc,
            it.line,
        );
    }
    seen.push(code);
    if max.is_some_and(|m| s.chars().count() > m) {
        g.push(
            Diag::new("langStringValueTooLong")
                .primary(pid)
                .property(pname)
                .value(s)
                .param("count1", max.unwrap_or(0).to_string()),
            doc,
            v.line,
        );
    }
}

/// BCP 47-ish: letters, then `-`-separated alphanumeric subtags.
fn valid_lang(code: &str) -> bool {
    let mut parts = code.split('-');
    let first = parts.next().unwrap_or("");
    (2..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Checks a value of a property added by a supplemental type.
pub fn check_supplemental(
    g: &mut Graph,
    idx: usize,
    sp: &SupProp,
    val: &Node,
    doc: usize,
    line: u32,
) -> Vec<PVal> {
    let pid = g.elems[idx].id.clone();
    let ctx = g.elems[idx].ctx.clone();
    let items: Vec<&Node> = match &val.v {
        Val::Arr(a) => a.iter().collect(),
        _ => vec![val],
    };
    let xsd = sp
        .type_iri
        .as_deref()
        .and_then(|t| t.strip_prefix("http://www.w3.org/2001/XMLSchema#"));
    let mut out = Vec::new();
    for it in items {
        match (xsd, &it.v) {
            (Some("string"), Val::Str(s)) => {
                if sp.max_length.is_some_and(|m| s.chars().count() > m) {
                    g.push(
                        Diag::new("stringTooLong")
                            .primary(pid.clone())
                            .property(sp_iri_name(sp, &ctx))
                            .value(s.clone())
                            .param("count1", sp.max_length.unwrap_or(0).to_string()),
                        doc,
                        it.line,
                    );
                    continue;
                }
                if sp
                    .pattern
                    .as_deref()
                    .is_some_and(|p| !crate::pattern::matches(p, s))
                {
                    g.push(
                        Diag::new("stringInvalid")
                            .primary(pid.clone())
                            .property(sp_iri_name(sp, &ctx))
                            .value(s.clone()),
                        doc,
                        it.line,
                    );
                    continue;
                }
                out.push(PVal::Lit(it.clone()));
            }
            (Some("integer" | "int" | "long"), Val::Num(_, raw)) if is_int(raw) => {
                let n: f64 = raw.parse().unwrap_or(0.0);
                if sp.min_inclusive.is_some_and(|m| n < m) {
                    g.push(
                        Diag::new("valueBelowMin")
                            .primary(pid.clone())
                            .property(sp.name.clone())
                            .value(raw.clone())
                            .param("restriction", sp.min_inclusive.unwrap_or(0.0).to_string()),
                        doc,
                        it.line,
                    );
                    continue;
                }
                out.push(PVal::Lit(it.clone()));
            }
            (Some("double" | "float" | "decimal"), Val::Num(..)) => out.push(PVal::Lit(it.clone())),
            (Some("boolean"), Val::Bool(_)) => out.push(PVal::Lit(it.clone())),
            (Some("duration"), Val::Str(s)) => {
                if !crate::instance::is_duration(s) {
                    g.push(
                        Diag::new("durationInvalid")
                            .primary(pid.clone())
                            .property(sp.name.clone())
                            .value(s.clone()),
                        doc,
                        it.line,
                    );
                    continue;
                }
                out.push(PVal::Lit(it.clone()));
            }
            (Some(t), _) => {
                let vid = match t {
                    "string" => "stringNotString",
                    "integer" | "int" | "long" => "integerNotInteger",
                    "boolean" => "booleanNotBoolean",
                    "duration" => "durationNotString",
                    _ => "numericNotNumeric",
                };
                g.push(
                    Diag::new(vid)
                        .primary(pid.clone())
                        .property(sp.name.clone()),
                    doc,
                    it.line,
                );
            }
            (None, Val::Str(s)) => {
                // A term naming an element (a unit) or an IRI.
                let m = crate::meta::meta();
                let target = ctx.term(s).map(str::to_string).unwrap_or_else(|| s.clone());
                if ctx.term(s).is_none() && crate::dtmi::Dtmi::parse(s).is_none() {
                    g.push(
                        Diag::new("badDtmiOrTerm")
                            .primary(pid.clone())
                            .property(sp.name.clone())
                            .value(s.clone())
                            .param("restriction", ctx.version.to_string()),
                        doc,
                        it.line,
                    );
                    continue;
                }
                if let Some(fam) = &sp.child_of {
                    let unit_ok = m
                        .families
                        .get(fam)
                        .is_some_and(|f| f.iter().any(|u| u == s));
                    if !unit_ok {
                        let pname = sp_iri_name(sp, &ctx);
                        g.push(
                            Diag::new("badType")
                                .primary(pid.clone())
                                .property(pname.clone())
                                .secondary(target.clone())
                                .value(short(fam))
                                .param("type", short(fam)),
                            doc,
                            it.line,
                        );
                        g.push(
                            Diag::new("wrongParent")
                                .primary(pid.clone())
                                .property(pname)
                                .secondary(target.clone())
                                .value(sp.type_name.clone())
                                .param("restriction", short(fam)),
                            doc,
                            it.line,
                        );
                        continue;
                    }
                } else if let Some(t) = sp
                    .type_iri
                    .as_deref()
                    .filter(|t| t.starts_with("dtmi:standard:class:"))
                {
                    // DTDL v2 units: the standard unit element must have the unit type.
                    let want = short(t);
                    let ok = m.elements.get(&target).is_some_and(|(_, ty)| {
                        *ty == want || want == "Unit" && ty.ends_with("Unit")
                    });
                    if !ok {
                        let pname = sp_iri_name(sp, &ctx);
                        g.push(
                            Diag::new("notRequiredType")
                                .primary(pid.clone())
                                .property(pname.clone())
                                .secondary(target.clone())
                                .param("type", want.clone()),
                            doc,
                            it.line,
                        );
                        continue;
                    }
                }
                out.push(PVal::Ref(target, it.line));
            }
            (None, Val::Obj(_)) => g.push(
                Diag::new("refObjectNotAllowed")
                    .primary(pid.clone())
                    .property(sp_iri_name(sp, &ctx)),
                doc,
                it.line,
            ),
            (None, _) => g.push(
                Diag::new("refNotStringOrObject")
                    .primary(pid.clone())
                    .property(sp.name.clone()),
                doc,
                it.line,
            ),
        }
    }
    if out.len() > 1 && sp.max_count == Some(1) {
        g.push(
            Diag::new("objectMultipleValues")
                .primary(pid)
                .property(sp.name.clone()),
            doc,
            line,
        );
    }
    out
}

/// The IRI of a supplemental property, as the DTDL parser names it in errors.
fn sp_iri_name(sp: &SupProp, ctx: &crate::context::Ctx) -> String {
    ctx.term(&sp.name)
        .map(str::to_string)
        .unwrap_or_else(|| sp.name.clone())
}

fn short(iri: &str) -> String {
    crate::parser::short_type(iri)
}
