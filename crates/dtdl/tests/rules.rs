//! Unit-level rules through the public API: DTMIs, diagnostics, locations,
//! resolution and inheritance.

use ferrotwin_dtdl::dtmi::{Dtmi, is_valid_identifier};
use ferrotwin_dtdl::{Content, Document, Resolver, parse};

fn doc(text: &str) -> Vec<Document> {
    vec![Document {
        name: "m.json".into(),
        text: text.into(),
    }]
}

fn ids(text: &str) -> Vec<String> {
    parse(&doc(text), None)
        .diagnostics
        .into_iter()
        .map(|d| d.validation_id)
        .collect()
}

#[test]
fn dtmi_rules_per_version() {
    let table = [
        ("dtmi:a:b;1", 2, true),
        ("dtmi:a:b", 2, false),
        ("dtmi:a:b", 3, true),
        ("dtmi:a:b;1.2", 2, false),
        ("dtmi:a:b;1.2", 4, true),
        ("dtmi:a:_b;1", 3, false),
        ("dtmi:a:b_;1", 3, false),
        ("dtmi:a:1b;1", 3, false),
        ("dtmi:a:b;0", 3, false),
        ("dtmi:a:b;1234567890", 3, false),
        ("urn:a:b", 3, false),
    ];
    for (id, v, ok) in table {
        assert_eq!(is_valid_identifier(id, v), ok, "{id} in v{v}");
    }
    assert!(Dtmi::parse("dtmi:a:b;1#frag").is_some());
}

#[test]
fn invalid_id_is_reported_with_location() {
    let p = parse(
        &doc(
            "{\n \"@context\": \"dtmi:dtdl:context;3\",\n \"@id\": \"dtmi:a:_b;1\",\n \"@type\": \"Interface\"\n}",
        ),
        None,
    );
    let d = p
        .diagnostics
        .iter()
        .find(|d| d.validation_id == "dtmi:dtdl:parsingError:invalidId")
        .expect("invalidId");
    assert_eq!(d.value.as_deref(), Some("dtmi:a:_b;1"));
    let loc = d.location.as_ref().expect("location");
    assert_eq!((loc.document.as_str(), loc.line), ("m.json", 3));
    assert!(d.cause.contains("dtmi:a:_b;1") && !d.action.is_empty());
}

#[test]
fn name_limits_and_duplicates() {
    let long = "a".repeat(65);
    let v2 = format!(
        r#"{{"@context": "dtmi:dtdl:context;2", "@id": "dtmi:a:b;1", "@type": "Interface",
        "contents": [{{"@type": "Property", "name": "{long}", "schema": "double"}}]}}"#
    );
    assert_eq!(ids(&v2), ["dtmi:dtdl:parsingError:stringTooLong"]);
    let dup = r#"{"@context": "dtmi:dtdl:context;3", "@id": "dtmi:a:b;1", "@type": "Interface",
        "contents": [{"@type": "Property", "name": "x", "schema": "double"}, {"@type": "Telemetry", "name": "x", "schema": "double"}]}"#;
    assert!(
        ids(dup).contains(&"dtmi:dtdl:parsingError:nonUniquePropertyValue".to_string()),
        "{:?}",
        ids(dup)
    );
}

#[test]
fn reserved_prefix_and_missing_context() {
    assert_eq!(
        ids(r#"{"@context": "dtmi:dtdl:context;3", "@id": "dtmi:dtdl:x;1", "@type": "Interface"}"#),
        ["dtmi:dtdl:parsingError:reservedId"]
    );
    assert_eq!(
        ids(r#"{"@id": "dtmi:a:x;1", "@type": "Interface"}"#),
        ["dtmi:dtdl:parsingError:missingContext"]
    );
}

#[test]
fn garbage_does_not_panic() {
    for t in [
        "",
        "[",
        "{\"@context\": 5}",
        "[1,2]",
        "{\"@context\":[[[[]]]]}",
        &"[".repeat(10_000),
        "\"\\ud800\"",
    ] {
        let _ = parse(&doc(t), None);
    }
}

struct Base;

impl Resolver for Base {
    fn resolve(&self, dtmis: &[String]) -> Vec<String> {
        dtmis
            .iter()
            .filter(|d| d.as_str() == "dtmi:a:Base;1")
            .map(|_| {
                r#"{"@context": "dtmi:dtdl:context;3", "@id": "dtmi:a:Base;1", "@type": "Interface",
                "contents": [{"@type": "Property", "name": "inherited", "schema": "string"}]}"#
                    .to_string()
            })
            .collect()
    }
}

#[test]
fn resolver_supplies_bases_and_unresolved_are_reported() {
    let d = doc(
        r#"{"@context": "dtmi:dtdl:context;3", "@id": "dtmi:a:Child;1", "@type": "Interface", "extends": "dtmi:a:Base;1",
        "contents": [{"@type": "Relationship", "name": "r"}]}"#,
    );
    let p = parse(&d, Some(&Base));
    assert!(p.is_valid(), "{:#?}", p.diagnostics);
    let child = p.models.interface("dtmi:a:Child;1").unwrap();
    assert!(matches!(
        child.contents.get("inherited"),
        Some(Content::Property(_))
    ));
    assert!(p.models.is_a("dtmi:a:Child;1", "dtmi:a:Base;1"));

    let p = parse(&d, None);
    assert!(!p.is_valid());
    assert_eq!(p.unresolved.len(), 1);
    assert_eq!(p.unresolved[0].dtmi, "dtmi:a:Base;1");
    assert_eq!(p.unresolved[0].referenced_from[0].0, "dtmi:a:Child;1");
}

#[test]
fn partition_text_size_is_limited_from_v3() {
    // An Interface's JSON text may be at most 1 MiB in DTDL v3 and v4; v2 sets no limit.
    let padded = |v: u8, pad: usize| {
        format!(
            r#"{{"@context": "dtmi:dtdl:context;{v}", "@id": "dtmi:test:big;1", "@type": "Interface",{}"contents": []}}"#,
            " ".repeat(pad)
        )
    };
    let too_large = "dtmi:dtdl:parsingError:partitionTooLarge".to_string();
    assert!(ids(&padded(3, 1_100_000)).contains(&too_large));
    assert!(ids(&padded(4, 1_100_000)).contains(&too_large));
    assert!(!ids(&padded(4, 1_000_000)).contains(&too_large));
    assert!(!ids(&padded(2, 1_100_000)).contains(&too_large));
    let p = parse(&doc(&padded(3, 1_100_000)), None);
    let d = p
        .diagnostics
        .iter()
        .find(|d| d.validation_id == too_large)
        .unwrap();
    assert!(d.cause.contains("1048576"), "{}", d.cause);
}

#[test]
fn interface_hierarchy_size_is_limited() {
    // DTDL v3/v4 allow at most 100,000 elements under an Interface through its
    // structural properties; an enum with more values exceeds that.
    let model = |n: usize| {
        let values: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"name": "v{i}", "enumValue": {i}}}"#))
            .collect();
        format!(
            r#"{{"@context": "dtmi:dtdl:context;3", "@id": "dtmi:test:big;1", "@type": "Interface",
                "contents": [{{"@type": "Property", "name": "p", "schema": {{"@type": "Enum", "valueSchema": "integer",
                "enumValues": [{}]}}}}]}}"#,
            values.join(",")
        )
    };
    let excessive = "dtmi:dtdl:parsingError:excessiveCount".to_string();
    assert!(ids(&model(100_000)).contains(&excessive));
    assert!(!ids(&model(99_990)).contains(&excessive));
}
