//! Instance validation: does a JSON value conform to a parsed schema?

use crate::model::{ModelSet, Primitive, Schema};
use serde_json::Value;
use std::collections::HashSet;
use std::fmt;

/// The first place where a value does not conform to its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceError {
    /// JSON pointer inside the value ("" for the root).
    pub path: String,
    /// What was expected there, in words.
    pub expected: String,
}

impl fmt::Display for InstanceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.path.is_empty() {
            "the value"
        } else {
            &self.path
        };
        write!(f, "{at}: expected {}", self.expected)
    }
}

const MAX_DEPTH: usize = 128;

/// How integers were told from other numbers before the value reached the checker.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Numbers<'a> {
    /// A `serde_json::Value`: `-0` arrives as a float and is taken as the integer zero.
    Parsed,
    /// Read from the text: an integer is a number written without fraction or exponent;
    /// the set holds the paths of integers written `-0`, which unsigned types refuse.
    Written(&'a HashSet<String>),
}

/// Checks `value` against `schema`; `Ok` or the first mismatch.
pub fn validate_instance(
    models: &ModelSet,
    schema: &Schema,
    value: &Value,
) -> Result<(), InstanceError> {
    let _ = models;
    check(schema, value, &mut String::new(), 0, Numbers::Parsed)
}

/// Checks JSON `text` against `schema`, judging numbers as written: `-0` is an
/// integer, `-0.0` is not (a parsed `serde_json::Value` cannot tell them apart).
pub fn validate_instance_text(
    models: &ModelSet,
    schema: &Schema,
    text: &str,
) -> Result<(), InstanceError> {
    let _ = models;
    let Ok(node) = crate::json::parse(text) else {
        return fail("", "JSON text");
    };
    let mut negative_zeros = HashSet::new();
    find_negative_zeros(&node, &mut String::new(), &mut negative_zeros);
    check(
        schema,
        &node.to_value(),
        &mut String::new(),
        0,
        Numbers::Written(&negative_zeros),
    )
}

