//! The shared reference ontologies parse with zero diagnostics.

mod support;

use ferrotwin_dtdl::{Content, Document, parse};

fn load(name: &str) -> Option<Vec<Document>> {
    let dir = support::shared()?.join("data/ontologies").join(name);
    let docs: Vec<Document> = support::files(&dir)
        .into_iter()
        .filter(|(p, _)| p.ends_with(".json"))
        .map(|(p, text)| Document {
            name: format!("{name}/{p}"),
            text,
        })
        .collect();
    assert!(!docs.is_empty(), "no documents under {}", dir.display());
    Some(docs)
}

fn assert_clean(name: &str, expected_interfaces: usize) {
    let Some(docs) = load(name) else { return };
    let parsed = parse(&docs, None);
    let shown: Vec<String> = parsed
        .diagnostics
        .iter()
        .take(10)
        .map(ToString::to_string)
        .collect();
    assert!(
        parsed.is_valid(),
        "{name}: {} diagnostics, first: {shown:#?}",
        parsed.diagnostics.len()
    );
    assert_eq!(
        parsed.models.interfaces.len(),
        expected_interfaces,
        "{name}"
    );
}

#[test]
fn realestatecore_v3_is_valid() {
    assert_clean("realestatecore-v3", 767);
}

#[test]
fn energygrid_v2_is_valid() {
    assert_clean("energygrid-v2", 113);
}

#[test]
fn isa95_v2_is_valid() {
    assert_clean("isa95-v2", 76);
}

#[test]
fn realestatecore_inherits_contents() {
    let Some(docs) = load("realestatecore-v3") else {
        return;
    };
    let parsed = parse(&docs, None);
    let m = &parsed.models;
    let pump = m
        .interface("dtmi:digitaltwins:rec_3_3:asset:Pump;1")
        .expect("Pump");
    assert!(m.is_a(&pump.id, "dtmi:digitaltwins:rec_3_3:core:Asset;1"));
    assert!(matches!(
        pump.contents.get("headCapacity"),
        Some(Content::Property(_))
    ));
    // Inherited from Asset or above, not declared by Pump itself.
    let inherited: Vec<&String> = pump
        .contents
        .keys()
        .filter(|k| !pump.own_contents.contains(k))
        .collect();
    assert!(!inherited.is_empty());
}
