//! Builds the typed [`ModelSet`] from the element graph: interfaces with
//! inherited contents merged, schemas resolved through references.

use crate::json::Val;
use crate::meta::meta;
use crate::model::*;
use crate::parser::{Elem, Graph, PVal};
use std::collections::{BTreeMap, HashSet};

const MAX_SCHEMA_DEPTH: usize = 48;
const MAX_EXTENDS_DEPTH: usize = 64;

/// Converts every Interface element of the graph.
pub fn build(g: &Graph) -> ModelSet {
    let mut own: BTreeMap<String, Interface> = BTreeMap::new();
    for e in &g.elems {
        if e.ghost() {
            continue;
        }
        if e.class != "Interface" || own.contains_key(&e.id) {
            continue;
        }
        let mut contents = BTreeMap::new();
        let mut names = Vec::new();
        for v in e.get("contents") {
            if let Some(c) = target(g, v).and_then(|c| content(g, c)) {
                let n = content_name(&c).to_string();
                names.push(n.clone());
                contents.insert(n, c);
            }
        }
        let extends = e
            .get("extends")
            .iter()
            .filter_map(|v| target_id(g, v))
            .collect();
        own.insert(
            e.id.clone(),
            Interface {
                id: e.id.clone(),
                extends,
                contents,
                own_contents: names,
                display_name: lang_map(e, "displayName"),
                description: lang_map(e, "description"),
                comment: e.str_of("comment").map(str::to_string),
                dtdl_version: e.version,
            },
        );
    }
    let mut out = BTreeMap::new();
    for id in own.keys() {
        let mut i = own[id].clone();
        let mut seen = HashSet::new();
        inherit(&own, id, &mut i.contents, &mut seen, 0);
        out.insert(id.clone(), i);
    }
    let m = meta();
    let schemas = g
        .elems
        .iter()
        .enumerate()
        .filter(|(_, e)| m.is_subclass(&e.class, "Schema"))
        .map(|(i, e)| (e.id.clone(), schema(g, &PVal::Elem(i), 0)))
        .collect();
    ModelSet {
        interfaces: out,
        schemas,
    }
}

fn inherit(
    own: &BTreeMap<String, Interface>,
    id: &str,
    into: &mut BTreeMap<String, Content>,
    seen: &mut HashSet<String>,
    depth: usize,
) {
    if depth > MAX_EXTENDS_DEPTH || !seen.insert(id.to_string()) {
        return;
    }
    let Some(i) = own.get(id) else { return };
    for base in &i.extends {
        if let Some(b) = own.get(base) {
            for (n, c) in &b.contents {
                into.entry(n.clone()).or_insert_with(|| c.clone());
            }
        }
        inherit(own, base, into, seen, depth + 1);
    }
}

fn content_name(c: &Content) -> &str {
    match c {
        Content::Property(p) => &p.name,
        Content::Telemetry(t) => &t.name,
        Content::Command(c) => &c.name,
        Content::Relationship(r) => &r.name,
        Content::Component(c) => &c.name,
    }
}

fn target<'g>(g: &'g Graph, v: &PVal) -> Option<&'g Elem> {
    match v {
        PVal::Elem(i) => g.elems.get(*i),
        PVal::Ref(id, _) => g.by_id.get(id).and_then(|i| g.elems.get(*i)),
        PVal::Lit(_) => None,
    }
}

fn target_id(g: &Graph, v: &PVal) -> Option<String> {
    match v {
        PVal::Elem(i) => g.elems.get(*i).map(|e| e.id.clone()),
        PVal::Ref(id, _) => Some(id.clone()),
        PVal::Lit(n) => n.as_str().map(str::to_string),
    }
}

fn lang_map(e: &Elem, prop: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for v in e.get(prop) {
        let PVal::Lit(n) = v else { continue };
        collect_lang(n, &mut out);
    }
    out
}

