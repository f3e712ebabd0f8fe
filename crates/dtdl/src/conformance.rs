//! Runs test cases in the DTDLParser test-case format and measures how far
//! this parser agrees with the expected verdicts and error identities.
//!
//! The crate does no IO: callers read the files under a test-case folder and
//! pass their relative paths (`generated/ArrayV2.json`) and texts.

mod elements;

use crate::dtmi::Dtmi;
use crate::parse::{Document, Options, Resolver, parse_graph};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// One test-case file: its path relative to the test-case root, and its text.
#[derive(Debug, Clone)]
pub struct CaseFile {
    /// Relative path, `folder/Name.json`.
    pub path: String,
    /// File text.
    pub text: String,
}

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRecord {
    /// File path, with `#n` for the n-th case of a file holding a list.
    pub file: String,
    /// Top folder.
    pub folder: String,
    /// DTDL version (0 when not applicable).
    pub version: u8,
    /// Expected verdict.
    pub expected_valid: bool,
    /// Our verdict.
    pub actual_valid: bool,
    /// Whether the verdicts agree.
    pub verdict_agrees: bool,
    /// Expected (ValidationID, PrimaryID) pairs, when the case lists parsingErrors.
    pub expected_errors: Option<Vec<(String, Option<String>)>>,
    /// Our (ValidationID, PrimaryID) pairs.
    pub actual_errors: Vec<(String, Option<String>)>,
    /// Whether the error identities agree (as sets), when the case lists parsingErrors.
    pub errors_agree: Option<bool>,
    /// Whether some error is reported and each is among the listed ones, when the case
    /// lists parsingErrors: DTDLParser's own test criterion, whose lists may name
    /// alternatives that no one parser reports together.
    pub errors_within: Option<bool>,
    /// Instance checks run and how many agreed.
    pub instances: (usize, usize),
    /// Whether the parsed elements match the case's `elements`/`elementCount`, when it gives them.
    pub elements_agree: Option<bool>,
}

/// Totals for one folder and DTDL version.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Number of cases.
    pub cases: usize,
    /// Cases whose verdict agrees.
    pub verdict_agree: usize,
    /// Cases that list parsingErrors.
    pub with_errors: usize,
    /// Of those, cases whose error identities agree.
    pub errors_agree: usize,
    /// Of those, cases whose reported errors are all among the listed ones.
    pub errors_within: usize,
    /// Instance checks listed by the cases (`instances`).
    pub instances: usize,
    /// Instance checks whose outcome agrees.
    pub instances_agree: usize,
    /// Cases that give `elements` or `elementCount`.
    pub with_elements: usize,
    /// Of those, cases whose parsed elements match.
    pub elements_agree: usize,
}

impl Tally {
    /// Verdict agreement in percent.
    pub fn verdict_pct(&self) -> f64 {
        pct(self.verdict_agree, self.cases)
    }
    /// Error-identity agreement in percent (100 when no case lists errors).
    pub fn errors_pct(&self) -> f64 {
        pct(self.errors_agree, self.with_errors)
    }
    /// Cases whose reported errors all are among the listed ones, in percent.
    pub fn errors_within_pct(&self) -> f64 {
        pct(self.errors_within, self.with_errors)
    }
    /// Instance-validation agreement in percent (100 when there are none).
    pub fn instances_pct(&self) -> f64 {
        pct(self.instances_agree, self.instances)
    }
    /// Element agreement in percent (100 when no case gives elements).
    pub fn elements_pct(&self) -> f64 {
        pct(self.elements_agree, self.with_elements)
    }
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        100.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

/// The result of a conformance run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Totals by (folder, version).
    pub tallies: BTreeMap<(String, u8), Tally>,
    /// One record per case.
    pub records: Vec<CaseRecord>,
    /// Files that could not be read as test cases.
    pub unreadable: Vec<String>,
}

