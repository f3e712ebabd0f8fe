//! One line of InfluxDB line protocol, parsed without copying. Plain lines
//! (no backslash, quote, tab or NUL; single spaces between sections) take a
//! direct path; any other line goes through `influxdb_line_protocol`, which
//! also words the errors. Both give the same result for a plain line
//! (`tests::plain_lines_parse_as_the_reference_parser_does`).
//! *Rationale:* the reference parser spent more time per point than the
//! history engine did storing it.

use std::borrow::Cow;

use influxdb_line_protocol::{FieldValue, parse_lines};

/// A field's value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Field<'a> {
    I64(i64),
    U64(u64),
    F64(f64),
    Str(Cow<'a, str>),
    Bool(bool),
}

/// A parsed line: measurement, tags and fields in order, timestamp.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Line<'a> {
    pub(crate) measurement: Cow<'a, str>,
    pub(crate) tags: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub(crate) fields: Vec<(Cow<'a, str>, Field<'a>)>,
    pub(crate) timestamp: Option<i64>,
}

impl<'a> Line<'a> {
    /// The first tag named `name`.
    pub(crate) fn tag(&self, name: &str) -> Option<&Cow<'a, str>> {
        self.tags.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// Parses `line` (not empty, not a comment) into `out`, reusing its
/// vectors; the error is the reference parser's message.
pub(crate) fn parse<'a>(line: &'a str, out: &mut Line<'a>) -> Result<(), String> {
    out.tags.clear();
    out.fields.clear();
    if plain(line, out).is_some() {
        return Ok(());
    }
    reference(line, out)
}

/// `line` through the reference parser (`influxdb-line-protocol`), copied
/// into `out`: the path of lines with escapes or quotes, and of errors.
fn reference(line: &str, out: &mut Line<'_>) -> Result<(), String> {
    out.tags.clear();
    out.fields.clear();
    let parsed = parse_lines(line)
        .next()
        .ok_or_else(|| "empty".to_string())?
        .map_err(|e| e.to_string())?;
    out.measurement = Cow::Owned(parsed.series.measurement.to_string());
    for (k, v) in parsed.series.tag_set.iter().flatten() {
        out.tags.push((k.to_string().into(), v.to_string().into()));
    }
    for (k, v) in parsed.field_set.iter() {
        let v = match v {
            FieldValue::I64(i) => Field::I64(*i),
            FieldValue::U64(u) => Field::U64(*u),
            FieldValue::F64(f) => Field::F64(*f),
            FieldValue::String(s) => Field::Str(s.to_string().into()),
            FieldValue::Boolean(b) => Field::Bool(*b),
        };
        out.fields.push((k.to_string().into(), v));
    }
    out.timestamp = parsed.timestamp;
    Ok(())
}

/// The direct path, one pass over the bytes; None sends the line to the
/// reference parser.
fn plain<'a>(line: &'a str, out: &mut Line<'a>) -> Option<()> {
    let b = line.as_bytes();
    // The end of the token starting at `i`: the first of `stops`, or the
    // end of the line; None at a byte only the reference parser handles.
    let scan = |mut i: usize, stops: &[u8]| -> Option<usize> {
        while i < b.len() {
            let c = b[i];
            if stops.contains(&c) {
                return Some(i);
            }
            if matches!(c, b'\\' | b'"' | b'\t' | b'\0' | b'\n') {
                return None;
            }
            i += 1;
        }
        Some(i)
    };
    let mut i = scan(0, b" ,")?;
    if i == 0 {
        return None;
    }
    let measurement = &line[..i];
    while b.get(i) == Some(&b',') {
        let k = scan(i + 1, b"= ,")?;
        if k == i + 1 || b.get(k) != Some(&b'=') {
            return None;
        }
        let v = scan(k + 1, b" ,")?;
        if v == k + 1 {
            return None;
        }
        out.tags
            .push((line[i + 1..k].into(), line[k + 1..v].into()));
        i = v;
    }
    if b.get(i) != Some(&b' ') {
        return None;
    }
    loop {
        let k = scan(i + 1, b"= ,")?;
        if k == i + 1 || b.get(k) != Some(&b'=') {
            return None;
        }
        let v = scan(k + 1, b" ,")?;
        out.fields
            .push((line[i + 1..k].into(), value(&line[k + 1..v])?));
        i = v;
        if b.get(i) != Some(&b',') {
            break;
        }
    }
    out.timestamp = match b.get(i) {
        None => None,
        Some(_) => {
            let t = &line[i + 1..];
            if !signed_digits(t) {
                return None;
            }
            Some(t.parse().ok()?)
        }
    };
    out.measurement = measurement.into();
    Some(())
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn signed_digits(s: &str) -> bool {
    digits(s.strip_prefix('-').unwrap_or(s))
}

