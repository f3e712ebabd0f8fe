//! Event route filters, in ADT's syntax: comparisons of CloudEvents
//! attributes with string literals (`type = 'Microsoft.DigitalTwins.Twin.Create'`),
//! the functions STARTS_WITH, ENDS_WITH and CONTAINS, combined with AND, OR,
//! NOT and parentheses; or just `true` / `false`. Keywords and attribute
//! names are case-insensitive; literals use single quotes, `''` escapes one.

use std::fmt;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// A constant.
    Const(bool),
    /// `attr = 'v'` or `attr != 'v'` (`<>` too).
    Compare {
        /// Attribute name, lower-cased.
        attribute: String,
        /// The literal.
        value: String,
        /// True for `!=`.
        negated: bool,
    },
    /// STARTS_WITH / ENDS_WITH / CONTAINS (attr, 'v').
    Function {
        /// Which function.
        function: Function,
        /// Attribute name, lower-cased.
        attribute: String,
        /// The literal.
        value: String,
    },
    /// Both hold.
    And(Box<Filter>, Box<Filter>),
    /// Either holds.
    Or(Box<Filter>, Box<Filter>),
    /// It does not hold.
    Not(Box<Filter>),
}

/// The string functions a filter may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// Prefix match.
    StartsWith,
    /// Suffix match.
    EndsWith,
    /// Substring match.
    Contains,
}

/// The CloudEvents attributes a filter may name.
pub const ATTRIBUTES: [&str; 7] = [
    "type",
    "source",
    "subject",
    "id",
    "dataschema",
    "specversion",
    "datacontenttype",
];

/// Why a filter does not parse: where, and what was expected there.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterError {
    /// Byte offset in the filter text.
    pub position: usize,
    /// What the parser wanted.
    pub expected: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at character {}: expected {}",
            self.position + 1,
            self.expected
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Op(&'static str),
    Open,
    Close,
    Comma,
}

