//! Parsing diagnostics: identity, location and human cause/action text
//! rendered from the DTDL parsing-error message catalog.

mod phrase;

pub use phrase::render_id;

use std::fmt;

/// A place in an input document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The document name given in [`crate::Document`].
    pub document: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// One problem found in a model set.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// The DTDL parsing-error ValidationID, e.g. `dtmi:dtdl:parsingError:invalidId`.
    pub validation_id: String,
    /// The element at fault.
    pub primary_id: Option<String>,
    /// A second element involved.
    pub secondary_id: Option<String>,
    /// The property at fault.
    pub property: Option<String>,
    /// The offending value.
    pub value: Option<String>,
    /// Where it is.
    pub location: Option<Location>,
    /// What is wrong.
    pub cause: String,
    /// What to do about it.
    pub action: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = &self.location {
            write!(f, "{}:{}: ", l.document, l.line)?;
        }
        write!(f, "{} / {}", self.cause, self.action)
    }
}

/// Builder for a [`Diagnostic`] with the extra template parameters the catalog uses.
#[derive(Debug, Clone, Default)]
pub struct Diag {
    id: &'static str,
    primary: Option<String>,
    secondary: Option<String>,
    property: Option<String>,
    value: Option<String>,
    location: Option<Location>,
    params: Vec<(&'static str, String)>,
}

impl Diag {
    /// The short ValidationID.
    pub fn vid(&self) -> &'static str {
        self.id
    }
    /// The same diagnostic under another ValidationID.
    pub fn renamed(mut self, id: &'static str) -> Diag {
        self.id = id;
        self
    }
    /// Starts a diagnostic with the short ValidationID (`invalidId`).
    pub fn new(id: &'static str) -> Diag {
        Diag {
            id,
            ..Diag::default()
        }
    }
    /// Sets the primary element id.
    pub fn primary(mut self, id: impl Into<String>) -> Diag {
        self.primary = Some(id.into());
        self
    }
    /// Sets the primary element id if any.
    pub fn primary_opt(mut self, id: Option<&str>) -> Diag {
        self.primary = id.map(str::to_string);
        self
    }
    /// Sets the secondary element id.
    pub fn secondary(mut self, id: impl Into<String>) -> Diag {
        self.secondary = Some(id.into());
        self
    }
    /// Sets the property.
    pub fn property(mut self, p: impl Into<String>) -> Diag {
        self.property = Some(p.into());
        self
    }
    /// Sets the value.
    pub fn value(mut self, v: impl Into<String>) -> Diag {
        self.value = Some(v.into());
        self
    }
    /// Adds a template parameter (`type`, `restriction`, `count1`, ...).
    pub fn param(mut self, k: &'static str, v: impl Into<String>) -> Diag {
        self.params.push((k, v.into()));
        self
    }
    /// Sets the location.
    pub fn at(mut self, loc: Option<Location>) -> Diag {
        self.location = loc;
        self
    }
    /// True for an error about an `@type` value.
    pub fn id_is_type_error(&self) -> bool {
        matches!(
            self.id,
            "typeUndefinedTerm"
                | "typeIrrelevantDtmiOrTerm"
                | "typeNotDtmiNorTerm"
                | "typeInvalidDtmi"
        )
    }

    /// True for an `@type` error recorded before the element's id was known.
    pub fn is_unattributed_type_error(&self) -> bool {
        self.primary.is_none() && self.id.starts_with("type") && self.id != "typeNotRootable"
    }
    /// Renders cause and action.
    pub fn finish(self) -> Diagnostic {
        let (cause, action) =
            match crate::generated::messages::MESSAGES.binary_search_by(|m| m.0.cmp(self.id)) {
                Ok(i) => {
                    let m = crate::generated::messages::MESSAGES[i];
                    (self.render(m.1), self.render(m.2))
                }
                Err(_) => (
                    format!("Model violates rule '{}'.", self.id),
                    "Correct the model.".to_string(),
                ),
            };
        Diagnostic {
            validation_id: format!("dtmi:dtdl:parsingError:{}", self.id),
            primary_id: self.primary,
            secondary_id: self.secondary,
            property: self.property,
            value: self.value,
            location: self.location,
            cause,
            action,
        }
    }

    fn lookup(&self, name: &str) -> Option<String> {
        match name {
            "primaryId" => self.primary.clone(),
            "secondaryId" => self.secondary.clone(),
            "property" => self.property.clone(),
            "value" => self.value.clone(),
            _ => self
                .params
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone()),
        }
    }

    fn render(&self, template: &str) -> String {
        let mut out = String::with_capacity(template.len() + 32);
        let mut rest = template;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let Some(end) = rest[start..].find('}') else {
                out.push_str(&rest[start..]);
                return out;
            };
            let token = &rest[start + 1..start + end];
            rest = &rest[start + end + 1..];
            let (name, style) = token.split_once(':').unwrap_or((token, ""));
            if name == "layer" || name.starts_with("line") || name.starts_with("sourceName") {
                continue;
            }
            if let Some(n) = name
                .strip_prefix("item")
                .or_else(|| name.strip_prefix("verb"))
            {
                let count: usize = self
                    .lookup(&format!("count{n}"))
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1);
                let word = match (name.starts_with("verb"), count == 1) {
                    (true, true) => "is",
                    (true, false) => "are",
                    (false, true) => "value",
                    (false, false) => "values",
                };
                let word = if name == "item1" && self.id.ends_with("TooLong") {
                    if count == 1 {
                        "character"
                    } else {
                        "characters"
                    }
                } else {
                    word
                };
                out.push_str(word);
                continue;
            }
            let v = self.lookup(name).unwrap_or_default();
            if style.is_empty() {
                out.push_str(&v);
            } else {
                out.push_str(&render_id(&v, style));
            }
        }
        out.push_str(rest);
        out
    }
}

/// Renders a catalog-style template (`{id:p} property '{prop}'`) with the given parameters.
pub fn render_template(template: &str, params: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let token = &rest[start + 1..start + end];
        rest = &rest[start + end + 1..];
        let (name, style) = token.split_once(':').unwrap_or((token, ""));
        let v = params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        if style.is_empty() {
            out.push_str(v);
        } else {
            out.push_str(&render_id(v, style));
        }
    }
    out.push_str(rest);
    out
}

impl Diagnostic {
    /// The diagnostic as a JSON object (camelCase keys).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "validationId": self.validation_id,
            "primaryId": self.primary_id,
            "secondaryId": self.secondary_id,
            "property": self.property,
            "value": self.value,
            "location": self.location.as_ref().map(|l| serde_json::json!({"document": l.document, "line": l.line, "column": l.column})),
            "cause": self.cause,
            "action": self.action,
        })
    }
}
