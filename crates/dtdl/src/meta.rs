//! The DTDL metamodel, indexed for the parser: classes and their
//! properties per DTDL version, contexts, supplemental types, standard
//! elements and limits. Built once from the generated digest.

use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// DTDL versions this crate knows, as indexes into per-version arrays.
pub const VERSIONS: [u8; 3] = [2, 3, 4];

/// The indexed metamodel.
#[derive(Debug)]
pub struct Meta {
    /// Term definitions by context DTMI.
    pub contexts: HashMap<String, HashMap<String, String>>,
    /// Material classes by name.
    pub classes: HashMap<String, Class>,
    /// Supplemental (extension and semantic) types by IRI.
    pub supplemental: HashMap<String, Supplemental>,
    /// Depth, count and exclusion rules over descendants.
    pub controls: Vec<Control>,
    /// Standard elements (primitive schemas, units, ...) by id: (version, type term).
    pub elements: HashMap<String, (u8, String)>,
    /// Reserved id prefixes by context.
    pub reserved: HashMap<String, Vec<String>>,
    /// Limit contexts: DTMI -> (DTDL version, limit-spec key).
    pub limit_contexts: HashMap<String, (u8, String)>,
    /// Affiliate contexts and the DTDL version they imply.
    pub affiliates: HashMap<String, u8>,
    /// Max id length per version and limit spec.
    pub id_max_len: HashMap<u8, HashMap<String, usize>>,
    /// Max id length per class, version and limit spec.
    pub id_max_len_class: HashMap<(String, u8), HashMap<String, usize>>,
    /// Max JSON text size in bytes of a partition (Interface) per version and limit spec.
    pub partition_max_bytes: HashMap<u8, HashMap<String, usize>>,
    /// Apocrypha treatment per version: rule -> "valid" | "tenable" | "invalid".
    pub apocrypha: HashMap<u8, HashMap<String, String>>,
    /// Unit enumerations of the quantitativeTypes contexts: enum IRI -> unit names.
    pub families: HashMap<String, Vec<String>>,
}

/// A material class.
#[derive(Debug, Default)]
pub struct Class {
    /// Short name, e.g. `Telemetry`.
    pub name: String,
    /// Super class name.
    pub parent: Option<String>,
    /// Versions defining the class.
    pub versions: Vec<u8>,
    /// Concrete subclasses per version (self included when concrete).
    pub concrete: HashMap<u8, Vec<String>>,
    /// Properties by name.
    pub props: HashMap<String, Prop>,
    /// Versions in which `@type` may be omitted (inferred from the property).
    pub type_optional: Vec<u8>,
    /// Versions in which an `@id` is required.
    pub id_required: Vec<u8>,
    /// Places (class, property) where an `@id` is required, per version.
    pub id_required_when: HashMap<u8, Vec<(String, String)>>,
    /// Class names this class is, itself included.
    pub ancestry: Vec<String>,
    /// Standard element ids per version.
    pub standard_elements: HashMap<u8, Vec<String>>,
}

/// A property of a material class.
#[derive(Debug, Default)]
pub struct Prop {
    /// Literal (datatype) rather than element-valued.
    pub literal: bool,
    /// The literal datatype (`string`, `integer`, `boolean`, `langString`, ...).
    pub datatype: Option<String>,
    /// Plural properties take arrays.
    pub plural: bool,
    /// Property whose value becomes the auto-id segment.
    pub dtmi_segment: Option<String>,
    /// Per-version facets.
    pub by_version: HashMap<u8, PropVersion>,
}

/// The facets of a property in one DTDL version.
#[derive(Debug, Default, Clone)]
pub struct PropVersion {
    /// Whether a model may set it.
    pub allowed: bool,
    /// The class of element values.
    pub class: Option<String>,
    /// Minimum number of values.
    pub min_count: Option<usize>,
    /// Maximum number of values.
    pub max_count: Option<usize>,
    /// Max string length by limit spec ("" default).
    pub max_length: HashMap<String, usize>,
    /// Whether the value must match the name pattern.
    pub name_pattern: bool,
    /// Allowed standard element names.
    pub values: Option<Vec<String>>,
    /// DTDL versions in which referenced elements may be defined.
    pub versions: Vec<u8>,
    /// Properties whose values must be unique among the elements.
    pub unique_props: Vec<String>,
    /// Inclusive numeric bounds.
    pub min_inclusive: Option<i64>,
    /// Inclusive numeric bounds.
    pub max_inclusive: Option<i64>,
    /// Element values must be references (or have an `@id`).
    pub id_required: bool,
}