fn collect_lang(n: &crate::json::Node, out: &mut BTreeMap<String, String>) {
    match &n.v {
        Val::Str(s) => {
            out.insert("en".into(), s.clone());
        }
        Val::Obj(m) => {
            if let Some(v) = n.get("@value").and_then(|v| v.as_str()) {
                let lang = n.get("@language").and_then(|l| l.as_str()).unwrap_or("en");
                out.insert(lang.to_string(), v.to_string());
            } else {
                for (k, _, v) in m {
                    if let Some(s) = v.as_str() {
                        out.insert(k.clone(), s.to_string());
                    }
                }
            }
        }
        Val::Arr(a) => a.iter().for_each(|x| collect_lang(x, out)),
        _ => {}
    }
}

fn bool_of(e: &Elem, prop: &str) -> bool {
    e.get(prop).iter().any(|v| match v {
        PVal::Lit(n) => {
            matches!(n.v, Val::Bool(true))
                || matches!(n.get("@value").map(|x| &x.v), Some(Val::Bool(true)))
        }
        _ => false,
    })
}

fn int_of(e: &Elem, prop: &str) -> Option<u32> {
    e.get(prop).iter().find_map(|v| match v {
        PVal::Lit(n) => match &n.v {
            Val::Num(_, raw) => raw.parse().ok(),
            _ => n.get("@value").and_then(|x| match &x.v {
                Val::Num(_, raw) => raw.parse().ok(),
                _ => None,
            }),
        },
        _ => None,
    })
}

fn semantic(e: &Elem) -> (Vec<String>, Option<String>) {
    let types = e
        .cotypes
        .iter()
        .map(|c| crate::parser::short_type(c))
        .chain(e.extra_types.iter().cloned())
        .collect();
    let unit = e
        .sprops
        .iter()
        .find(|(_, n, _)| n == "unit")
        .and_then(|(_, _, v)| v.first())
        .and_then(|v| match v {
            PVal::Ref(id, _) => Some(crate::parser::short_type(id)),
            _ => None,
        });
    (types, unit)
}

fn content(g: &Graph, e: &Elem) -> Option<Content> {
    let name = e.str_of("name")?.to_string();
    let schema_of = |p: &str| e.get(p).first().map(|v| schema(g, v, 0));
    Some(match e.class.as_str() {
        "Property" => {
            let (semantic_types, unit) = semantic(e);
            Content::Property(Property {
                name,
                schema: schema_of("schema")?,
                writable: bool_of(e, "writable"),
                semantic_types,
                unit,
            })
        }
        "Telemetry" => {
            let (semantic_types, unit) = semantic(e);
            Content::Telemetry(Telemetry {
                name,
                schema: schema_of("schema")?,
                semantic_types,
                unit,
            })
        }
        "Command" => {
            let payload = |p: &str| {
                e.get(p)
                    .first()
                    .and_then(|v| target(g, v))
                    .and_then(|pl| pl.get("schema").first().map(|s| schema(g, s, 0)))
            };
            Content::Command(Command {
                name,
                request: payload("request"),
                response: payload("response"),
            })
        }
        "Relationship" => {
            let properties = e
                .get("properties")
                .iter()
                .filter_map(|v| target(g, v))
                .filter_map(|p| match content(g, p) {
                    Some(Content::Property(p)) => Some(p),
                    _ => None,
                })
                .collect();
            Content::Relationship(Relationship {
                name,
                target: e.get("target").first().and_then(|v| target_id(g, v)),
                min_multiplicity: int_of(e, "minMultiplicity"),
                max_multiplicity: int_of(e, "maxMultiplicity"),
                properties,
            })
        }
        "Component" => Content::Component(Component {
            name,
            schema: e.get("schema").first().and_then(|v| target_id(g, v))?,
        }),
        _ => return None,
    })
}