/// A field value as the reference grammar reads it: `-?D+i`, `D+u`,
/// `-?D+(.D+)?`, `-?D+(.)?D+[eE][+-]?D+` (D a digit), or a boolean word.
fn value(v: &str) -> Option<Field<'static>> {
    if let Some(i) = v.strip_suffix('i') {
        return signed_digits(i)
            .then(|| i.parse().ok().map(Field::I64))
            .flatten();
    }
    if let Some(u) = v.strip_suffix('u') {
        return digits(u).then(|| u.parse().ok().map(Field::U64)).flatten();
    }
    match v {
        "t" | "T" | "true" | "True" | "TRUE" => return Some(Field::Bool(true)),
        "f" | "F" | "false" | "False" | "FALSE" => return Some(Field::Bool(false)),
        _ => {}
    }
    let unsigned = v.strip_prefix('-').unwrap_or(v);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let mantissa_ok = match (mantissa.split_once('.'), exponent) {
        (None, _) => digits(mantissa),
        (Some((a, b)), None) => digits(a) && digits(b),
        // The reference reads `1.e5` as `1.` then `e5`, which it refuses.
        (Some((a, b)), Some(_)) => digits(a) && digits(b),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    if !(mantissa_ok && exponent_ok) {
        return None;
    }
    v.parse().ok().map(Field::F64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(line: &str) -> Option<Line<'static>> {
        let mut out = Line::default();
        super::reference(line, &mut out).ok()?;
        Some(out)
    }

    fn check(line: &str) {
        let mut fast = Line::default();
        let direct = plain(line, &mut fast).map(|_| fast);
        let want = reference(line);
        if let Some(got) = &direct {
            assert_eq!(
                Some(got),
                want.as_ref(),
                "the direct path differs on {line:?}"
            );
        }
        let mut out = Line::default();
        match (parse(line, &mut out), want) {
            (Ok(()), Some(w)) => assert_eq!(out, w, "{line:?}"),
            (Err(_), None) => {}
            (got, want) => panic!("{line:?}: got {got:?} / {out:?}, reference {want:?}"),
        }
    }

    #[test]
    fn plain_lines_parse_as_the_reference_parser_does() {
        let fixed = [
            "bench,twin=s1 v=20.05 1700000000000000000",
            "m v=1",
            "m v=-1i,w=2u,x=1e5,y=-2.5E-3,z=t,a=FALSE 5",
            "m,twin=a,component=motor speed=3,temp=4.5 -7",
            "m=x,t=a=b v=1",
            "m, v=1",
            "m,t v=1",
            "m,=a v=1",
            "m,t= v=1",
            "m v=",
            "m =1",
            "m v=1.",
            "m v=.5",
            "m v=1.e5",
            "m v=1.5e",
            "m v=+1",
            "m v=1x",
            "m v=1 2 3",
            "m  v=1",
            "m v=1 ",
            "m v=1  5",
            "m v=99999999999999999999i",
            "m v=18446744073709551616u",
            "m v=-1u",
            "m v=1e999",
            "m v=1 99999999999999999999",
            "m v=1 12a",
            "m a,b=1",
            "m,a,b=c v=1",
            "m v=1,",
            "m v=1,,w=2",
            "m v=Tru",
            "m v=1\r",
            "m,t=x\r v=1",
            "m v=\"s\"",
            "m\\ x v=1",
            "\tm v=1",
            "m,twin=s v=1.25,w=0.001 1",
        ];
        for l in fixed {
            check(l);
        }
        let pieces = [
            "m", "m,t=a", "x", "1", "-", ".", "e", "E", "+", "i", "u", "t", "f", "=", ",", " ",
            "0", "9", "true", "F", "\r",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000 {
            let mut line = String::from(["m", "m,t=a", "m,twin=s1,c=x"][(state % 3) as usize]);
            line.push_str(" v=");
            for _ in 0..(state >> 8) % 6 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                line.push_str(pieces[(state % pieces.len() as u64) as usize]);
            }
            check(&line);
        }
    }
}
