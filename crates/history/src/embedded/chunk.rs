//! The on-disk chunk: up to a few thousand points of one series, columns
//! compressed with pcodec (times, ingest delays, numeric values) or kept as
//! JSON text (other values). Regular sensor data compresses to well under
//! two bytes per point. From version 2 on, a summary of the numeric points
//! follows the header, so that an aggregate can fold a chunk that lies
//! inside one bucket without decoding it; version 1 chunks (written before)
//! have none and are decoded.

use pco::ChunkConfig;
use pco::standalone::{simple_compress, simple_decompress};

use super::head::{HeadPoint, HeadValue};
use crate::aggregate::Summary;

/// Chunks without a summary.
const VERSION_1: u8 = 1;
const VERSION: u8 = 2;
const FLOAT: u8 = 0;
const INT: u8 = 1;
const JSON: u8 = 2;
const HEADER: usize = 2 + 4 + 8 + 8;
/// The summary of a chunk with numeric points: their count, then min, max,
/// mean, m2, first time and value, last time and value.
const SUMMARY: usize = 4 + 8 * 8;

/// What a chunk's header says without decoding it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ChunkHeader {
    pub(crate) count: u32,
    pub(crate) start: i64,
    pub(crate) end: i64,
    /// Its numeric points, as aggregates count them; None for a version 1
    /// chunk.
    pub(crate) summary: Option<Summary>,
}

/// A number as aggregates read one from a value kept as JSON text:
/// booleans count as 0 and 1.
pub(crate) fn json_number(text: &str) -> Option<f64> {
    match text {
        "true" => Some(1.0),
        "false" => Some(0.0),
        text => text.parse::<f64>().ok().filter(|f| f.is_finite()),
    }
}

fn put_summary(out: &mut Vec<u8>, s: &Summary) {
    out.extend_from_slice(&(s.count as u32).to_le_bytes());
    if s.count == 0 {
        return;
    }
    for f in [s.min, s.max, s.mean, s.m2] {
        out.extend_from_slice(&f.to_le_bytes());
    }
    for (t, v) in [s.first, s.last] {
        out.extend_from_slice(&t.to_le_bytes());
        out.extend_from_slice(&v.to_le_bytes());
    }
}

fn column<T: pco::data_types::Number>(out: &mut Vec<u8>, values: &[T]) -> Result<(), String> {
    let bytes = simple_compress(values, &ChunkConfig::default()).map_err(|e| e.to_string())?;
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(&bytes);
    Ok(())
}

/// Encodes points (sorted by time, at least one) into a chunk.
pub(crate) fn encode(points: &[HeadPoint]) -> Result<Vec<u8>, String> {
    let first = points.first().ok_or("a chunk needs at least one point")?;
    let last = points.last().expect("not empty");
    let kind = if points.iter().all(|p| matches!(p.value, HeadValue::Int(_))) {
        INT
    } else if points
        .iter()
        .all(|p| matches!(p.value, HeadValue::Int(_) | HeadValue::Float(_)))
    {
        FLOAT
    } else {
        JSON
    };
    let mut summary = Summary::EMPTY;
    let mut body = Vec::with_capacity(points.len() * 2);
    let out = &mut body;
    let times: Vec<i64> = points.iter().map(|p| p.time).collect();
    column(out, &times)?;
    let delays: Vec<i64> = points
        .iter()
        .map(|p| p.ingest.div_euclid(1000) - p.time.div_euclid(1000))
        .collect();
    column(out, &delays)?;
    match kind {
        INT => {
            let v: Vec<i64> = points
                .iter()
                .map(|p| match p.value {
                    HeadValue::Int(i) => i,
                    _ => unreachable!("checked above"),
                })
                .collect();
            let f: Vec<f64> = v.iter().map(|i| *i as f64).collect();
            summary = Summary::of_sorted(&times, &f);
            column(out, &v)?;
        }
        FLOAT => {
            let v: Vec<f64> = points
                .iter()
                .map(|p| match p.value {
                    HeadValue::Int(i) => i as f64,
                    HeadValue::Float(f) => f,
                    HeadValue::Json(_) => unreachable!("checked above"),
                })
                .collect();
            summary = Summary::of_sorted(&times, &v);
            column(out, &v)?;
        }
        _ => {
            for p in points {
                let text = match &p.value {
                    HeadValue::Json(s) => s.to_string(),
                    v => v.to_json().to_string(),
                };
                if let Some(f) = json_number(&text) {
                    summary.add(p.time, f);
                }
                out.extend_from_slice(&(text.len() as u32).to_le_bytes());
                out.extend_from_slice(text.as_bytes());
            }
        }
    }
    let mut out = Vec::with_capacity(HEADER + SUMMARY + body.len());
    out.push(VERSION);
    out.push(kind);
    out.extend_from_slice(&(points.len() as u32).to_le_bytes());
    out.extend_from_slice(&first.time.to_le_bytes());
    out.extend_from_slice(&last.time.to_le_bytes());
    put_summary(&mut out, &summary);
    out.extend_from_slice(&body);
    Ok(out)
}

