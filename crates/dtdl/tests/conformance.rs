//! Conformance over the shared DTDLParser test cases: the agreement reached
//! so far must not regress. Raise the floors as the parser improves.

mod support;

use ferrotwin_dtdl::conformance::{CaseFile, run};

/// (folder, version, min verdict %, min error-identity %, min errors-within-expected %,
/// min instance-check %, min element %).
const FLOORS: &[(&str, u8, f64, f64, f64, f64, f64)] = &[
    ("specification", 2, 100.0, 100.0, 100.0, 100.0, 100.0),
    ("specification", 3, 100.0, 100.0, 100.0, 100.0, 100.0),
    ("specification", 4, 100.0, 100.0, 100.0, 100.0, 100.0),
    ("generated", 2, 100.0, 94.1, 98.6, 100.0, 95.3),
    ("generated", 3, 100.0, 96.5, 99.5, 100.0, 94.4),
    ("generated", 4, 100.0, 97.6, 99.8, 100.0, 94.0),
    ("doc-examples", 1, 100.0, 100.0, 100.0, 100.0, 100.0),
    ("doc-examples", 2, 100.0, 100.0, 100.0, 100.0, 100.0),
    ("doc-examples", 3, 100.0, 100.0, 100.0, 100.0, 100.0),
    ("doc-examples", 4, 100.0, 100.0, 100.0, 100.0, 100.0),
    ("solecisms", 2, 100.0, 100.0, 100.0, 100.0, 100.0),
    ("solecisms", 3, 100.0, 100.0, 100.0, 100.0, 100.0),
    ("dtmis", 0, 100.0, 100.0, 100.0, 100.0, 100.0),
    ("phrases", 0, 100.0, 100.0, 100.0, 100.0, 100.0),
];

#[test]
fn agreement_does_not_regress() {
    let Some(shared) = support::shared() else {
        return;
    };
    let dir = shared.join("data/dtdl/test-cases");
    let files: Vec<CaseFile> = support::files(&dir)
        .into_iter()
        .map(|(path, text)| CaseFile { path, text })
        .collect();
    let report = run(&files);
    println!("{}", report.summary());
    assert!(
        report.unreadable.is_empty(),
        "unreadable cases: {:?}",
        report.unreadable
    );
    let mut failures = Vec::new();
    for (folder, version, verdict, errors, within, instances, elements) in FLOORS {
        let Some(t) = report.tallies.get(&(folder.to_string(), *version)) else {
            failures.push(format!("{folder} v{version}: no cases"));
            continue;
        };
        if t.verdict_pct() < *verdict
            || t.errors_pct() < *errors
            || t.errors_within_pct() < *within
            || t.instances_pct() < *instances
            || t.elements_pct() < *elements
        {
            failures.push(format!(
                "{folder} v{version}: verdict {:.2}% (floor {verdict}), error identity {:.2}% (floor {errors}), errors within expected {:.2}% (floor {within}), instances {:.2}% (floor {instances}), elements {:.2}% (floor {elements})",
                t.verdict_pct(),
                t.errors_pct(),
                t.errors_within_pct(),
                t.instances_pct(),
                t.elements_pct()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "conformance regressed:\n{}",
        failures.join("\n")
    );
}

#[test]
fn runner_reports_disagreement() {
    // A case that claims validity for an invalid model must count as a disagreement.
    let case = r#"{"valid": true, "options": [], "input": [{"@context": "dtmi:dtdl:context;3", "@id": "bad id", "@type": "Interface"}],
                   "expect": {"parsingErrors": [{"ValidationID": "dtmi:dtdl:parsingError:invalidId", "PrimaryID": null}]}}"#;
    let report = run(&[CaseFile {
        path: "made-up/BadIdV3.json".into(),
        text: case.into(),
    }]);
    let t = &report.tallies[&("made-up".to_string(), 3)];
    assert_eq!(
        (t.cases, t.verdict_agree, t.with_errors, t.errors_agree),
        (1, 0, 1, 1)
    );
}

#[test]
fn errors_within_expected_needs_every_reported_error_listed() {
    // Listing more errors than are reported is within; reporting one not listed is not.
    let listed = r#"{"valid": false, "options": [], "input": [{"@context": "dtmi:dtdl:context;3", "@id": "bad id", "@type": "Interface"}],
                   "expect": {"parsingErrors": [{"ValidationID": "dtmi:dtdl:parsingError:invalidId", "PrimaryID": null},
                                                {"ValidationID": "dtmi:dtdl:parsingError:missingContext", "PrimaryID": null}]}}"#;
    let unlisted = r#"{"valid": false, "options": [], "input": [{"@context": "dtmi:dtdl:context;3", "@id": "bad id", "@type": "Interface"}],
                   "expect": {"parsingErrors": [{"ValidationID": "dtmi:dtdl:parsingError:missingContext", "PrimaryID": null}]}}"#;
    let report = run(&[
        CaseFile {
            path: "made-up/ListedV3.json".into(),
            text: listed.into(),
        },
        CaseFile {
            path: "made-up/UnlistedV3.json".into(),
            text: unlisted.into(),
        },
    ]);
    let t = &report.tallies[&("made-up".to_string(), 3)];
    assert_eq!((t.with_errors, t.errors_agree, t.errors_within), (2, 0, 1));
}

#[test]
fn unacceptable_limit_context_is_refused() {
    // With acceptableLimits given, a limit context outside the list is disallowedLimitContext.
    let case = |limits: &str| {
        format!(
            r#"{{"valid": false, "options": [], "acceptableLimits": {limits},
                 "input": [{{"@context": ["dtmi:dtdl:context;4#limitless", "dtmi:dtdl:limits:onvif;1"], "@id": "dtmi:test:i;1", "@type": "Interface"}}],
                 "expect": {{"parsingErrors": [{{"ValidationID": "dtmi:dtdl:parsingError:disallowedLimitContext", "PrimaryID": null}}]}}}}"#
        )
    };
    for (limits, refused) in [
        ("[]", true),
        (r#"["dtmi:dtdl:limits:onvif;2"]"#, true),
        (r#"["dtmi:dtdl:limits:onvif"]"#, false),
        (r#"["dtmi:dtdl:limits:onvif;1"]"#, false),
    ] {
        let report = run(&[CaseFile {
            path: "made-up/LimitsV4.json".into(),
            text: case(limits),
        }]);
        let r = &report.records[0];
        assert_eq!(
            !r.actual_valid, refused,
            "acceptableLimits {limits}: {:?}",
            r.actual_errors
        );
    }
}
