//! Local term definitions (JSON objects in `@context`): DTDL disallows them,
//! and DTDLParser also reports what is wrong with each definition.

use crate::diagnostic::Diag;
use crate::json::{Node, Val};
use crate::meta::meta;

/// Reports the problems of one local context object; `last` says whether it ends the context list.
pub(super) fn check(members: &[(String, u32, Node)], last: bool, errs: &mut Vec<Diag>) {
    if !last {
        errs.push(Diag::new("localContextNotLast"));
    }
    let m = meta();
    for (term, _, def) in members {
        if term.is_empty() {
            errs.push(Diag::new("localTermEmpty").property(term.clone()));
        } else if term == "dtmi" {
            errs.push(Diag::new("localTermSchemePrefix").property(term.clone()));
        } else if !term.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            // Terms are plain names: a prefix (`:`) or a JSON-LD keyword (`@context`) is not one.
            errs.push(Diag::new("localTermInvalid").property(term.clone()));
        } else if m
            .contexts
            .iter()
            .any(|(id, c)| id.starts_with("dtmi:dtdl:") && c.contains_key(term))
        {
            errs.push(Diag::new("localTermReserved").property(term.clone()));
        }
        match &def.v {
            Val::Str(s) => definition(term, s, errs),
            Val::Obj(_) => match def.get("@id") {
                None => {
                    errs.push(Diag::new("termDefinitionMissingIdProperty").property(term.clone()))
                }
                Some(i) => match i.as_str() {
                    Some(s) => definition(term, s, errs),
                    None => errs.push(
                        Diag::new("termDefinitionIdPropertyNotString").property(term.clone()),
                    ),
                },
            },
            // A null definition removes a term, which JSON-LD allows.
            Val::Null => {}
            _ => errs.push(Diag::new("termDefinitionNotStringOrObject").property(term.clone())),
        }
    }
}

/// Checks the IRI a term is defined as; a DTMI prefix (ending in `:`) is allowed.
fn definition(term: &str, iri: &str, errs: &mut Vec<Diag>) {
    if let Some(rest) = iri.strip_prefix("dtmi:") {
        let prefix = rest.ends_with(':')
            && rest
                .split(':')
                .all(|seg| seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        if !prefix && crate::dtmi::Dtmi::parse(iri).is_none() {
            errs.push(
                Diag::new("localTermDefinitionInvalidDtmi")
                    .property(term.to_string())
                    .value(iri.to_string()),
            );
        }
    } else if !iri.contains("://") {
        errs.push(
            Diag::new("localTermDefinitionInvalidUri")
                .property(term.to_string())
                .value(iri.to_string()),
        );
    }
}