fn bad(what: &str) -> String {
    format!("corrupt chunk: {what}")
}

/// Reads the header of a chunk.
pub(crate) fn header(b: &[u8]) -> Result<ChunkHeader, String> {
    split(b).map(|(h, _)| h)
}

/// Reads the header of a chunk and finds where its columns begin.
fn split(b: &[u8]) -> Result<(ChunkHeader, &[u8]), String> {
    if b.len() < HEADER || !matches!(b[0], VERSION_1 | VERSION) {
        return Err(bad("unknown version or short header"));
    }
    let mut r = Reader(&b[HEADER..]);
    let summary = match b[0] {
        VERSION_1 => None,
        _ => Some(r.summary()?),
    };
    let h = ChunkHeader {
        count: u32::from_le_bytes(b[2..6].try_into().expect("4 bytes")),
        start: i64::from_le_bytes(b[6..14].try_into().expect("8 bytes")),
        end: i64::from_le_bytes(b[14..22].try_into().expect("8 bytes")),
        summary,
    };
    Ok((h, r.0))
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err(bad("truncated"));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }

    fn len(&mut self) -> Result<usize, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")) as usize)
    }

    fn i64(&mut self) -> Result<i64, String> {
        Ok(i64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }

    fn f64(&mut self) -> Result<f64, String> {
        Ok(f64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }

    fn summary(&mut self) -> Result<Summary, String> {
        let count = self.len()? as u64;
        if count == 0 {
            return Ok(Summary::EMPTY);
        }
        Ok(Summary {
            count,
            min: self.f64()?,
            max: self.f64()?,
            mean: self.f64()?,
            m2: self.f64()?,
            first: (self.i64()?, self.f64()?),
            last: (self.i64()?, self.f64()?),
        })
    }

    fn column<T: pco::data_types::Number>(&mut self, count: usize) -> Result<Vec<T>, String> {
        let n = self.len()?;
        let v: Vec<T> = simple_decompress(self.take(n)?).map_err(|e| bad(&e.to_string()))?;
        if v.len() != count {
            return Err(bad("column length differs from the header"));
        }
        Ok(v)
    }
}

/// Decodes only the times and values of a numeric chunk, for aggregates;
/// None for a chunk of other values.
pub(crate) fn decode_numeric(b: &[u8]) -> Result<Option<(Vec<i64>, Vec<f64>)>, String> {
    let (h, body) = split(b)?;
    let count = h.count as usize;
    let mut r = Reader(body);
    let times: Vec<i64> = r.column(count)?;
    let n = r.len()?;
    r.take(n)?;
    let values = match b[1] {
        INT => r
            .column::<i64>(count)?
            .into_iter()
            .map(|i| i as f64)
            .collect(),
        FLOAT => r.column::<f64>(count)?,
        _ => return Ok(None),
    };
    Ok(Some((times, values)))
}

/// Decodes a chunk into its points.
pub(crate) fn decode(b: &[u8]) -> Result<Vec<HeadPoint>, String> {
    let (h, body) = split(b)?;
    let count = h.count as usize;
    let mut r = Reader(body);
    let times: Vec<i64> = r.column(count)?;
    let delays: Vec<i64> = r.column(count)?;
    let values: Vec<HeadValue> = match b[1] {
        INT => r
            .column::<i64>(count)?
            .into_iter()
            .map(HeadValue::Int)
            .collect(),
        FLOAT => r
            .column::<f64>(count)?
            .into_iter()
            .map(HeadValue::Float)
            .collect(),
        JSON => {
            let mut v = Vec::with_capacity(count);
            for _ in 0..count {
                let n = r.len()?;
                let text =
                    std::str::from_utf8(r.take(n)?).map_err(|_| bad("value is not UTF-8"))?;
                v.push(HeadValue::Json(text.into()));
            }
            v
        }
        _ => return Err(bad("unknown value type")),
    };
    Ok(times
        .into_iter()
        .zip(delays)
        .zip(values)
        .map(|((time, delay), value)| HeadPoint {
            time,
            ingest: (time.div_euclid(1000) + delay) * 1000,
            value,
        })
        .collect())
}

/// The same chunk as version 1 wrote it: without its summary.
#[cfg(test)]
pub(crate) fn to_version_1(b: &[u8]) -> Vec<u8> {
    let (h, body) = split(b).expect("a valid chunk");
    let mut out = b[..HEADER].to_vec();
    out[0] = VERSION_1;
    assert!(h.summary.is_some(), "already version 1");
    out.extend_from_slice(body);
    out
}

/// The chunk's header and summary without its columns: a chunk only its
/// summary can be read from.
#[cfg(test)]
pub(crate) fn without_columns(b: &[u8]) -> Vec<u8> {
    let (_, body) = split(b).expect("a valid chunk");
    b[..b.len() - body.len()].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(time: i64, value: HeadValue) -> HeadPoint {
        HeadPoint {
            time,
            ingest: time - time.rem_euclid(1000) + 3000,
            value,
        }
    }

    #[test]
    fn every_value_type_round_trips() {
        for points in [
            vec![
                p(1_000_000, HeadValue::Int(3)),
                p(2_000_000, HeadValue::Int(-4)),
            ],
            vec![
                p(1_000_001, HeadValue::Float(0.5)),
                p(2_000_000, HeadValue::Int(2)),
            ],
            vec![
                p(-5, HeadValue::Json("\"on\"".into())),
                p(7, HeadValue::Int(1)),
            ],
        ] {
            let bytes = encode(&points).unwrap();
            let back = decode(&bytes).unwrap();
            let expect: Vec<HeadPoint> = points
                .iter()
                .map(|x| HeadPoint {
                    value: match (&x.value, bytes[1]) {
                        (HeadValue::Int(i), FLOAT) => HeadValue::Float(*i as f64),
                        (HeadValue::Int(i), JSON) => HeadValue::Json(i.to_string().into()),
                        (v, _) => v.clone(),
                    },
                    ..x.clone()
                })
                .collect();
            assert_eq!(back, expect);
            if let Some((t, v)) = decode_numeric(&bytes).unwrap() {
                assert_eq!(t, back.iter().map(|p| p.time).collect::<Vec<_>>());
                assert_eq!(v.len(), back.len());
            }
            assert_eq!(header(&bytes).unwrap().count, points.len() as u32);
        }
    }

    #[test]
    fn the_summary_is_what_aggregates_folding_the_decoded_chunk_get() {
        let cases = [
            vec![
                p(5, HeadValue::Int(3)),
                p(5, HeadValue::Int(-4)),
                p(9, HeadValue::Int(4)),
            ],
            vec![p(1, HeadValue::Float(0.25)), p(2, HeadValue::Int(2))],
            vec![
                p(-5, HeadValue::Json("\"on\"".into())),
                p(7, HeadValue::Int(1)),
                p(8, HeadValue::Json("true".into())),
                p(8, HeadValue::Json("false".into())),
                p(9, HeadValue::Float(2.5)),
                p(10, HeadValue::Json("null".into())),
            ],
            vec![p(3, HeadValue::Json("{\"a\":1}".into()))],
            vec![p(4, HeadValue::Float(-7.5))],
            (0..1000)
                .map(|i| {
                    p(
                        i * 1000,
                        HeadValue::Float(((i * 7919) % 97) as f64 * 0.13 - 3.0),
                    )
                })
                .collect(),
        ];
        for points in cases {
            let bytes = encode(&points).unwrap();
            let folded = match decode_numeric(&bytes).unwrap() {
                Some((times, values)) => Summary::of_sorted(&times, &values),
                None => {
                    let mut s = Summary::EMPTY;
                    for q in decode(&bytes).unwrap() {
                        let HeadValue::Json(text) = &q.value else {
                            panic!("a chunk of other values decodes to JSON text");
                        };
                        if let Some(v) = json_number(text) {
                            s.add(q.time, v);
                        }
                    }
                    s
                }
            };
            let h = header(&bytes).unwrap();
            assert_eq!(h.summary, Some(folded), "{points:?}");
        }
    }

    #[test]
    fn version_1_chunks_still_decode_without_a_summary() {
        let points = vec![p(1_000, HeadValue::Float(1.5)), p(2_000, HeadValue::Int(2))];
        let new = encode(&points).unwrap();
        let old = to_version_1(&new);
        assert!(old.len() < new.len());
        let h = header(&old).unwrap();
        assert_eq!(
            (h.count, h.start, h.end, h.summary),
            (2, 1_000, 2_000, None)
        );
        assert_eq!(decode(&old).unwrap(), decode(&new).unwrap());
        assert_eq!(decode_numeric(&old).unwrap(), decode_numeric(&new).unwrap());
        let mut future = new.clone();
        future[0] = VERSION + 1;
        assert!(header(&future).is_err(), "an unknown version is refused");
    }

    #[test]
    fn regular_two_decimal_readings_take_under_two_bytes_a_point() {
        let mut x = 50.0f64;
        let points: Vec<HeadPoint> = (0..2000i64)
            .map(|i| {
                x += ((i * 7919) % 11 - 5) as f64 * 0.01;
                let t = 1_700_000_000_000_000 + i * 1_000_000;
                HeadPoint {
                    time: t,
                    ingest: t + (i % 3) * 1000,
                    value: HeadValue::Float((x * 100.0).round() / 100.0),
                }
            })
            .collect();
        let bytes = encode(&points).unwrap();
        let per_point = bytes.len() as f64 / points.len() as f64;
        assert!(per_point < 2.0, "{per_point} bytes per point");
    }

    #[test]
    fn damage_is_reported_not_panicked_on() {
        let bytes = encode(&[p(1, HeadValue::Float(1.5))]).unwrap();
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err());
        }
    }
}
