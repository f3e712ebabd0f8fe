//! Turns query text into tokens with their line and column. Keywords are
//! not told apart here: they are identifiers that the parser compares
//! case-insensitively, so `select` and `SELECT` are the same while
//! property names keep their case. `[[name]]` is a quoted identifier,
//! never a keyword, which is how ADT escapes reserved words.

use crate::error::{Pos, QueryError};

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A name; `quoted` when written as `[[name]]`.
    Ident {
        /// The name as written.
        name: String,
        /// Written as `[[name]]`.
        quoted: bool,
    },
    /// A string literal, escapes resolved.
    Str(String),
    /// A number literal.
    Num(serde_json::Number),
    /// Punctuation or an operator: `( ) [ ] , . .. * = != <> < <= > >= - | :`.
    Sym(&'static str),
    /// The end of the text.
    Eof,
}

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Where it starts.
    pub pos: Pos,
}

impl Tok {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident { name, quoted: true } => format!("'[[{name}]]'"),
            Tok::Ident { name, .. } => format!("'{name}'"),
            Tok::Str(s) => format!("string '{s}'"),
            Tok::Num(n) => format!("number {n}"),
            Tok::Sym(s) => format!("'{s}'"),
            Tok::Eof => "the end of the query".into(),
        }
    }
}