/// A supplemental type: a co-type that adds properties and rules.
#[derive(Debug, Default)]
pub struct Supplemental {
    /// Its IRI.
    pub id: String,
    /// Abstract supplemental types cannot be named in `@type`.
    pub is_abstract: bool,
    /// Material classes it may co-type.
    pub cotypes: Vec<String>,
    /// Supplemental types that, co-typing the same element, let it co-type a class not in `cotypes`.
    pub altcotypes: Vec<String>,
    /// Its extension kind (`SemanticType`, `AdjunctType`, `Unit`, ...).
    pub extension_kind: String,
    /// DTDL versions it may be used in.
    pub cotype_versions: Vec<u8>,
    /// Parent supplemental type IRI.
    pub parent: Option<String>,
    /// Added properties by IRI.
    pub props: HashMap<String, SupProp>,
    /// Co-types it requires.
    pub cocotypes: Vec<String>,
    /// Co-types it forbids.
    pub discotypes: Vec<String>,
    /// Raw sibling rules.
    pub siblings: Vec<Value>,
    /// Raw constraints.
    pub constraints: Vec<Value>,
}

/// A property added by a supplemental type.
#[derive(Debug, Default, Clone)]
pub struct SupProp {
    /// Short name.
    pub name: String,
    /// Value type IRI (xsd datatype or DTDL class).
    pub type_iri: Option<String>,
    /// Value type short name.
    pub type_name: String,
    /// Minimum number of values.
    pub min_count: Option<usize>,
    /// Maximum number of values.
    pub max_count: Option<usize>,
    /// Enumeration its value must belong to.
    pub child_of: Option<String>,
    /// Max string length.
    pub max_length: Option<usize>,
    /// Minimum numeric value.
    pub min_inclusive: Option<f64>,
    /// Regular expression the value must match.
    pub pattern: Option<String>,
    /// Whether values must be unique among sibling contents.
    pub unique_value: bool,
    /// The material property whose schema the value must be an instance of.
    pub instance_property: Option<String>,
}

/// A descendant control: depth, count or exclusion rule rooted at a class.
#[derive(Debug, Default)]
pub struct Control {
    /// Version the rule applies to.
    pub version: u8,
    /// Root class.
    pub root_class: String,
    /// Properties followed.
    pub properties: Vec<String>,
    /// Narrow (single chain) or wide (whole hierarchy).
    pub narrow: bool,
    /// Max depth by limit spec.
    pub max_depth: HashMap<String, usize>,
    /// Max count by limit spec.
    pub max_count: HashMap<String, usize>,
    /// Type that may not appear below.
    pub exclude_type: Option<String>,
    /// Property whose literal descendants must conform to the root's datatype.
    pub datatype_property: Option<String>,
    /// Whether the root may appear below itself.
    pub allow_self: bool,
    /// Defining class.
    pub defining_class: String,
}

static META: OnceLock<Meta> = OnceLock::new();

/// The metamodel, built on first use.
pub fn meta() -> &'static Meta {
    META.get_or_init(|| {
        let d: Value =
            serde_json::from_str(crate::generated::digest::DIGEST).unwrap_or(Value::Null);
        build(&d)
    })
}

fn s(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}
fn strs(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(s).collect())
        .unwrap_or_default()
}
fn vers(v: Option<&Value>) -> Vec<u8> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_u64)
                .filter_map(|n| u8::try_from(n).ok())
                .collect()
        })
        .unwrap_or_default()
}
fn usize_of(v: Option<&Value>) -> Option<usize> {
    v.and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
}
fn limits(v: Option<&Value>) -> HashMap<String, usize> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), usize_of(Some(v))?)))
                .collect()
        })
        .unwrap_or_default()
}
fn obj(v: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
    v.and_then(Value::as_object).into_iter().flatten()
}
fn ver_key(k: &str) -> Option<u8> {
    k.parse().ok()
}