/// Paths (as `check` spells them) of integers written `-0`.
fn find_negative_zeros(n: &crate::json::Node, path: &mut String, out: &mut HashSet<String>) {
    use crate::json::Val;
    match &n.v {
        Val::Num(f, raw) if *f == 0.0 && raw.starts_with('-') && !raw.contains(['.', 'e', 'E']) => {
            out.insert(path.clone());
        }
        Val::Arr(items) => {
            for (i, it) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                find_negative_zeros(it, path, out);
                path.truncate(len);
            }
        }
        Val::Obj(members) => {
            for (k, _, it) in members {
                let len = path.len();
                path.push('/');
                path.push_str(&escape(k));
                find_negative_zeros(it, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn fail(path: &str, expected: impl Into<String>) -> Result<(), InstanceError> {
    Err(InstanceError {
        path: path.to_string(),
        expected: expected.into(),
    })
}

fn check(
    schema: &Schema,
    v: &Value,
    path: &mut String,
    depth: usize,
    numbers: Numbers<'_>,
) -> Result<(), InstanceError> {
    if depth > MAX_DEPTH {
        return fail(path, "a value nested less deeply");
    }
    match schema {
        Schema::Primitive(p) => primitive(*p, v, path, numbers),
        Schema::Array(el) => {
            let Value::Array(items) = v else {
                return fail(path, "an array");
            };
            for (i, it) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                check(el, it, path, depth + 1, numbers)?;
                path.truncate(len);
            }
            Ok(())
        }
        Schema::Map(val) => {
            let Value::Object(m) = v else {
                return fail(path, "an object (map)");
            };
            for (k, it) in m {
                let len = path.len();
                path.push('/');
                path.push_str(&escape(k));
                check(val, it, path, depth + 1, numbers)?;
                path.truncate(len);
            }
            Ok(())
        }
        Schema::Object(fields) => {
            let Value::Object(m) = v else {
                return fail(path, "an object");
            };
            for (k, it) in m {
                let Some(f) = fields.iter().find(|f| &f.name == k) else {
                    return fail(path, format!("an object with no field '{k}'"));
                };
                let len = path.len();
                path.push('/');
                path.push_str(&escape(k));
                check(&f.schema, it, path, depth + 1, numbers)?;
                path.truncate(len);
            }
            Ok(())
        }
        Schema::Enum {
            value_schema,
            values,
        } => {
            let ok = values.iter().any(|(_, ev)| ev == v);
            if ok {
                return Ok(());
            }
            let list: Vec<String> = values
                .iter()
                .map(|(_, ev)| match ev {
                    Value::String(s) => format!("'{s}'"),
                    other => other.to_string(),
                })
                .collect();
            let _ = value_schema;
            fail(path, format!("one of the enum values {}", list.join(", ")))
        }
    }
}

fn escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

fn int_in(v: &Value, path: &str, lo: i128, hi: i128, numbers: Numbers<'_>) -> bool {
    // Parsed, `-0` reads as a float zero (indistinguishable from `-0.0`); unsigned types refuse the sign.
    let neg_zero = numbers == Numbers::Parsed
        && lo < 0
        && v.as_f64().is_some_and(|f| f == 0.0 && f.is_sign_negative());
    if let Numbers::Written(zeros) = numbers
        && lo >= 0
        && zeros.contains(path)
    {
        return false;
    }
    let n = v
        .as_i64()
        .map(i128::from)
        .or_else(|| v.as_u64().map(i128::from))
        .or(neg_zero.then_some(0));
    n.is_some_and(|n| n >= lo && n <= hi)
}

fn primitive(
    p: Primitive,
    v: &Value,
    path: &str,
    numbers: Numbers<'_>,
) -> Result<(), InstanceError> {
    let int_in = |v: &Value, lo: i128, hi: i128| int_in(v, path, lo, hi, numbers);
    let s = v.as_str();
    let (ok, what) = match p {
        Primitive::Boolean => (v.is_boolean(), "a boolean"),
        Primitive::Integer => (
            int_in(v, i128::from(i32::MIN), i128::from(i32::MAX)),
            "an integer",
        ),
        Primitive::Long => (
            int_in(v, i128::from(i64::MIN), i128::from(i64::MAX)),
            "a long integer",
        ),
        Primitive::Short => (
            int_in(v, i128::from(i16::MIN), i128::from(i16::MAX)),
            "a short integer (-32768 to 32767)",
        ),
        Primitive::Byte => (int_in(v, -128, 127), "a byte (-128 to 127)"),
        Primitive::UnsignedByte => (int_in(v, 0, 255), "an unsigned byte (0 to 255)"),
        Primitive::UnsignedShort => (int_in(v, 0, 65535), "an unsigned short (0 to 65535)"),
        Primitive::UnsignedInteger => (
            int_in(v, 0, i128::from(u32::MAX)),
            "an unsigned integer (0 to 4294967295)",
        ),
        Primitive::UnsignedLong => (
            int_in(v, 0, i128::from(u64::MAX)),
            "an unsigned long integer",
        ),
        Primitive::Double => (v.is_number(), "a number"),
        Primitive::Float => (
            v.as_f64().is_some_and(|f| f.abs() <= f64::from(f32::MAX)),
            "a number in float range",
        ),
        Primitive::String => (v.is_string(), "a string"),
        Primitive::Date => (
            s.is_some_and(is_date),
            "a string in RFC 3339 full-date format",
        ),
        Primitive::DateTime => (
            s.is_some_and(is_date_time),
            "a string in RFC 3339 date-time format",
        ),
        Primitive::Time => (
            s.is_some_and(is_time),
            "a string in RFC 3339 partial-time format",
        ),
        Primitive::Duration => (
            s.is_some_and(is_duration),
            "a string in ISO 8601 duration format",
        ),
        Primitive::Uuid => (s.is_some_and(is_uuid), "a string in UUID format"),
        Primitive::Bytes => (s.is_some_and(is_base64), "a base64-encoded string"),
        Primitive::Decimal => (
            s.is_some_and(is_decimal),
            "a string holding a decimal number",
        ),
        Primitive::Point => (geo(v, "Point", 1), "a GeoJSON Point"),
        Primitive::MultiPoint => (geo(v, "MultiPoint", 2), "a GeoJSON MultiPoint"),
        Primitive::LineString => (geo(v, "LineString", 2), "a GeoJSON LineString"),
        Primitive::MultiLineString => (geo(v, "MultiLineString", 3), "a GeoJSON MultiLineString"),
        Primitive::Polygon => (geo(v, "Polygon", 3), "a GeoJSON Polygon"),
        Primitive::MultiPolygon => (geo(v, "MultiPolygon", 4), "a GeoJSON MultiPolygon"),
    };
    if ok { Ok(()) } else { fail(path, what) }
}

fn digits(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

fn num(s: &[u8]) -> u32 {
    s.iter().fold(0u32, |a, d| {
        a.saturating_mul(10).saturating_add(u32::from(d - b'0'))
    })
}

/// `YYYY-MM-DD` with a real calendar day.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !digits(&b[..4])
        || !digits(&b[5..7])
        || !digits(&b[8..])
    {
        return false;
    }
    let (y, m, d) = (num(&b[..4]), num(&b[5..7]), num(&b[8..]));
    if y == 0 {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// `hh:mm:ss[.frac](Z|±hh:mm)`.
pub fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 9
        || b[2] != b':'
        || b[5] != b':'
        || !digits(&b[..2])
        || !digits(&b[3..5])
        || !digits(&b[6..8])
    {
        return false;
    }
    if num(&b[..2]) > 23 || num(&b[3..5]) > 59 || num(&b[6..8]) > 59 {
        return false;
    }
    let mut rest = &b[8..];
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &rest[1 + n..];
    }
    match rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            digits(&[*h1, *h2, *m1, *m2]) && num(&[*h1, *h2]) <= 23 && num(&[*m1, *m2]) <= 59
        }
        _ => false,
    }
}

/// RFC 3339 date-time.
pub fn is_date_time(s: &str) -> bool {
    match s.find(['T', 't']) {
        Some(i) => is_date(&s[..i]) && is_time(&s[i + 1..]),
        None => false,
    }
}

/// ISO 8601 duration as DTDL restricts it: `P[nY][nM][nD][T[nH][nM][nS]]` or
/// `P[nW][nD][T...]`, at least one part after `P` and after `T`, and a
/// fraction only on the last part.
pub fn is_duration(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('P') else {
        return false;
    };
    let (date, time) = match rest.split_once('T') {
        Some((_, "")) => return false,
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let Some(dparts) = parts(date) else {
        return false;
    };
    let tparts = match time {
        Some(t) => match parts(t) {
            Some(p) => p,
            None => return false,
        },
        None => Vec::new(),
    };
    if dparts.is_empty() && tparts.is_empty() {
        return false;
    }
    let total = dparts.len() + tparts.len();
    let order_ok = |ps: &[(bool, u8)], units: &[u8]| {
        let mut last = 0usize;
        ps.iter()
            .all(|(_, u)| match units.iter().position(|x| x == u) {
                Some(p) if p >= last => {
                    last = p + 1;
                    true
                }
                _ => false,
            })
    };
    let weeks = dparts.iter().any(|(_, u)| *u == b'W');
    let date_ok = if weeks {
        order_ok(&dparts, b"WD")
    } else {
        order_ok(&dparts, b"YMD")
    };
    let fractions_ok = dparts
        .iter()
        .chain(tparts.iter())
        .enumerate()
        .all(|(i, (frac, u))| !*frac || i + 1 == total || *u == b'S');
    date_ok && order_ok(&tparts, b"HMS") && fractions_ok
}

/// Splits `3Y6.5M` into (has fraction, unit) pairs; `None` when malformed.
fn parts(s: &str) -> Option<Vec<(bool, u8)>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        let mut frac = false;
        if i < b.len() && b[i] == b'.' {
            i += 1;
            let fs = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == fs {
                return None;
            }
            frac = true;
        }
        let unit = *b.get(i)?;
        out.push((frac, unit));
        i += 1;
    }
    Some(out)
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn is_base64(s: &str) -> bool {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(4) {
        return false;
    }
    let body = s.trim_end_matches('=');
    b.len() - body.len() <= 2
        && body
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
}

/// `^(?:\+|-)?(?:[1-9][0-9]*|0)(?:\.[0-9]*)?$`
fn is_decimal(s: &str) -> bool {
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (i, f) = t.split_once('.').unwrap_or((t, ""));
    digits(i.as_bytes())
        && (i == "0" || !i.starts_with('0'))
        && f.bytes().all(|c| c.is_ascii_digit())
}

/// A GeoJSON geometry of `kind` whose coordinates nest `depth` arrays deep.
fn geo(v: &Value, kind: &str, depth: usize) -> bool {
    let Value::Object(m) = v else { return false };
    if m.get("type").and_then(Value::as_str) != Some(kind) {
        return false;
    }
    m.keys().all(|k| k == "type" || k == "coordinates")
        && m.get("coordinates").is_some_and(|c| coords(c, depth))
}

fn coords(v: &Value, depth: usize) -> bool {
    let Value::Array(a) = v else { return false };
    if depth == 1 {
        return (2..=3).contains(&a.len()) && a.iter().all(Value::is_number);
    }
    a.iter().all(|x| coords(x, depth - 1))
}