/// The typed schema a property value denotes.
fn schema(g: &Graph, v: &PVal, depth: usize) -> Schema {
    if depth > MAX_SCHEMA_DEPTH {
        return Schema::Object(Vec::new());
    }
    if let PVal::Ref(id, _) = v
        && let Some(p) = primitive_of(id)
    {
        return Schema::Primitive(p);
    }
    let Some(e) = target(g, v) else {
        return Schema::Primitive(Primitive::String);
    };
    let sub = |p: &str| {
        e.get(p)
            .first()
            .map(|x| schema(g, x, depth + 1))
            .unwrap_or(Schema::Primitive(Primitive::String))
    };
    match e.class.as_str() {
        "Array" => Schema::Array(Box::new(sub("elementSchema"))),
        "Map" => {
            let value = e.get("mapValue").first().and_then(|x| target(g, x));
            let s = value.and_then(|mv| mv.get("schema").first().map(|x| schema(g, x, depth + 1)));
            Schema::Map(Box::new(s.unwrap_or(Schema::Primitive(Primitive::String))))
        }
        "Object" => Schema::Object(
            e.get("fields")
                .iter()
                .filter_map(|f| target(g, f))
                .filter_map(|f| {
                    Some(Field {
                        name: f.str_of("name")?.to_string(),
                        schema: f.get("schema").first().map(|x| schema(g, x, depth + 1))?,
                    })
                })
                .collect(),
        ),
        "Enum" => {
            let value_schema = match e.get("valueSchema").first() {
                Some(PVal::Ref(id, _)) => primitive_of(id).unwrap_or(Primitive::String),
                _ => Primitive::String,
            };
            let values = e
                .get("enumValues")
                .iter()
                .filter_map(|x| target(g, x))
                .filter_map(|ev| {
                    let val = ev.get("enumValue").first().and_then(|v| match v {
                        PVal::Lit(n) => Some(n.get("@value").unwrap_or(n).to_value()),
                        _ => None,
                    })?;
                    Some((ev.str_of("name")?.to_string(), val))
                })
                .collect();
            Schema::Enum {
                value_schema,
                values,
            }
        }
        _ => primitive_of(&e.id)
            .map(Schema::Primitive)
            .unwrap_or(Schema::Primitive(Primitive::String)),
    }
}

/// The schema a standard element id denotes (`dtmi:dtdl:instance:Schema:double;3`).
pub fn standard_schema(id: &str) -> Option<Schema> {
    primitive_of(id).map(Schema::Primitive)
}

/// The primitive a standard schema id denotes (`dtmi:dtdl:instance:Schema:double;3`).
fn primitive_of(id: &str) -> Option<Primitive> {
    let (_, ty) = meta().elements.get(id)?;
    Some(match ty.as_str() {
        "Boolean" => Primitive::Boolean,
        "Byte" => Primitive::Byte,
        "Bytes" => Primitive::Bytes,
        "Date" => Primitive::Date,
        "DateTime" => Primitive::DateTime,
        "Decimal" => Primitive::Decimal,
        "Double" => Primitive::Double,
        "Duration" => Primitive::Duration,
        "Float" => Primitive::Float,
        "Integer" => Primitive::Integer,
        "Long" => Primitive::Long,
        "Short" => Primitive::Short,
        "String" => Primitive::String,
        "Time" => Primitive::Time,
        "UnsignedByte" => Primitive::UnsignedByte,
        "UnsignedInteger" => Primitive::UnsignedInteger,
        "UnsignedLong" => Primitive::UnsignedLong,
        "UnsignedShort" => Primitive::UnsignedShort,
        "Uuid" => Primitive::Uuid,
        _ => {
            let name = crate::parser::short_type(id);
            match name.as_str() {
                "point" => Primitive::Point,
                "multiPoint" => Primitive::MultiPoint,
                "lineString" => Primitive::LineString,
                "multiLineString" => Primitive::MultiLineString,
                "polygon" => Primitive::Polygon,
                "multiPolygon" => Primitive::MultiPolygon,
                _ => return None,
            }
        }
    })
}