impl Report {
    /// The human summary: one line per folder and version.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{:<16} {:>3} {:>7} {:>9} {:>8} {:>9} {:>9} {:>9} {:>9} {:>8} {:>9}\n",
            "folder",
            "ver",
            "cases",
            "verdict%",
            "w/errors",
            "errorId%",
            "errorIn%",
            "instances",
            "instance%",
            "w/elems",
            "elements%"
        );
        for ((f, v), t) in &self.tallies {
            let v = if *v == 0 {
                "-".to_string()
            } else {
                format!("v{v}")
            };
            s.push_str(&format!(
                "{:<16} {:>3} {:>7} {:>9.2} {:>8} {:>9.2} {:>9.2} {:>9} {:>9.2} {:>8} {:>9.2}\n",
                f,
                v,
                t.cases,
                t.verdict_pct(),
                t.with_errors,
                t.errors_pct(),
                t.errors_within_pct(),
                t.instances,
                t.instances_pct(),
                t.with_elements,
                t.elements_pct()
            ));
        }
        if !self.unreadable.is_empty() {
            s.push_str(&format!("unreadable files: {}\n", self.unreadable.len()));
        }
        s
    }

    /// The report as JSON: totals, plus one object per case when `cases` is set.
    pub fn to_json(&self, cases: bool) -> Value {
        let tallies: Vec<Value> = self
            .tallies
            .iter()
            .map(|((f, v), t)| {
                json!({"folder": f, "version": v, "cases": t.cases, "verdictAgreement": t.verdict_pct(),
                       "casesWithErrors": t.with_errors, "errorIdentityAgreement": t.errors_pct(),
                       "errorsWithinExpected": t.errors_within_pct(),
                       "instances": t.instances, "instanceAgreement": t.instances_pct(),
                       "casesWithElements": t.with_elements, "elementAgreement": t.elements_pct()})
            })
            .collect();
        let mut out = json!({"tallies": tallies, "unreadable": self.unreadable});
        if cases {
            let recs: Vec<Value> = self
                .records
                .iter()
                .map(|r| {
                    json!({"file": r.file, "folder": r.folder, "version": r.version,
                           "expected": {"valid": r.expected_valid, "errors": r.expected_errors.as_ref().map(|e| pairs(e))},
                           "actual": {"valid": r.actual_valid, "errors": pairs(&r.actual_errors)},
                           "verdictAgrees": r.verdict_agrees, "errorsAgree": r.errors_agree,
                           "errorsWithinExpected": r.errors_within,
                           "instances": r.instances.0, "instancesAgree": r.instances.1,
                           "elementsAgree": r.elements_agree})
                })
                .collect();
            out["cases"] = Value::Array(recs);
        }
        out
    }
}

fn pairs(e: &[(String, Option<String>)]) -> Value {
    Value::Array(
        e.iter()
            .map(|(v, p)| json!({"ValidationID": v, "PrimaryID": p}))
            .collect(),
    )
}

/// Runs every case in `files`.
pub fn run(files: &[CaseFile]) -> Report {
    let mut report = Report::default();
    let mut sorted: Vec<&CaseFile> = files.iter().filter(|f| f.path.ends_with(".json")).collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    for f in sorted {
        let folder = f.path.split('/').next().unwrap_or("").to_string();
        let Ok(v) = serde_json::from_str::<Value>(f.text.trim_start_matches('\u{feff}')) else {
            report.unreadable.push(f.path.clone());
            continue;
        };
        let file_version = version_from_name(&f.path);
        let cases: Vec<(String, &Value)> = match &v {
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("{}#{i}", f.path), c))
                .collect(),
            other => vec![(f.path.clone(), other)],
        };
        for (name, c) in cases {
            let Some(rec) = run_case(&name, &folder, file_version, c) else {
                report.unreadable.push(name);
                continue;
            };
            let t = report
                .tallies
                .entry((folder.clone(), rec.version))
                .or_default();
            t.cases += 1;
            t.verdict_agree += usize::from(rec.verdict_agrees);
            if let Some(a) = rec.errors_agree {
                t.with_errors += 1;
                t.errors_agree += usize::from(a);
                t.errors_within += usize::from(rec.errors_within == Some(true));
            }
            t.instances += rec.instances.0;
            t.instances_agree += rec.instances.1;
            if let Some(a) = rec.elements_agree {
                t.with_elements += 1;
                t.elements_agree += usize::from(a);
            }
            report.records.push(rec);
        }
    }
    report
}

fn version_from_name(path: &str) -> Option<u8> {
    let stem = path.strip_suffix(".json")?;
    let b = stem.as_bytes();
    let n = b.len();
    if n >= 2 && b[n - 2] == b'V' && b[n - 1].is_ascii_digit() {
        return Some(b[n - 1] - b'0');
    }
    None
}

