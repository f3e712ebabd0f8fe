//! A small JSON reader that keeps the line and column of every value.

/// A JSON value with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub v: Val,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
    /// Length in bytes of the value's text (objects and arrays; 0 for scalars).
    pub len: u32,
}

/// The kinds of JSON value; objects keep member order and each key's line.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number with its source text.
    Num(f64, String),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Node>),
    /// An object: members as (key, key line, value).
    Obj(Vec<(String, u32, Node)>),
}

/// Why a text is not JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What went wrong.
    pub message: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

const MAX_DEPTH: usize = 200;

impl Node {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.v {
            Val::Obj(m) => m.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v),
            _ => None,
        }
    }
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.v {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }
    /// The members, if this is an object.
    pub fn members(&self) -> Option<&[(String, u32, Node)]> {
        match &self.v {
            Val::Obj(m) => Some(m),
            _ => None,
        }
    }
    /// Converts to a `serde_json::Value`.
    pub fn to_value(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.v {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Num(f, raw) => raw
                .parse::<i64>()
                .map(Value::from)
                .ok()
                .or_else(|| raw.parse::<u64>().map(Value::from).ok())
                .or_else(|| serde_json::Number::from_f64(*f).map(Value::Number))
                .unwrap_or(Value::Null),
            Val::Str(s) => Value::String(s.clone()),
            Val::Arr(a) => Value::Array(a.iter().map(Node::to_value).collect()),
            Val::Obj(m) => Value::Object(
                m.iter()
                    .map(|(k, _, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

/// Parses `text` (a leading BOM is ignored).
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut p = Reader {
        s: text.as_bytes(),
        i: 0,
        line: 1,
        line_start: 0,
    };
    p.ws();
    let n = p.value(0)?;
    p.ws();
    if p.i < p.s.len() {
        return Err(p.err("unexpected text after the JSON value"));
    }
    Ok(n)
}

struct Reader<'a> {
    s: &'a [u8],
    i: usize,
    line: u32,
    line_start: usize,
}

impl Reader<'_> {
    fn err(&self, m: &str) -> SyntaxError {
        SyntaxError {
            message: m.to_string(),
            line: self.line,
            col: self.col(),
        }
    }
    fn len_from(&self, start: usize) -> u32 {
        u32::try_from(self.i - start).unwrap_or(u32::MAX)
    }
    fn col(&self) -> u32 {
        u32::try_from(self.i.saturating_sub(self.line_start) + 1).unwrap_or(u32::MAX)
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn ws(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b'\n' => {
                    self.i += 1;
                    self.line += 1;
                    self.line_start = self.i;
                }
                b' ' | b'\t' | b'\r' => self.i += 1,
                _ => break,
            }
        }
    }
    fn lit(&mut self, word: &str, v: Val, line: u32, col: u32) -> Result<Node, SyntaxError> {
        if self.s.get(self.i..self.i + word.len()) == Some(word.as_bytes()) {
            self.i += word.len();
            Ok(Node {
                v,
                line,
                col,
                len: 0,
            })
        } else {
            Err(self.err("invalid literal"))
        }
    }
    fn value(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        let (line, col, start) = (self.line, self.col(), self.i);
        match self.peek() {
            None => Err(self.err("unexpected end of text")),
            Some(b'n') => self.lit("null", Val::Null, line, col),
            Some(b't') => self.lit("true", Val::Bool(true), line, col),
            Some(b'f') => self.lit("false", Val::Bool(false), line, col),
            Some(b'"') => Ok(Node {
                v: Val::Str(self.string()?),
                line,
                col,
                len: 0,
            }),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(Node {
                        v: Val::Arr(items),
                        line,
                        col,
                        len: self.len_from(start),
                    });
                }
                loop {
                    self.ws();
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Node {
                                v: Val::Arr(items),
                                line,
                                col,
                                len: self.len_from(start),
                            });
                        }
                        _ => return Err(self.err("expected ',' or ']'")),
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                let mut members = Vec::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(Node {
                        v: Val::Obj(members),
                        line,
                        col,
                        len: self.len_from(start),
                    });
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return Err(self.err("expected a string key"));
                    }
                    let kline = self.line;
                    let k = self.string()?;
                    self.ws();
                    if self.peek() != Some(b':') {
                        return Err(self.err("expected ':'"));
                    }
                    self.i += 1;
                    self.ws();
                    let v = self.value(depth + 1)?;
                    members.push((k, kline, v));
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Node {
                                v: Val::Obj(members),
                                line,
                                col,
                                len: self.len_from(start),
                            });
                        }
                        _ => return Err(self.err("expected ',' or '}'")),
                    }
                }
            }
            Some(c) if c == b'-' || c.is_ascii_digit() => self.number(line, col),
            Some(_) => Err(self.err("unexpected character")),
        }
    }
    fn number(&mut self, line: u32, col: u32) -> Result<Node, SyntaxError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = |r: &mut Self| {
            let s = r.i;
            while r.peek().is_some_and(|c| c.is_ascii_digit()) {
                r.i += 1;
            }
            r.i > s
        };
        if !digits(self) {
            return Err(self.err("invalid number"));
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !digits(self) {
                return Err(self.err("invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return Err(self.err("invalid number"));
            }
        }
        let raw = std::str::from_utf8(self.s.get(start..self.i).unwrap_or_default())
            .unwrap_or("0")
            .to_string();
        let f = raw.parse::<f64>().map_err(|_| self.err("invalid number"))?;
        Ok(Node {
            v: Val::Num(f, raw),
            line,
            col,
            len: 0,
        })
    }
    fn string(&mut self) -> Result<String, SyntaxError> {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err("unterminated string"));
            };
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.err("unterminated string"));
                    };
                    self.i += 1;
                    match e {
                        b'"' => out.push(b'"'),
                        b'\\' => out.push(b'\\'),
                        b'/' => out.push(b'/'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xD800..0xDC00).contains(&cp)
                                && self.s.get(self.i..self.i + 2) == Some(b"\\u")
                            {
                                self.i += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                                }
                            }
                            let ch = char::from_u32(cp).unwrap_or('\u{fffd}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Err(self.err("invalid escape")),
                    }
                }
                b'\n' => return Err(self.err("newline in string")),
                _ => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| self.err("invalid UTF-8"))
    }
    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let h = self
            .s
            .get(self.i..self.i + 4)
            .ok_or_else(|| self.err("bad \\u escape"))?;
        let h = std::str::from_utf8(h).map_err(|_| self.err("bad \\u escape"))?;
        let v = u32::from_str_radix(h, 16).map_err(|_| self.err("bad \\u escape"))?;
        self.i += 4;
        Ok(v)
    }
}