fn build(d: &Value) -> Meta {
    let contexts = obj(d.get("contexts"))
        .map(|(k, v)| {
            (
                k.clone(),
                obj(Some(v))
                    .filter_map(|(t, i)| Some((t.clone(), s(i)?)))
                    .collect(),
            )
        })
        .collect();
    let mut classes: HashMap<String, Class> = HashMap::new();
    for (name, c) in obj(d.get("materialClasses")) {
        let mut class = Class {
            name: name.clone(),
            parent: c.get("parentClass").and_then(s),
            versions: vers(c.get("dtdlVersions")),
            type_optional: vers(c.get("typeOptionalVersions")),
            id_required: vers(c.get("idRequiredVersions")),
            ..Class::default()
        };
        for (k, v) in obj(c.get("concreteSubclasses")) {
            if let Some(k) = ver_key(k) {
                class.concrete.insert(k, strs(Some(v)));
            }
        }
        for (k, v) in obj(c.get("standardElementIds")) {
            if let Some(k) = ver_key(k) {
                class.standard_elements.insert(k, strs(Some(v)));
            }
        }
        for (k, v) in obj(c.get("idRequiredWhen")) {
            if let Some(k) = ver_key(k) {
                let w = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|x| Some((s(x.get("class")?)?, s(x.get("property")?)?)))
                    .collect();
                class.id_required_when.insert(k, w);
            }
        }
        for (pname, p) in obj(c.get("properties")) {
            let u = p.get("_").unwrap_or(&Value::Null);
            let mut prop = Prop {
                literal: u.get("literal").and_then(Value::as_bool).unwrap_or(false),
                datatype: u.get("datatype").and_then(s),
                plural: u.get("plural").and_then(Value::as_bool).unwrap_or(false),
                dtmi_segment: u.get("dtmiSegment").and_then(s),
                by_version: HashMap::new(),
            };
            for v in VERSIONS {
                let Some(pv) = p.get(v.to_string()) else {
                    continue;
                };
                let pattern = pv.get("pattern").and_then(Value::as_str).unwrap_or("");
                prop.by_version.insert(
                    v,
                    PropVersion {
                        allowed: pv.get("allowed").and_then(Value::as_bool).unwrap_or(true),
                        class: pv.get("class").and_then(s),
                        min_count: usize_of(pv.get("minCount")),
                        max_count: usize_of(pv.get("maxCount")),
                        max_length: limits(pv.get("maxLength")),
                        name_pattern: pattern.starts_with("^[A-Za-z]"),
                        values: pv.get("values").map(|x| strs(Some(x))),
                        versions: vers(pv.get("versions")),
                        unique_props: strs(pv.get("uniqueProperties")),
                        min_inclusive: pv.get("minInclusive").and_then(Value::as_i64),
                        max_inclusive: pv.get("maxInclusive").and_then(Value::as_i64),
                        id_required: pv
                            .get("idRequired")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                    },
                );
            }
            class.props.insert(pname.clone(), prop);
        }
        classes.insert(name.clone(), class);
    }
    let names: Vec<String> = classes.keys().cloned().collect();
    for n in names {
        let mut chain = vec![n.clone()];
        let mut cur = classes.get(&n).and_then(|c| c.parent.clone());
        while let Some(p) = cur {
            if chain.contains(&p) || chain.len() > 32 {
                break;
            }
            chain.push(p.clone());
            cur = classes.get(&p).and_then(|c| c.parent.clone());
        }
        if let Some(c) = classes.get_mut(&n) {
            c.ancestry = chain;
        }
    }

    let mut supplemental = HashMap::new();
    for (id, t) in obj(d.get("supplementalTypes")) {
        let props = obj(t.get("properties"))
            .map(|(iri, p)| {
                (
                    iri.clone(),
                    SupProp {
                        name: p.get("propertyName").and_then(s).unwrap_or_default(),
                        type_iri: p.get("type").and_then(s),
                        type_name: p.get("typeName").and_then(s).unwrap_or_default(),
                        min_count: usize_of(p.get("minCount")),
                        max_count: usize_of(p.get("maxCount")),
                        child_of: p.get("childOf").and_then(s),
                        max_length: usize_of(p.get("maxLength")),
                        min_inclusive: p.get("minInclusive").and_then(Value::as_f64),
                        pattern: p.get("pattern").and_then(s),
                        unique_value: p
                            .get("uniqueValue")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                        instance_property: p.get("instanceProperty").and_then(s),
                    },
                )
            })
            .collect();
        supplemental.insert(
            id.clone(),
            Supplemental {
                id: id.clone(),
                is_abstract: t.get("abstract").and_then(Value::as_bool).unwrap_or(false),
                cotypes: strs(t.get("cotypes")),
                altcotypes: strs(t.get("altcotypes")),
                extension_kind: t.get("extensionKind").and_then(s).unwrap_or_default(),
                cotype_versions: vers(t.get("cotypeVersions")),
                parent: t.get("parent").and_then(s),
                props,
                cocotypes: strs(t.get("cocotypes")),
                discotypes: strs(t.get("discotypes")),
                siblings: t
                    .get("siblings")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
                constraints: t
                    .get("constraints")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            },
        );
    }

    let controls = d
        .get("descendantControls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| Control {
            version: c
                .get("dtdlVersion")
                .and_then(Value::as_u64)
                .and_then(|v| u8::try_from(v).ok())
                .unwrap_or(0),
            root_class: c.get("rootClass").and_then(s).unwrap_or_default(),
            properties: strs(c.get("properties")),
            narrow: c.get("narrow").and_then(Value::as_bool).unwrap_or(false),
            max_depth: limits(c.get("maxDepth")),
            max_count: limits(c.get("maxCount")),
            exclude_type: c.get("excludeType").and_then(s),
            datatype_property: c.get("datatypeProperty").and_then(s),
            allow_self: c.get("allowSelf").and_then(Value::as_bool).unwrap_or(false),
            defining_class: c.get("definingClass").and_then(s).unwrap_or_default(),
        })
        .collect();

    let mut elements = HashMap::new();
    for e in d
        .get("elements")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(id), Some(t)) = (e.get("@id").and_then(s), e.get("@type")) else {
            continue;
        };
        let ctx = match e.get("@context") {
            Some(Value::Array(a)) => a.first().and_then(s),
            Some(v) => s(v),
            None => None,
        }
        .unwrap_or_default();
        let v = ctx
            .rsplit(';')
            .next()
            .and_then(|x| x.parse().ok())
            .unwrap_or(2);
        let t = match t {
            Value::Array(a) => a.first().and_then(s),
            v => s(v),
        }
        .unwrap_or_default();
        elements.insert(id, (v, t));
    }

    let reserved = obj(d.get("reservedIdPrefixes"))
        .map(|(k, v)| (k.clone(), strs(Some(v))))
        .collect();
    let limit_contexts = obj(d.get("limitContexts"))
        .filter_map(|(k, v)| {
            let ver = v
                .get("dtdlVersion")
                .and_then(Value::as_u64)
                .and_then(|x| u8::try_from(x).ok())?;
            Some((k.clone(), (ver, v.get("spec").and_then(s)?)))
        })
        .collect();
    let affiliates = obj(d.get("affiliateContextsImplicitDtdlVersions"))
        .filter_map(|(k, v)| Some((k.clone(), u8::try_from(v.as_u64()?).ok()?)))
        .collect();
    let mut id_max_len = HashMap::new();
    let mut id_max_len_class = HashMap::new();
    for (k, v) in obj(d.get("identifierDefinition")) {
        if let Some(ver) = ver_key(k) {
            id_max_len.insert(ver, limits(v.get("maxLength")));
        } else {
            for (vk, vv) in obj(Some(v)) {
                if let Some(ver) = ver_key(vk) {
                    id_max_len_class.insert((k.clone(), ver), limits(vv.get("maxLength")));
                }
            }
        }
    }
    let partition_max_bytes = obj(d.get("partitions"))
        .filter_map(|(k, v)| Some((ver_key(k)?, limits(v.get("maxBytes")))))
        .collect();
    let apocrypha = obj(d.get("apocrypha"))
        .filter_map(|(k, v)| {
            Some((
                ver_key(k)?,
                obj(Some(v))
                    .filter_map(|(a, b)| Some((a.clone(), s(b)?)))
                    .collect(),
            ))
        })
        .collect();
    let families = obj(d.get("families"))
        .map(|(k, v)| (k.clone(), strs(Some(v))))
        .collect();
    Meta {
        contexts,
        classes,
        supplemental,
        controls,
        elements,
        reserved,
        limit_contexts,
        affiliates,
        id_max_len,
        partition_max_bytes,
        id_max_len_class,
        apocrypha,
        families,
    }
}

impl Meta {
    /// True when class `c` is `ancestor` or a subclass of it.
    pub fn is_subclass(&self, c: &str, ancestor: &str) -> bool {
        self.classes
            .get(c)
            .is_some_and(|k| k.ancestry.iter().any(|a| a == ancestor))
    }

    /// The property `name` of class `class` in version `v`.
    pub fn prop(&self, class: &str, name: &str, v: u8) -> Option<(&Prop, &PropVersion)> {
        let p = self.classes.get(class)?.props.get(name)?;
        Some((p, p.by_version.get(&v)?))
    }

    /// The supplemental type and its ancestors.
    pub fn supplemental_chain(&self, iri: &str) -> Vec<&Supplemental> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut cur = Some(iri.to_string());
        while let Some(c) = cur {
            if !seen.insert(c.clone()) {
                break;
            }
            match self.supplemental.get(&c) {
                Some(s) => {
                    out.push(s);
                    cur = s.parent.clone();
                }
                None => break,
            }
        }
        out
    }
}

/// The limit for `spec` in a limits map, falling back to the default ("").
pub fn limit(m: &HashMap<String, usize>, spec: &str) -> Option<usize> {
    m.get(spec).or_else(|| m.get("")).copied()
}
