//! Hostile inputs must come back as diagnostics, never as panics or hangs:
//! shapes the fuzzer favours, and layer merges that fold an element into
//! its own descendant.

use ferrotwin_dtdl::{Document, Options, Resolver, parse, parse_with};

fn docs(texts: &[&str]) -> Vec<Document> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| Document {
            name: format!("d{i}.json"),
            text: (*t).to_string(),
        })
        .collect()
}

/// Hands back every document it was built with, whatever is asked.
struct Echo(Vec<String>);

impl Resolver for Echo {
    fn resolve(&self, _: &[String]) -> Vec<String> {
        self.0.clone()
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    assert!(!parse(&docs(&[&deep]), None).is_valid());
    let objects = "{\"a\":".repeat(50_000) + "1" + &"}".repeat(50_000);
    assert!(!parse(&docs(&[&objects]), None).is_valid());
}

#[test]
fn a_layer_nested_inside_its_own_base_terminates() {
    let t = r#"{"@context": ["dtmi:dtdl:context;3", "dtmi:dtdl:extension:layering;1"],
        "@id": "dtmi:test:i;1#foo", "@type": ["Interface", "Layer"],
        "contents": [{"@type": "Component", "name": "c",
            "schema": {"@id": "dtmi:test:i;1", "@type": "Interface",
                       "contents": [{"@type": "Component", "name": "d", "schema": "dtmi:test:i;1"}]}}]}"#;
    let opts = Options {
        allow_undefined_extensions: Some(true),
        ..Options::default()
    };
    let p = parse_with(&docs(&[t]), None, &opts);
    assert!(!p.is_valid());
    for d in &p.diagnostics {
        assert!(!d.to_string().is_empty());
    }
}

#[test]
fn a_resolver_echoing_the_input_terminates() {
    let t = r#"{"@context": ["dtmi:dtdl:context;3", "dtmi:dtdl:extension:layering;1"],
        "@id": "dtmi:test:i;1#foo", "@type": ["Interface", "Layer"], "extends": "dtmi:test:j;1",
        "contents": [{"@type": "Telemetry", "name": "t", "schema": "dtmi:test:k;1"}]}"#;
    let p = parse(
        &docs(&[t]),
        Some(&Echo(vec![t.to_string(), "[1, {}]".into()])),
    );
    assert!(!p.is_valid());
}
