//! Instance validation, data-driven: each case is a schema, a value and the
//! expected outcome (`null` for valid, else the JSON pointer and expectation).

use ferrotwin_dtdl::{
    Content, Document, ModelSet, Schema, parse, validate_instance, validate_instance_text,
};
use serde_json::{Value, json};

const MODEL: &str = r#"{
  "@context": "dtmi:dtdl:context;4",
  "@id": "dtmi:test:Thing;1",
  "@type": "Interface",
  "contents": [
    {"@type": "Property", "name": "i", "schema": "integer"},
    {"@type": "Property", "name": "l", "schema": "long"},
    {"@type": "Property", "name": "d", "schema": "double"},
    {"@type": "Property", "name": "b", "schema": "boolean"},
    {"@type": "Property", "name": "s", "schema": "string"},
    {"@type": "Property", "name": "dt", "schema": "dateTime"},
    {"@type": "Property", "name": "date", "schema": "date"},
    {"@type": "Property", "name": "time", "schema": "time"},
    {"@type": "Property", "name": "dur", "schema": "duration"},
    {"@type": "Property", "name": "u8", "schema": "unsignedByte"},
    {"@type": "Property", "name": "id", "schema": "uuid"},
    {"@type": "Property", "name": "pt", "schema": "point"},
    {"@type": "Property", "name": "mode", "schema": {"@type": "Enum", "valueSchema": "string",
      "enumValues": [{"name": "on", "enumValue": "on"}, {"name": "off", "enumValue": "off"}]}},
    {"@type": "Property", "name": "level", "schema": {"@type": "Enum", "valueSchema": "integer",
      "enumValues": [{"name": "low", "enumValue": 1}, {"name": "high", "enumValue": 2}]}},
    {"@type": "Property", "name": "arr", "schema": {"@type": "Array", "elementSchema": "integer"}},
    {"@type": "Property", "name": "map", "schema": {"@type": "Map",
      "mapKey": {"name": "k", "schema": "string"}, "mapValue": {"name": "v", "schema": "double"}}},
    {"@type": "Property", "name": "obj", "schema": {"@type": "Object", "fields": [
      {"name": "a", "schema": "string"},
      {"name": "inner", "schema": {"@type": "Array", "elementSchema": {"@type": "Object", "fields": [{"name": "x", "schema": "boolean"}]}}}
    ]}}
  ]
}"#;

fn cases() -> Vec<(&'static str, Value, Option<(&'static str, &'static str)>)> {
    vec![
        ("i", json!(5), None),
        ("i", json!(5.5), Some(("", "an integer"))),
        ("i", json!(3_000_000_000_i64), Some(("", "an integer"))),
        ("l", json!(3_000_000_000_i64), None),
        ("d", json!(1.5), None),
        ("d", json!("1.5"), Some(("", "a number"))),
        ("b", json!(true), None),
        ("b", json!(1), Some(("", "a boolean"))),
        ("s", json!("x"), None),
        ("s", json!(null), Some(("", "a string"))),
        ("dt", json!("2024-02-29T10:00:00Z"), None),
        (
            "dt",
            json!("2023-02-29T10:00:00Z"),
            Some(("", "a string in RFC 3339 date-time format")),
        ),
        (
            "dt",
            json!("2024-01-01 10:00"),
            Some(("", "a string in RFC 3339 date-time format")),
        ),
        ("date", json!("2024-12-31"), None),
        (
            "date",
            json!("0000-01-01"),
            Some(("", "a string in RFC 3339 full-date format")),
        ),
        (
            "time",
            json!("00:00:60Z"),
            Some(("", "a string in RFC 3339 partial-time format")),
        ),
        (
            "dur",
            json!("P1Y3W"),
            Some(("", "a string in ISO 8601 duration format")),
        ),
        (
            "dur",
            json!("P3.5Y6M"),
            Some(("", "a string in ISO 8601 duration format")),
        ),
        ("dur", json!("P2W1DT0.5S"), None),
        ("time", json!("23:59:59.5+01:00"), None),
        ("dur", json!("P1DT2H"), None),
        (
            "dur",
            json!("P"),
            Some(("", "a string in ISO 8601 duration format")),
        ),
        ("u8", json!(255), None),
        ("u8", json!(256), Some(("", "an unsigned byte (0 to 255)"))),
        ("id", json!("123e4567-e89b-12d3-a456-426614174000"), None),
        (
            "pt",
            json!({"type": "Point", "coordinates": [1.0, 2.0]}),
            None,
        ),
        (
            "pt",
            json!({"type": "Point", "coordinates": [1.0]}),
            Some(("", "a GeoJSON Point")),
        ),
        ("mode", json!("on"), None),
        (
            "mode",
            json!("dim"),
            Some(("", "one of the enum values 'on', 'off'")),
        ),
        ("level", json!(2), None),
        (
            "level",
            json!("2"),
            Some(("", "one of the enum values 1, 2")),
        ),
        ("arr", json!([1, 2, 3]), None),
        ("arr", json!([1, "2"]), Some(("/1", "an integer"))),
        ("map", json!({"a/b": 1.0}), None),
        ("map", json!({"a/b": "x"}), Some(("/a~1b", "a number"))),
        ("obj", json!({"a": "x", "inner": [{"x": true}]}), None),
        (
            "obj",
            json!({"a": "x", "inner": [{"x": true}, {"x": 3}]}),
            Some(("/inner/1/x", "a boolean")),
        ),
        (
            "obj",
            json!({"z": 1}),
            Some(("", "an object with no field 'z'")),
        ),
        ("obj", json!([]), Some(("", "an object"))),
    ]
}

fn models() -> ModelSet {
    let p = parse(
        &[Document {
            name: "thing.json".into(),
            text: MODEL.into(),
        }],
        None,
    );
    assert!(p.is_valid(), "{:#?}", p.diagnostics);
    p.models
}

fn schema_of<'m>(m: &'m ModelSet, name: &str) -> &'m Schema {
    match m
        .interface("dtmi:test:Thing;1")
        .and_then(|i| i.contents.get(name))
    {
        Some(Content::Property(p)) => &p.schema,
        other => panic!("no property {name}: {other:?}"),
    }
}

#[test]
fn instances_match_expectations() {
    let m = models();
    let mut wrong = Vec::new();
    for (prop, value, expected) in cases() {
        let got = validate_instance(&m, schema_of(&m, prop), &value);
        let got = got.err().map(|e| (e.path, e.expected));
        let want = expected.map(|(p, e)| (p.to_string(), e.to_string()));
        if got != want {
            wrong.push(format!("{prop} = {value}: got {got:?}, want {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn instance_error_displays_path_and_expectation() {
    let m = models();
    let e = validate_instance(&m, schema_of(&m, "arr"), &json!([1, "x"])).unwrap_err();
    assert_eq!(e.to_string(), "/1: expected an integer");
}

#[test]
fn text_instances_judge_numbers_as_written() {
    // A parsed value cannot tell `-0` from `-0.0`; the text can: only the first is an integer,
    // and unsigned types refuse its sign, also inside arrays.
    let m = models();
    for (prop, text, ok) in [
        ("i", "-0", true),
        ("i", "-0.0", false),
        ("i", "0.0", false),
        ("i", "7", true),
        ("d", "-0.0", true),
        ("u8", "-0", false),
        ("u8", "0", true),
        ("arr", "[1, -0]", true),
        ("arr", "[1, -0.0]", false),
        ("i", "not json", false),
    ] {
        let got = validate_instance_text(&m, schema_of(&m, prop), text);
        assert_eq!(got.is_ok(), ok, "{prop} {text}: {got:?}");
    }
}