/// Splits `text` into tokens, ending with [`Tok::Eof`].
pub fn lex(text: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1u32, 1u32);
    // Advances over `n` characters, tracking lines.
    let step = |i: &mut usize, line: &mut u32, col: &mut u32, n: usize| {
        for _ in 0..n {
            if chars[*i] == '\n' {
                *line += 1;
                *col = 1;
            } else {
                *col += 1;
            }
            *i += 1;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let pos = Pos { line, column: col };
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            step(&mut i, &mut line, &mut col, 1);
            continue;
        }
        if c.is_alphabetic() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                step(&mut i, &mut line, &mut col, 1);
            }
            let name: String = chars[start..i].iter().collect();
            out.push(Token {
                tok: Tok::Ident {
                    name,
                    quoted: false,
                },
                pos,
            });
            continue;
        }
        if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                step(&mut i, &mut line, &mut col, 1);
            }
            // A fraction needs a digit after the dot, so `1..3` stays a range.
            if i + 1 < chars.len() && chars[i] == '.' && chars[i + 1].is_ascii_digit() {
                step(&mut i, &mut line, &mut col, 1);
                while i < chars.len() && chars[i].is_ascii_digit() {
                    step(&mut i, &mut line, &mut col, 1);
                }
            }
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    let n = j - i;
                    step(&mut i, &mut line, &mut col, n);
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        step(&mut i, &mut line, &mut col, 1);
                    }
                }
            }
            let text: String = chars[start..i].iter().collect();
            let num = if text.contains(['.', 'e', 'E']) {
                text.parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
            } else {
                text.parse::<i64>()
                    .ok()
                    .map(serde_json::Number::from)
                    .or_else(|| {
                        text.parse::<f64>()
                            .ok()
                            .and_then(serde_json::Number::from_f64)
                    })
            };
            let num = num.ok_or_else(|| pos.syntax(format!("'{text}' is not a valid number")))?;
            out.push(Token {
                tok: Tok::Num(num),
                pos,
            });
            continue;
        }
        if c == '\'' || c == '"' {
            step(&mut i, &mut line, &mut col, 1);
            let mut s = String::new();
            loop {
                let Some(&ch) = chars.get(i) else {
                    return Err(pos.syntax(format!("the string starting here has no closing {c}")));
                };
                if ch == c {
                    step(&mut i, &mut line, &mut col, 1);
                    break;
                }
                if ch == '\\' {
                    let esc_pos = Pos { line, column: col };
                    let Some(&e) = chars.get(i + 1) else {
                        return Err(esc_pos.syntax("a backslash ends the query"));
                    };
                    step(&mut i, &mut line, &mut col, 2);
                    match e {
                        '\'' | '"' | '\\' | '/' => s.push(e),
                        'n' => s.push('\n'),
                        't' => s.push('\t'),
                        'r' => s.push('\r'),
                        'b' => s.push('\u{8}'),
                        'f' => s.push('\u{c}'),
                        'u' => {
                            let hex: String = chars
                                .get(i..i + 4)
                                .map(|h| h.iter().collect())
                                .unwrap_or_default();
                            let ch = u32::from_str_radix(&hex, 16)
                                .ok()
                                .and_then(char::from_u32)
                                .ok_or_else(|| {
                                    esc_pos.syntax("\\u must be followed by four hex digits")
                                })?;
                            step(&mut i, &mut line, &mut col, 4);
                            s.push(ch);
                        }
                        other => return Err(esc_pos.syntax(format!("unknown escape '\\{other}'"))),
                    }
                    continue;
                }
                s.push(ch);
                step(&mut i, &mut line, &mut col, 1);
            }
            out.push(Token {
                tok: Tok::Str(s),
                pos,
            });
            continue;
        }
        // `[[name]]` escapes a reserved word; anything else after `[[` is two brackets.
        if c == '[' && next == Some('[') {
            let mut j = i + 2;
            while j < chars.len()
                && (chars[j].is_alphanumeric() || chars[j] == '_' || chars[j] == '$')
            {
                j += 1;
            }
            if j > i + 2 && chars.get(j) == Some(&']') && chars.get(j + 1) == Some(&']') {
                let name: String = chars[i + 2..j].iter().collect();
                let n = j + 2 - i;
                step(&mut i, &mut line, &mut col, n);
                out.push(Token {
                    tok: Tok::Ident { name, quoted: true },
                    pos,
                });
                continue;
            }
        }
        let two: Option<&'static str> = match (c, next) {
            ('!', Some('=')) => Some("!="),
            ('<', Some('>')) => Some("<>"),
            ('<', Some('=')) => Some("<="),
            ('>', Some('=')) => Some(">="),
            ('.', Some('.')) => Some(".."),
            _ => None,
        };
        if let Some(sym) = two {
            step(&mut i, &mut line, &mut col, 2);
            out.push(Token {
                tok: Tok::Sym(sym),
                pos,
            });
            continue;
        }
        let one: &'static str = match c {
            '(' => "(",
            ')' => ")",
            '[' => "[",
            ']' => "]",
            ',' => ",",
            '.' => ".",
            '*' => "*",
            '=' => "=",
            '<' => "<",
            '>' => ">",
            '-' => "-",
            '|' => "|",
            ':' => ":",
            other => return Err(pos.syntax(format!("unexpected character '{other}'"))),
        };
        step(&mut i, &mut line, &mut col, 1);
        out.push(Token {
            tok: Tok::Sym(one),
            pos,
        });
    }
    out.push(Token {
        tok: Tok::Eof,
        pos: Pos { line, column: col },
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_quoted_names_and_escapes() {
        let t: Vec<Tok> = lex("*1..3 [[Group]] 'D\\'Souza' 2.5")
            .unwrap()
            .into_iter()
            .map(|t| t.tok)
            .collect();
        assert_eq!(t[0], Tok::Sym("*"));
        assert_eq!(t[1], Tok::Num(1.into()));
        assert_eq!(t[2], Tok::Sym(".."));
        assert_eq!(
            t[4],
            Tok::Ident {
                name: "Group".into(),
                quoted: true
            }
        );
        assert_eq!(t[5], Tok::Str("D'Souza".into()));
        assert!(matches!(t[6], Tok::Num(_)));
        let e = lex("SELECT\n  #").unwrap_err();
        assert_eq!(
            e,
            Pos { line: 2, column: 3 }.syntax("unexpected character '#'")
        );
    }
}