fn version_from_input(c: &Value) -> u8 {
    let first = c
        .get("input")
        .and_then(Value::as_array)
        .and_then(|a| a.first());
    let first = match first {
        Some(Value::Array(a)) => a.first(),
        other => other,
    };
    let ctx = first.and_then(|d| d.get("@context"));
    let s = match ctx {
        Some(Value::Array(a)) => a.first().and_then(Value::as_str),
        Some(Value::String(s)) => Some(s.as_str()),
        _ => None,
    };
    s.and_then(|s| s.strip_prefix("dtmi:dtdl:context;"))
        .and_then(|v| v.get(..1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

struct CaseResolver {
    by_id: BTreeMap<String, String>,
}

impl Resolver for CaseResolver {
    fn resolve(&self, dtmis: &[String]) -> Vec<String> {
        let mut seen = BTreeSet::new();
        dtmis
            .iter()
            .filter_map(|d| self.by_id.get(d))
            .filter(|t| seen.insert(t.as_str()))
            .cloned()
            .collect()
    }
}

fn run_case(name: &str, folder: &str, file_version: Option<u8>, c: &Value) -> Option<CaseRecord> {
    let expected_valid = c.get("valid").and_then(Value::as_bool);
    if let Some(id) = c.get("idText").and_then(Value::as_str) {
        return Some(dtmi_case(
            name,
            folder,
            id,
            expected_valid?,
            c.get("expect"),
        ));
    }
    if let Some(phrase) = c.get("phrase").and_then(Value::as_str) {
        return Some(phrase_case(name, folder, phrase, c));
    }
    let expected_valid = expected_valid?;
    let version = file_version.unwrap_or_else(|| version_from_input(c));
    let input = c.get("input")?.as_array()?;
    let docs: Vec<Document> = input
        .iter()
        .enumerate()
        .map(|(i, d)| Document {
            name: format!("input[{i}]"),
            text: serde_json::to_string_pretty(d).unwrap_or_default(),
        })
        .collect();
    let opts_list: Vec<&str> = c
        .get("options")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut opts = Options::default();
    if opts_list.contains(&"AllowUndefinedExtensions") {
        opts.allow_undefined_extensions = Some(true);
    }
    if opts_list.contains(&"DisallowUndefinedExtensions") {
        opts.allow_undefined_extensions = Some(false);
    }
    let quirks: Vec<&str> = c
        .get("quirks")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    opts.tolerate_solecisms_in_parse = quirks.contains(&"TolerateSolecismsInParse");
    opts.tolerate_solecisms_in_resolve = quirks.contains(&"TolerateSolecismsInResolve");
    opts.acceptable_limits = c
        .get("acceptableLimits")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        });
    if let Some(m) = c.get("maxDtdlVersion").and_then(Value::as_u64) {
        opts.max_dtdl_version = u8::try_from(m).unwrap_or(4);
    }
    let steps: Vec<&Value> = ["resolution", "partialResolution"]
        .iter()
        .filter_map(|k| c.get(*k).and_then(Value::as_array))
        .flatten()
        .collect();
    let resolver = (!steps.is_empty()).then(|| {
        let mut by_id = BTreeMap::new();
        for st in steps {
            for r in st
                .get("response")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(id) = r.get("@id").and_then(Value::as_str) {
                    // A layer answers for its base identifier.
                    let id = id.split('#').next().unwrap_or(id);
                    by_id.insert(
                        id.to_string(),
                        serde_json::to_string_pretty(r).unwrap_or_default(),
                    );
                }
            }
        }
        CaseResolver { by_id }
    });
    let (parsed, graph) = parse_graph(&docs, resolver.as_ref().map(|r| r as &dyn Resolver), &opts);
    let elements_agree = c
        .get("expect")
        .and_then(|e| elements::agrees(&graph, parsed.element_count, e));
    let actual_valid = parsed.is_valid();
    let actual_errors: Vec<(String, Option<String>)> = parsed
        .diagnostics
        .iter()
        .map(|d| (d.validation_id.clone(), d.primary_id.clone()))
        .collect();
    let expected_errors: Option<Vec<(String, Option<String>)>> = c
        .get("expect")
        .and_then(|e| e.get("parsingErrors"))
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e.get("ValidationID")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        e.get("PrimaryID")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                    )
                })
                .collect()
        });
    let errors_agree = expected_errors.as_ref().map(|exp| {
        let a: BTreeSet<&(String, Option<String>)> = exp.iter().collect();
        let b: BTreeSet<&(String, Option<String>)> = actual_errors.iter().collect();
        a == b
    });
    let errors_within = expected_errors
        .as_ref()
        .map(|exp| !actual_errors.is_empty() && actual_errors.iter().all(|a| exp.contains(a)));
    let instances = c
        .get("instances")
        .and_then(Value::as_array)
        .map(|list| instance_checks(&parsed.models, list))
        .unwrap_or((0, 0));
    Some(CaseRecord {
        file: name.to_string(),
        folder: folder.to_string(),
        version,
        expected_valid,
        actual_valid,
        verdict_agrees: expected_valid == actual_valid,
        expected_errors,
        actual_errors,
        errors_agree,
        errors_within,
        instances,
        elements_agree,
    })
}

