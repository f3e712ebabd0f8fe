//! The payload of one write-ahead record: series definitions (the first
//! time a series is seen) and points, in a compact binary form. A point is
//! written packed: its series id as a varint, its time and ingest time as
//! zigzag varint deltas from the record's previous point, then its value
//! (about 13 bytes for a float, against 30 fixed-width). Fixed-width points
//! (`POINT`, written before) are still read.

use super::head::{HeadPoint, HeadValue};
use crate::Kind;

const DEFINE: u8 = 0;
/// A fixed-width point, with a value type byte.
const POINT: u8 = 1;
/// Packed points, one entry type per value type.
const PACKED_FLOAT: u8 = 3;
const PACKED_INT: u8 = 4;
const PACKED_JSON: u8 = 5;
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

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    (v >> 1) as i64 ^ -((v & 1) as i64)
}

/// Writes points packed, each time as a delta from the previous point's.
#[derive(Default)]
pub(crate) struct Packer {
    time: i64,
    ingest: i64,
}

impl Packer {
    /// Appends a point.
    pub(crate) fn point(&mut self, out: &mut Vec<u8>, id: u32, p: &HeadPoint) {
        out.push(match p.value {
            HeadValue::Float(_) => PACKED_FLOAT,
            HeadValue::Int(_) => PACKED_INT,
            HeadValue::Json(_) => PACKED_JSON,
        });
        put_varint(out, u64::from(id));
        put_varint(out, zigzag(p.time.wrapping_sub(self.time)));
        put_varint(out, zigzag(p.ingest.wrapping_sub(self.ingest)));
        (self.time, self.ingest) = (p.time, p.ingest);
        match &p.value {
            HeadValue::Float(f) => out.extend_from_slice(&f.to_le_bytes()),
            HeadValue::Int(i) => put_varint(out, zigzag(*i)),
            HeadValue::Json(s) => put_str(out, s),
        }
    }
}

/// Appends a point in the fixed-width form that records before packing
/// used, for tests that read old logs.
#[cfg(test)]
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
    fn varint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err("a write-ahead varint is too long".into())
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
    let (mut time, mut ingest) = (0i64, 0i64);
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
            t @ (PACKED_FLOAT | PACKED_INT | PACKED_JSON) => {
                let id = u32::try_from(c.varint()?)
                    .map_err(|_| "a write-ahead series id is out of range".to_string())?;
                time = time.wrapping_add(unzigzag(c.varint()?));
                ingest = ingest.wrapping_add(unzigzag(c.varint()?));
                let value = match t {
                    PACKED_FLOAT => HeadValue::Float(f64::from_bits(c.i64()? as u64)),
                    PACKED_INT => HeadValue::Int(unzigzag(c.varint()?)),
                    _ => HeadValue::Json(c.string()?.into()),
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

    #[test]
    fn packed_points_round_trip_among_fixed_width_ones() {
        let points = [
            (3, i64::MIN, 0, HeadValue::Int(i64::MAX)),
            (300_000, i64::MAX, -1, HeadValue::Int(i64::MIN)),
            (u32::MAX, -5, 1_763_000_000_000_000, HeadValue::Float(-0.25)),
            (
                0,
                -5,
                1_763_000_000_000_000,
                HeadValue::Json("\"é\"".into()),
            ),
            (
                1,
                1_763_000_000_000_000,
                1_763_000_000_001_000,
                HeadValue::Float(f64::NAN),
            ),
        ]
        .map(|(id, time, ingest, value)| {
            (
                id,
                HeadPoint {
                    time,
                    ingest,
                    value,
                },
            )
        });
        let mut b = Vec::new();
        let mut packer = Packer::default();
        define(&mut b, 1, Kind::Telemetry, "t", "v", "m");
        for (id, p) in &points[..3] {
            packer.point(&mut b, *id, p);
        }
        point(&mut b, 9, &points[3].1);
        for (id, p) in &points[3..] {
            packer.point(&mut b, *id, p);
        }
        let got = decode(&b).unwrap();
        assert_eq!(got.len(), 1 + 3 + 1 + 2);
        let old = (9, points[3].1.clone());
        let want = points[..3].iter().chain([&old]).chain(&points[3..]);
        for (e, (id, p)) in got[1..].iter().zip(want) {
            let Entry::Point { id: gid, point } = e else {
                panic!("a point, got {e:?}")
            };
            assert_eq!((gid, point.time, point.ingest), (id, p.time, p.ingest));
            match (&point.value, &p.value) {
                (HeadValue::Float(a), HeadValue::Float(b)) => assert_eq!(a.to_bits(), b.to_bits()),
                (a, b) => assert_eq!(a, b),
            }
        }
        let mut short = Vec::new();
        Packer::default().point(&mut short, 1, &points[1].1);
        for n in 1..short.len() {
            assert!(decode(&short[..n]).is_err(), "cut at {n}");
        }
    }
}
