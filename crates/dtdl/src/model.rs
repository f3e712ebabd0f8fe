//! The typed result of parsing: interfaces with their resolved contents.
//!
//! Contract used by the twin graph (`ferrotwin-graph`). Fields may be added;
//! the listed ones keep their meaning.

use std::collections::BTreeMap;

/// A parsed, validated and inheritance-resolved set of interfaces.
#[derive(Debug, Clone, Default)]
pub struct ModelSet {
    /// Every interface by DTMI, including those pulled in through the resolver.
    pub interfaces: BTreeMap<String, Interface>,
    /// Every schema element by id (named or generated), resolved.
    pub schemas: BTreeMap<String, Schema>,
}

/// A DTDL Interface with its own and inherited contents.
#[derive(Debug, Clone)]
pub struct Interface {
    /// The interface DTMI.
    pub id: String,
    /// Direct `extends` DTMIs.
    pub extends: Vec<String>,
    /// Contents by name: own contents plus every inherited one.
    pub contents: BTreeMap<String, Content>,
    /// Names of the contents the interface declares itself (not inherited).
    pub own_contents: Vec<String>,
    /// Localized display names by language code.
    pub display_name: BTreeMap<String, String>,
    /// Localized descriptions by language code.
    pub description: BTreeMap<String, String>,
    /// The model author's comment.
    pub comment: Option<String>,
    /// The DTDL major version the interface is written in.
    pub dtdl_version: u8,
}

/// One element of an interface's `contents`.
#[derive(Debug, Clone)]
pub enum Content {
    /// A Property: state the twin stores.
    Property(Property),
    /// A Telemetry: data the device emits.
    Telemetry(Telemetry),
    /// A Command.
    Command(Command),
    /// A Relationship to other twins.
    Relationship(Relationship),
    /// A Component: an embedded interface instance.
    Component(Component),
}

/// A Property definition.
#[derive(Debug, Clone)]
pub struct Property {
    /// The property name.
    pub name: String,
    /// Its schema.
    pub schema: Schema,
    /// Semantic and adjunct co-types, e.g. `Temperature`, `Historized`.
    pub semantic_types: Vec<String>,
    /// The unit name, when a semantic type gives one (e.g. `degreeCelsius`).
    pub unit: Option<String>,
    /// Whether it is writable (v2/v3 default false).
    pub writable: bool,
}

/// A Telemetry definition.
#[derive(Debug, Clone)]
pub struct Telemetry {
    /// The telemetry name.
    pub name: String,
    /// Its schema.
    pub schema: Schema,
    /// Semantic and adjunct co-types, e.g. `Temperature`, `Historized`.
    pub semantic_types: Vec<String>,
    /// The unit name, when a semantic type gives one (e.g. `degreeCelsius`).
    pub unit: Option<String>,
}

/// A Command definition.
#[derive(Debug, Clone)]
pub struct Command {
    /// The command name.
    pub name: String,
    /// The request payload schema, if any.
    pub request: Option<Schema>,
    /// The response payload schema, if any.
    pub response: Option<Schema>,
}

/// A Relationship definition.
#[derive(Debug, Clone)]
pub struct Relationship {
    /// The relationship name.
    pub name: String,
    /// The allowed target interface, if restricted.
    pub target: Option<String>,
    /// Lower bound on instances per source twin.
    pub min_multiplicity: Option<u32>,
    /// Upper bound on instances per source twin.
    pub max_multiplicity: Option<u32>,
    /// Properties carried by each relationship instance.
    pub properties: Vec<Property>,
}

/// A Component definition.
#[derive(Debug, Clone)]
pub struct Component {
    /// The component name.
    pub name: String,
    /// The DTMI of the component's interface.
    pub schema: String,
}

/// A DTDL schema.
#[derive(Debug, Clone)]
pub enum Schema {
    /// A primitive schema.
    Primitive(Primitive),
    /// An Array of one element schema.
    Array(Box<Schema>),
    /// An Enum with its value schema and allowed values.
    Enum {
        /// `integer` or `string`.
        value_schema: Primitive,
        /// The enum values, each a name and its value.
        values: Vec<(String, serde_json::Value)>,
    },
    /// A Map from string keys to values.
    Map(Box<Schema>),
    /// An Object with named fields.
    Object(Vec<Field>),
}

/// A field of an Object schema.
#[derive(Debug, Clone)]
pub struct Field {
    /// The field name.
    pub name: String,
    /// Its schema.
    pub schema: Schema,
}

/// The DTDL primitive schemas, geospatial schemas included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Primitive {
    /// `boolean`
    Boolean,
    /// `byte` (v4)
    Byte,
    /// `bytes` (v4, base64 string)
    Bytes,
    /// `date` (RFC 3339 full-date)
    Date,
    /// `dateTime` (RFC 3339)
    DateTime,
    /// `decimal` (v4, string)
    Decimal,
    /// `double`
    Double,
    /// `duration` (ISO 8601)
    Duration,
    /// `float`
    Float,
    /// `integer` (32-bit)
    Integer,
    /// `long` (64-bit)
    Long,
    /// `short` (v4)
    Short,
    /// `string`
    String,
    /// `time` (RFC 3339 partial-time)
    Time,
    /// `unsignedByte` (v4)
    UnsignedByte,
    /// `unsignedInteger` (v4)
    UnsignedInteger,
    /// `unsignedLong` (v4)
    UnsignedLong,
    /// `unsignedShort` (v4)
    UnsignedShort,
    /// `uuid` (v4)
    Uuid,
    /// `point` (GeoJSON)
    Point,
    /// `multiPoint` (GeoJSON)
    MultiPoint,
    /// `lineString` (GeoJSON)
    LineString,
    /// `multiLineString` (GeoJSON)
    MultiLineString,
    /// `polygon` (GeoJSON)
    Polygon,
    /// `multiPolygon` (GeoJSON)
    MultiPolygon,
}

impl ModelSet {
    /// The interface with this DTMI.
    pub fn interface(&self, id: &str) -> Option<&Interface> {
        self.interfaces.get(id)
    }

    /// True when `model` is `base` or extends it, directly or transitively.
    pub fn is_a(&self, model: &str, base: &str) -> bool {
        if model == base {
            return true;
        }
        let mut stack = vec![model];
        let mut seen = std::collections::HashSet::new();
        while let Some(m) = stack.pop() {
            if !seen.insert(m) {
                continue;
            }
            if let Some(i) = self.interfaces.get(m) {
                for e in &i.extends {
                    if e == base {
                        return true;
                    }
                    stack.push(e);
                }
            }
        }
        false
    }
}