fn lex(s: &str) -> Result<Vec<(usize, Tok)>, FilterError> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'(' => {
                out.push((start, Tok::Open));
                i += 1;
            }
            b')' => {
                out.push((start, Tok::Close));
                i += 1;
            }
            b',' => {
                out.push((start, Tok::Comma));
                i += 1;
            }
            b'=' => {
                out.push((start, Tok::Op("=")));
                i += 1;
            }
            b'!' if b.get(i + 1) == Some(&b'=') => {
                out.push((start, Tok::Op("!=")));
                i += 2;
            }
            b'<' if b.get(i + 1) == Some(&b'>') => {
                out.push((start, Tok::Op("!=")));
                i += 2;
            }
            b'\'' => {
                let mut v = String::new();
                i += 1;
                loop {
                    match s[i..].find('\'') {
                        None => {
                            return Err(FilterError {
                                position: start,
                                expected: "a closing ' for this string".into(),
                            });
                        }
                        Some(k) => {
                            v.push_str(&s[i..i + k]);
                            i += k + 1;
                            if b.get(i) == Some(&b'\'') {
                                v.push('\'');
                                i += 1;
                            } else {
                                break;
                            }
                        }
                    }
                }
                out.push((start, Tok::Str(v)));
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c == b'$' => {
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'_'
                        || b[i] == b'$'
                        || b[i] == b'.')
                {
                    i += 1;
                }
                out.push((start, Tok::Word(s[start..i].to_string())));
            }
            _ => {
                let ch = s[i..].chars().next().unwrap_or('?');
                return Err(FilterError {
                    position: start,
                    expected: format!("an attribute, a quoted string or an operator, not '{ch}'"),
                });
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    len: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.len, |(p, _)| *p)
    }

    fn fail<T>(&self, expected: &str) -> Result<T, FilterError> {
        Err(FilterError {
            position: self.at(),
            expected: expected.into(),
        })
    }

    fn keyword(&mut self, k: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, FilterError> {
        if self.keyword("not") {
            return Ok(Filter::Not(Box::new(self.unary()?)));
        }
        match self.peek().cloned() {
            Some(Tok::Open) => {
                self.pos += 1;
                let f = self.or()?;
                if self.peek() != Some(&Tok::Close) {
                    return self.fail("')'");
                }
                self.pos += 1;
                Ok(f)
            }
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("true") => { self.pos += 1; Ok(Filter::Const(true)) }
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("false") => { self.pos += 1; Ok(Filter::Const(false)) }
            Some(Tok::Word(w)) => {
                let function = match w.to_ascii_uppercase().as_str() {
                    "STARTS_WITH" => Some(Function::StartsWith),
                    "ENDS_WITH" => Some(Function::EndsWith),
                    "CONTAINS" => Some(Function::Contains),
                    _ => None,
                };
                self.pos += 1;
                match function {
                    Some(function) => {
                        if self.peek() != Some(&Tok::Open) {
                            return self.fail(&format!("'(' after {w}"));
                        }
                        self.pos += 1;
                        let attribute = self.attribute()?;
                        if self.peek() != Some(&Tok::Comma) {
                            return self.fail("','");
                        }
                        self.pos += 1;
                        let value = self.string()?;
                        if self.peek() != Some(&Tok::Close) {
                            return self.fail("')'");
                        }
                        self.pos += 1;
                        Ok(Filter::Function { function, attribute, value })
                    }
                    None => {
                        self.pos -= 1;
                        let attribute = self.attribute()?;
                        let negated = match self.peek() {
                            Some(Tok::Op("=")) => false,
                            Some(Tok::Op("!=")) => true,
                            _ => return self.fail("'=' or '!='"),
                        };
                        self.pos += 1;
                        let value = self.string()?;
                        Ok(Filter::Compare { attribute, value, negated })
                    }
                }
            }
            _ => self.fail("a condition: true, false, NOT, '(', an attribute comparison or STARTS_WITH/ENDS_WITH/CONTAINS"),
        }
    }

    fn attribute(&mut self) -> Result<String, FilterError> {
        match self.peek() {
            Some(Tok::Word(w)) if ATTRIBUTES.iter().any(|a| a.eq_ignore_ascii_case(w)) => {
                let a = w.to_ascii_lowercase();
                self.pos += 1;
                Ok(a)
            }
            _ => self.fail(&format!("an event attribute ({})", ATTRIBUTES.join(", "))),
        }
    }

    fn string(&mut self) -> Result<String, FilterError> {
        match self.peek() {
            Some(Tok::Str(s)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            _ => self.fail("a string in single quotes"),
        }
    }
}

impl Filter {
    /// Parses a filter.
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        let toks = lex(text)?;
        if toks.is_empty() {
            return Err(FilterError {
                position: 0,
                expected: "a filter; use true for every event".into(),
            });
        }
        let mut p = Parser {
            toks,
            pos: 0,
            len: text.len(),
        };
        let f = p.or()?;
        if p.pos != p.toks.len() {
            return p.fail("AND, OR or the end of the filter");
        }
        Ok(f)
    }

    /// Whether an event with these attributes passes; `attr` looks up a
    /// lower-case attribute name. A missing attribute matches nothing.
    pub fn matches(&self, attr: &dyn Fn(&str) -> Option<String>) -> bool {
        match self {
            Filter::Const(b) => *b,
            Filter::Compare {
                attribute,
                value,
                negated,
            } => attr(attribute).is_some_and(|v| (&v == value) != *negated),
            Filter::Function {
                function,
                attribute,
                value,
            } => attr(attribute).is_some_and(|v| match function {
                Function::StartsWith => v.starts_with(value.as_str()),
                Function::EndsWith => v.ends_with(value.as_str()),
                Function::Contains => v.contains(value.as_str()),
            }),
            Filter::And(a, b) => a.matches(attr) && b.matches(attr),
            Filter::Or(a, b) => a.matches(attr) || b.matches(attr),
            Filter::Not(a) => !a.matches(attr),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(f: &str, ty: &str, subject: &str) -> bool {
        let (ty, subject) = (ty.to_string(), subject.to_string());
        Filter::parse(f).unwrap().matches(&|a| match a {
            "type" => Some(ty.clone()),
            "subject" => Some(subject.clone()),
            _ => None,
        })
    }

    #[test]
    fn filters_parse_and_evaluate() {
        assert!(eval("true", "x", "s"));
        assert!(!eval("FALSE", "x", "s"));
        assert!(eval(
            "type = 'Microsoft.DigitalTwins.Twin.Create'",
            "Microsoft.DigitalTwins.Twin.Create",
            "s"
        ));
        assert!(eval(
            "Type != 'a' AND STARTS_WITH(subject, 'pump')",
            "b",
            "pump-1"
        ));
        assert!(!eval(
            "NOT (type = 'a' OR ends_with(subject, '-1'))",
            "b",
            "pump-1"
        ));
        assert!(eval("contains(subject, 'it''s')", "b", "it's"));
        assert!(
            !eval("source = 'x'", "b", "s"),
            "a missing attribute matches nothing"
        );
    }

    #[test]
    fn errors_say_where_and_what() {
        for (bad, at, wanted) in [
            ("type = = 'x'", 7, "a string"),
            ("garbage(((", 0, "an event attribute"),
            ("", 0, "a filter"),
            ("type = 'x' AND", 14, "a condition"),
            ("type = 'x", 7, "closing '"),
            ("(type = 'x'", 11, "')'"),
            ("type = 'x' type", 11, "AND, OR"),
        ] {
            let e = Filter::parse(bad).unwrap_err();
            assert_eq!(e.position, at, "{bad}: {e}");
            assert!(e.expected.contains(wanted), "{bad}: {e}");
        }
    }
}
