//! The payload of one write-ahead record: series definitions (the first
//! time a series is seen) and points, in a compact binary form.

use super::head::{HeadPoint, HeadValue};
use crate::Kind;

const DEFINE: u8 = 0;
const POINT: u8 = 1;
const FLOAT: u8 = 0;
const INT: u8 = 1;
const JSON: u8 = 2;

/// One entry of a record.
#[derive(Debug, PartialEq)]
pub(crate) enum Entry {
    /// A new series and the id it was given.
    Define {
        id: u32,
        kind: Kind,
        twin: String,
        name: String,
        model: String,
    },
    /// A point of a series.
    Point { id: u32, point: HeadPoint },
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Appends a series definition.
pub(crate) fn define(out: &mut Vec<u8>, id: u32, kind: Kind, twin: &str, name: &str, model: &str) {
    out.push(DEFINE);
    out.extend_from_slice(&id.to_le_bytes());
    out.push(kind.code());
    put_str(out, twin);
    put_str(out, name);
    put_str(out, model);
}

/// Appends a point.
pub(crate) fn point(out: &mut Vec<u8>, id: u32, p: &HeadPoint) {
    out.push(POINT);
    out.extend_from_slice(&id.to_le_bytes());
    out.extend_from_slice(&p.time.to_le_bytes());
    out.extend_from_slice(&p.ingest.to_le_bytes());
    match &p.value {
        HeadValue::Float(f) => {
            out.push(FLOAT);
            out.extend_from_slice(&f.to_le_bytes());
        }
        HeadValue::Int(i) => {
            out.push(INT);
            out.extend_from_slice(&i.to_le_bytes());
        }
        HeadValue::Json(s) => {
            out.push(JSON);
            put_str(out, s);
        }
    }
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err("a write-ahead record ends early".into());
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4")))
    }
    fn i64(&mut self) -> Result<i64, String> {
        Ok(i64::from_le_bytes(self.take(8)?.try_into().expect("8")))
    }
    fn string(&mut self) -> Result<String, String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec())
            .map_err(|_| "a write-ahead string is not UTF-8".to_string())
    }
}

/// Decodes a record's entries.
pub(crate) fn decode(b: &[u8]) -> Result<Vec<Entry>, String> {
    let mut c = Cursor(b);
    let mut out = Vec::new();
    while !c.0.is_empty() {
        match c.u8()? {
            DEFINE => {
                let id = c.u32()?;
                let kind =
                    Kind::from_code(c.u8()?).ok_or("unknown series kind in the write-ahead log")?;
                out.push(Entry::Define {
                    id,
                    kind,
                    twin: c.string()?,
                    name: c.string()?,
                    model: c.string()?,
                });
            }
            POINT => {
                let id = c.u32()?;
                let time = c.i64()?;
                let ingest = c.i64()?;
                let value = match c.u8()? {
                    FLOAT => HeadValue::Float(f64::from_bits(c.i64()? as u64)),
                    INT => HeadValue::Int(c.i64()?),
                    JSON => HeadValue::Json(c.string()?.into()),
                    _ => return Err("unknown value type in the write-ahead log".into()),
                };
                out.push(Entry::Point {
                    id,
                    point: HeadPoint {
                        time,
                        ingest,
                        value,
                    },
                });
            }
            other => return Err(format!("unknown write-ahead entry type {other}")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip() {
        let mut b = Vec::new();
        define(&mut b, 7, Kind::Property, "t1", "motor/speed", "dtmi:x;1");
        let p = HeadPoint {
            time: -3,
            ingest: 5000,
            value: HeadValue::Json("{\"a\":1}".into()),
        };
        point(&mut b, 7, &p);
        point(
            &mut b,
            7,
            &HeadPoint {
                value: HeadValue::Float(1.25),
                ..p.clone()
            },
        );
        let e = decode(&b).unwrap();
        assert_eq!(e.len(), 3);
        assert_eq!(e[1], Entry::Point { id: 7, point: p });
        assert!(decode(&b[..b.len() - 1]).is_err());
    }
}
