//! Layers: definitions of one id under `#fragment` ids are folded together
//! (after the fragment is reported as an invalid id, as DTDLParser does),
//! and disagreements between layers are reported.

use ferrotwin_dtdl::{Document, Options, parse_with};

fn ids(texts: &[&str]) -> Vec<(String, Option<String>)> {
    let docs: Vec<Document> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| Document {
            name: format!("d{i}.json"),
            text: (*t).to_string(),
        })
        .collect();
    // The layering context is not one this parser defines: it must be allowed as an undefined extension.
    let opts = Options {
        allow_undefined_extensions: Some(true),
        ..Options::default()
    };
    let mut out: Vec<(String, Option<String>)> = parse_with(&docs, None, &opts)
        .diagnostics
        .into_iter()
        .map(|d| {
            let short = d.validation_id.rsplit(':').next().unwrap_or("").to_string();
            (short, d.primary_id)
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

const BASE: &str = r#"{"@context": "dtmi:dtdl:context;3", "@id": "dtmi:test:i;1", "@type": "Interface",
  "contents": [{"@type": "Telemetry", "name": "speed", "schema": "double", "comment": "base"}]}"#;

fn layer(contents: &str) -> String {
    format!(
        r#"{{"@context": ["dtmi:dtdl:context;3", "dtmi:dtdl:extension:layering;1"], "@id": "dtmi:test:i;1#foo",
            "@type": ["Interface", "Layer"], "contents": [{contents}]}}"#
    )
}

fn pair(a: &str, b: Option<&str>) -> (String, Option<String>) {
    (a.to_string(), b.map(str::to_string))
}

#[test]
fn consistent_layer_only_reports_the_fragment() {
    let l =
        layer(r#"{"@type": "Telemetry", "name": "speed", "schema": "double", "comment": "base"}"#);
    assert_eq!(ids(&[BASE, &l]), vec![pair("invalidId", None)]);
}

#[test]
fn layers_disagreeing_on_a_string_are_reported_on_the_merged_element() {
    let l =
        layer(r#"{"@type": "Telemetry", "name": "speed", "schema": "double", "comment": "layer"}"#);
    let want = vec![
        pair(
            "inconsistentStringValues",
            Some("dtmi:test:i:_contents:__speed;1"),
        ),
        pair("invalidId", None),
    ];
    assert_eq!(ids(&[BASE, &l]), want);
    // The order of the documents does not matter.
    assert_eq!(ids(&[&l, BASE]), want);
}

#[test]
fn a_layer_changing_the_material_type_clashes() {
    let l = layer(r#"{"@type": "Property", "name": "speed", "schema": "double"}"#);
    assert_eq!(
        ids(&[BASE, &l]),
        vec![
            pair("invalidId", None),
            pair(
                "multipleMaterialTypes",
                Some("dtmi:test:i:_contents:__speed;1")
            ),
        ]
    );
}

#[test]
fn the_same_layer_twice_is_a_duplicate_definition() {
    let l = layer("");
    assert_eq!(
        ids(&[BASE, &l, &l]),
        vec![
            pair("duplicateDefinition", Some("dtmi:test:i;1")),
            pair("invalidId", None),
        ]
    );
}

#[test]
fn a_layer_adding_a_content_with_a_taken_name_is_not_unique() {
    let l = layer(
        r#"{"@id": "dtmi:test:other;1#foo", "@type": ["Telemetry", "Layer"], "name": "speed", "schema": "double"}"#,
    );
    assert_eq!(
        ids(&[BASE, &l]),
        vec![
            pair("invalidId", None),
            pair("nonUniquePropertyValue", Some("dtmi:test:i;1")),
        ]
    );
}

#[test]
fn a_fragment_without_the_layer_type_is_disallowed() {
    let t = r#"{"@context": ["dtmi:dtdl:context;3", "dtmi:dtdl:extension:layering;1"],
                "@id": "dtmi:test:i;1#foo", "@type": "Interface"}"#;
    assert_eq!(
        ids(&[t]),
        vec![
            pair("disallowedIdFragment", Some("dtmi:test:i;1")),
            pair("invalidId", None),
        ]
    );
}