fn dtmi_case(
    name: &str,
    folder: &str,
    id: &str,
    expected_valid: bool,
    expect: Option<&Value>,
) -> CaseRecord {
    let d = Dtmi::parse(id);
    let mut agrees = d.is_some() == expected_valid;
    if let (Some(d), Some(e)) = (&d, expect) {
        let labels: Vec<&str> = d.labels.iter().map(String::as_str).collect();
        let want_labels: Vec<&str> = e
            .get("Labels")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        agrees &= e.get("MajorVersion").and_then(Value::as_u64) == Some(u64::from(d.major))
            && e.get("MinorVersion").and_then(Value::as_u64) == Some(u64::from(d.minor))
            && e.get("Versionless").and_then(Value::as_str) == Some(d.versionless().as_str())
            && e.get("Fragment").and_then(Value::as_str) == Some(d.fragment.as_str())
            && e.get("IsReserved").and_then(Value::as_bool) == Some(d.is_reserved())
            && e.get("CompleteVersion")
                .and_then(Value::as_f64)
                .is_some_and(|v| (v - d.complete_version()).abs() < 1e-9)
            && labels == want_labels;
    }
    CaseRecord {
        file: name.to_string(),
        folder: folder.to_string(),
        version: 0,
        expected_valid,
        actual_valid: d.is_some(),
        verdict_agrees: agrees,
        expected_errors: None,
        actual_errors: Vec::new(),
        errors_agree: None,
        errors_within: None,
        instances: (0, 0),
        elements_agree: None,
    }
}

fn phrase_case(name: &str, folder: &str, phrase: &str, c: &Value) -> CaseRecord {
    let params: Vec<(String, String)> = c
        .get("install")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
    let got = crate::diagnostic::render_template(phrase, &params);
    let ok = c.get("expect").and_then(Value::as_str) == Some(got.as_str());
    CaseRecord {
        file: name.to_string(),
        folder: folder.to_string(),
        version: 0,
        expected_valid: true,
        actual_valid: ok,
        verdict_agrees: ok,
        expected_errors: None,
        actual_errors: Vec::new(),
        errors_agree: None,
        errors_within: None,
        instances: (0, 0),
        elements_agree: None,
    }
}

/// Runs a case's instance checks: `submit` text against the schema `subject`
/// (`conforms` true/false, or `throws` when the subject is not a schema).
/// Returns (checks, agreements).
fn instance_checks(models: &crate::model::ModelSet, list: &[Value]) -> (usize, usize) {
    let mut agree = 0;
    for inst in list {
        let subject = inst.get("subject").and_then(Value::as_str).unwrap_or("");
        let submit = inst.get("submit").and_then(Value::as_str).unwrap_or("");
        let standard = crate::typed::standard_schema(subject);
        let schema = models.schemas.get(subject).or(standard.as_ref());
        let ok = match (inst.get("throws").and_then(Value::as_bool), schema) {
            (Some(true), s) => s.is_none(),
            (_, None) => false,
            (_, Some(s)) => {
                let conforms = crate::instance::validate_instance_text(models, s, submit).is_ok();
                inst.get("conforms").and_then(Value::as_bool) == Some(conforms)
            }
        };
        agree += usize::from(ok);
    }
    (list.len(), agree)
}
