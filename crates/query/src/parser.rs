//! A hand-written recursive-descent parser. The grammar is small and
//! ADT's syntax (MATCH arrows, `[[escapes]]`, `IN [..]`) is not SQL that
//! a generic SQL parser accepts, and descending by hand lets every error
//! say exactly where it is and what would have been accepted there.
//!
//! ```text
//! query   := [EXPLAIN] SELECT select FROM from [WHERE expr]
//! select  := [TOP '(' int ')'] ('*' | COUNT '(' ')' | column (',' column)* | ε after TOP)
//! column  := path [AS name]
//! from    := DIGITALTWINS [name] join* | DIGITALTWINS MATCH pattern | RELATIONSHIPS [name]
//! join    := JOIN name RELATED name '.' name [name]
//! pattern := node (edge node)*
//! node    := '(' [name] ')' | name
//! edge    := ['<'] '-' '[' [name] [':' names] ['*' hops] ']' '-' ['>']
//! expr    := and (OR and)* ; and := not (AND not)* ; not := NOT not | cmp
//! cmp     := operand [op operand | [NOT] IN list | NIN list]
//! operand := literal | list | path | name '(' args ')' | '(' expr ')'
//! ```

use serde_json::Value;

use crate::ast::*;
use crate::error::{Pos, QueryError};
use crate::lexer::{Tok, Token, lex};

/// Words that cannot be names unless written as `[[word]]`: ADT's reserved
/// list plus the clause words of this grammar.
const RESERVED: &[&str] = &[
    "ALL",
    "AND",
    "AS",
    "ASC",
    "AVG",
    "BY",
    "COUNT",
    "DESC",
    "DEVICES_JOBS",
    "DEVICES_MODULES",
    "DEVICES",
    "ENDS_WITH",
    "FALSE",
    "FROM",
    "GROUP",
    "IN",
    "IS_BOOL",
    "IS_DEFINED",
    "IS_NULL",
    "IS_NUMBER",
    "IS_OBJECT",
    "IS_PRIMITIVE",
    "IS_STRING",
    "MAX",
    "MIN",
    "NOT",
    "NOT_IN",
    "NULL",
    "OR",
    "ORDER",
    "SELECT",
    "STARTS_WITH",
    "SUM",
    "TOP",
    "TRUE",
    "WHERE",
    "IS_OF_MODEL",
    "JOIN",
    "RELATED",
    "MATCH",
    "DIGITALTWINS",
    "RELATIONSHIPS",
    "NIN",
];

/// Parses one query.
pub fn parse(text: &str) -> Result<Query, QueryError> {
    let mut p = Parser {
        toks: lex(text)?,
        at: 0,
    };
    let q = p.query()?;
    Ok(q)
}

struct Parser {
    toks: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.toks[self.at]
    }

    fn peek_at(&self, n: usize) -> &Tok {
        &self.toks[(self.at + n).min(self.toks.len() - 1)].tok
    }

    fn bump(&mut self) -> Token {
        let t = self.toks[self.at].clone();
        if self.at + 1 < self.toks.len() {
            self.at += 1;
        }
        t
    }

    fn pos(&self) -> Pos {
        self.peek().pos
    }

    fn expected(&self, what: &str) -> QueryError {
        let t = self.peek();
        t.pos
            .syntax(format!("expected {what}, found {}", t.tok.describe()))
    }

    /// Whether the next token is keyword `kw` (unquoted, any case).
    fn is_kw(&self, kw: &str) -> bool {
        is_kw(&self.peek().tok, kw)
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let yes = self.is_kw(kw);
        if yes {
            self.bump();
        }
        yes
    }

    fn expect_kw(&mut self, kw: &str, what: &str) -> Result<(), QueryError> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    fn is_sym(&self, s: &str) -> bool {
        self.peek().tok == Tok::Sym(sym(s))
    }

    fn eat_sym(&mut self, s: &str) -> bool {
        let yes = self.is_sym(s);
        if yes {
            self.bump();
        }
        yes
    }

    fn expect_sym(&mut self, s: &str) -> Result<(), QueryError> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            Err(self.expected(&format!("'{s}'")))
        }
    }

    /// A name that is not a reserved word (unless quoted).
    fn name(&mut self, what: &str) -> Result<Name, QueryError> {
        match &self.peek().tok {
            Tok::Ident { name, quoted } => {
                if !quoted && is_reserved(name) {
                    let t = self.peek();
                    return Err(t.pos.syntax(format!(
                        "expected {what}, found the reserved word '{name}' (write [[{name}]] to use it as a name)"
                    )));
                }
                let n = Name {
                    text: name.clone(),
                    pos: self.pos(),
                };
                self.bump();
                Ok(n)
            }
            _ => Err(self.expected(what)),
        }
    }

    fn at_name(&self) -> bool {
        matches!(&self.peek().tok, Tok::Ident { name, quoted } if *quoted || !is_reserved(name))
    }

    fn query(&mut self) -> Result<Query, QueryError> {
        let explain = self.eat_kw("EXPLAIN");
        let pos = self.pos();
        self.expect_kw(
            "SELECT",
            if explain {
                "SELECT"
            } else {
                "SELECT (or EXPLAIN)"
            },
        )?;
        let select = self.select(pos)?;
        let what = if matches!(select.kind, SelectKind::Columns(_)) {
            "FROM, AS or ','"
        } else {
            "FROM"
        };
        self.expect_kw("FROM", what)?;
        let from = self.from()?;
        let filter = if self.eat_kw("WHERE") {
            Some(self.expr()?)
        } else {
            None
        };
        if self.is_kw("ORDER") || self.is_kw("GROUP") {
            return Err(self.pos().syntax(format!(
                "{} BY is not supported by the query language",
                self.peek().tok.describe().trim_matches('\'').to_uppercase()
            )));
        }
        if self.peek().tok != Tok::Eof {
            let what = match (&filter, from.pattern.is_some()) {
                (Some(_), _) => "AND, OR or the end of the query",
                (None, true) => "WHERE or the end of the query",
                (None, false) if from.source == Source::Twins => {
                    "JOIN, MATCH, WHERE or the end of the query"
                }
                (None, false) => "WHERE or the end of the query",
            };
            return Err(self.expected(what));
        }
        Ok(Query {
            explain,
            select,
            from,
            filter,
        })
    }

    fn select(&mut self, pos: Pos) -> Result<Select, QueryError> {
        let mut top = None;
        if self.is_kw("TOP") && *self.peek_at(1) == Tok::Sym("(") {
            self.bump();
            self.bump();
            let t = self.peek().clone();
            match &t.tok {
                Tok::Num(n) if n.as_u64().is_some_and(|n| n >= 1) => {
                    top = n.as_u64();
                    self.bump();
                }
                _ => return Err(self.expected("a positive whole number in TOP(...)")),
            }
            self.expect_sym(")")?;
        }
        if self.eat_sym("*") {
            return Ok(Select {
                top,
                kind: SelectKind::Star,
                pos,
            });
        }
        if top.is_some() && self.is_kw("FROM") {
            return Ok(Select {
                top,
                kind: SelectKind::Star,
                pos,
            });
        }
        if top.is_some() && self.is_kw("COUNT") && *self.peek_at(1) == Tok::Sym("(") {
            return Err(self.pos().semantic(
                "COUNT() cannot follow TOP(n): COUNT() returns one row; use one or the other",
            ));
        }
        if self.is_kw("COUNT") && *self.peek_at(1) == Tok::Sym("(") {
            self.bump();
            self.bump();
            self.expect_sym(")")?;
            return Ok(Select {
                top,
                kind: SelectKind::Count,
                pos,
            });
        }
        let mut cols = Vec::new();
        loop {
            if !self.at_name() {
                return Err(self
                    .name("'*', COUNT(), TOP(n) or a collection or property name")
                    .unwrap_err());
            }
            let path = self.path()?;
            let alias = if self.eat_kw("AS") {
                Some(self.name("a column name after AS")?.text)
            } else {
                None
            };
            cols.push(Projection { path, alias });
            if !self.eat_sym(",") {
                break;
            }
        }
        Ok(Select {
            top,
            kind: SelectKind::Columns(cols),
            pos,
        })
    }

    fn path(&mut self) -> Result<Path, QueryError> {
        let first = self.name("a collection or property name")?;
        let mut segments = vec![first.text];
        while self.is_sym(".") {
            self.bump();
            // After a dot any word is a property name: `T.count` is fine.
            match &self.peek().tok {
                Tok::Ident { name, .. } => {
                    segments.push(name.clone());
                    self.bump();
                }
                _ => return Err(self.expected("a property name after '.'")),
            }
        }
        Ok(Path {
            segments,
            pos: first.pos,
        })
    }

    fn from(&mut self) -> Result<From, QueryError> {
        let source = if self.eat_kw("DIGITALTWINS") {
            Source::Twins
        } else if self.eat_kw("RELATIONSHIPS") {
            Source::Relationships
        } else {
            return Err(self.expected("DIGITALTWINS or RELATIONSHIPS"));
        };
        let alias = if self.at_name() {
            Some(self.name("a collection name")?)
        } else {
            None
        };
        let mut from = From {
            source,
            alias,
            joins: Vec::new(),
            pattern: None,
        };
        if source == Source::Relationships {
            return Ok(from);
        }
        if self.is_kw("MATCH") {
            if let Some(a) = &from.alias {
                return Err(a.pos.syntax(
                    "FROM DIGITALTWINS takes no collection name when MATCH names the twins",
                ));
            }
            self.bump();
            from.pattern = Some(self.pattern()?);
            return Ok(from);
        }
        while self.eat_kw("JOIN") {
            let target = self.name("the name of the joined twin collection")?;
            self.expect_kw("RELATED", "RELATED")?;
            let src = self.name("a twin collection name before '.'")?;
            self.expect_sym(".")?;
            let name = match &self.peek().tok {
                Tok::Ident { name, .. } => name.clone(),
                _ => return Err(self.expected("a relationship name after '.'")),
            };
            self.bump();
            let rel = if self.at_name() {
                Some(self.name("a relationship collection name")?)
            } else {
                None
            };
            from.joins.push(Join {
                target,
                source: src,
                name,
                rel,
            });
        }
        Ok(from)
    }

    fn pattern(&mut self) -> Result<Pattern, QueryError> {
        let mut nodes = vec![self.node()?];
        let mut edges = Vec::new();
        while self.is_sym("-") || self.is_sym("<") {
            edges.push(self.edge()?);
            nodes.push(self.node()?);
        }
        Ok(Pattern { nodes, edges })
    }

    fn node(&mut self) -> Result<Option<Name>, QueryError> {
        if self.eat_sym("(") {
            let n = if self.at_name() {
                Some(self.name("a twin collection name")?)
            } else {
                None
            };
            if !self.eat_sym(")") {
                return Err(self.expected(if n.is_some() {
                    "')'"
                } else {
                    "a twin collection name or ')'"
                }));
            }
            return Ok(n);
        }
        if self.at_name() {
            return Ok(Some(self.name("a twin collection")?));
        }
        Err(self.expected("'(' starting a twin in the MATCH pattern"))
    }

    fn edge(&mut self) -> Result<EdgePattern, QueryError> {
        let pos = self.pos();
        let left = self.eat_sym("<");
        self.expect_sym("-")?;
        let mut e = EdgePattern {
            var: None,
            names: Vec::new(),
            direction: Direction::Either,
            min_hops: 1,
            max_hops: 1,
            pos,
        };
        if self.eat_sym("[") {
            if self.at_name() {
                let n = self.name("a relationship variable")?;
                if self.is_sym("|") {
                    // `[a|b]`: a list of names written without the colon.
                    e.names.push(n.text);
                    while self.eat_sym("|") {
                        e.names.push(self.rel_name()?);
                    }
                } else {
                    e.var = Some(n);
                }
            }
            if e.names.is_empty() && self.eat_sym(":") {
                e.names.push(self.rel_name()?);
                while self.eat_sym("|") {
                    e.names.push(self.rel_name()?);
                }
            }
            if self.is_sym("*") {
                let star = self.pos();
                self.bump();
                let (min, max) = self.hops()?;
                if e.var.is_some() && !(min == 1 && max == 1) {
                    return Err(
                        star.semantic("a relationship variable is allowed only on a single hop")
                    );
                }
                (e.min_hops, e.max_hops) = (min, max);
            }
            if !self.eat_sym("]") {
                return Err(self.expected(if e.var.is_none() && e.names.is_empty() {
                    "a relationship variable, ':', '*' or ']'"
                } else {
                    "':', '|', '*' or ']'"
                }));
            }
        }
        self.expect_sym("-")?;
        let right = self.eat_sym(">");
        e.direction = match (left, right) {
            (true, true) => {
                return Err(pos.syntax(
                    "a MATCH arrow may point one way only; chain two conditions for both",
                ));
            }
            (true, false) => Direction::Left,
            (false, true) => Direction::Right,
            (false, false) => Direction::Either,
        };
        Ok(e)
    }

    fn rel_name(&mut self) -> Result<String, QueryError> {
        match &self.peek().tok {
            Tok::Ident { name, .. } => {
                let n = name.clone();
                self.bump();
                Ok(n)
            }
            _ => Err(self.expected("a relationship name")),
        }
    }

    /// `*n`, `*a..b` or `*..b`. ADT's lower bound is exclusive: `*1..3`
    /// means two or three hops.
    fn hops(&mut self) -> Result<(u32, u32), QueryError> {
        let num = |p: &mut Parser| -> Result<u32, QueryError> {
            match &p.peek().tok {
                Tok::Num(n) if n.as_u64().is_some_and(|n| n <= u32::MAX as u64) => {
                    let v = n.as_u64().unwrap_or_default() as u32;
                    p.bump();
                    Ok(v)
                }
                _ => Err(p.expected("a whole number of hops")),
            }
        };
        let pos = self.pos();
        let (min, max) = if self.eat_sym("..") {
            (1, num(self)?)
        } else {
            let a = num(self)?;
            if self.eat_sym("..") {
                (a + 1, num(self)?)
            } else {
                (a, a)
            }
        };
        if max == 0 || min > max {
            return Err(pos.semantic(format!(
                "the hop range allows no path length (from {min} to {max})"
            )));
        }
        Ok((min.max(1), max))
    }

    fn expr(&mut self) -> Result<Expr, QueryError> {
        let mut parts = vec![self.and()?];
        while self.eat_kw("OR") {
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts
                .pop()
                .unwrap_or(Expr::Lit(Value::Null, Pos::default()))
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut parts = vec![self.not()?];
        while self.eat_kw("AND") {
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 {
            parts
                .pop()
                .unwrap_or(Expr::Lit(Value::Null, Pos::default()))
        } else {
            Expr::And(parts)
        })
    }

    fn not(&mut self) -> Result<Expr, QueryError> {
        if self.eat_kw("NOT") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.cmp()
    }

    fn cmp(&mut self) -> Result<Expr, QueryError> {
        let left = self.operand()?;
        let op = match &self.peek().tok {
            Tok::Sym("=") => Some(CmpOp::Eq),
            Tok::Sym("!=") | Tok::Sym("<>") => Some(CmpOp::Ne),
            Tok::Sym("<") => Some(CmpOp::Lt),
            Tok::Sym("<=") => Some(CmpOp::Le),
            Tok::Sym(">") => Some(CmpOp::Gt),
            Tok::Sym(">=") => Some(CmpOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.bump();
            let right = self.operand()?;
            return Ok(Expr::Cmp(op, Box::new(left), Box::new(right)));
        }
        let negated = if self.eat_kw("NIN") || self.eat_kw("NOT_IN") {
            true
        } else if self.is_kw("NOT") && is_kw(self.peek_at(1), "IN") {
            self.bump();
            self.bump();
            return Ok(Expr::In {
                value: Box::new(left),
                list: self.list()?.0,
                negated: true,
            });
        } else if self.eat_kw("IN") {
            false
        } else {
            return Ok(left);
        };
        Ok(Expr::In {
            value: Box::new(left),
            list: self.list()?.0,
            negated,
        })
    }

    fn list(&mut self) -> Result<(Vec<Value>, Pos), QueryError> {
        let pos = self.pos();
        if !self.eat_sym("[") {
            return Err(self.expected("'[' starting a list of values"));
        }
        let mut items = Vec::new();
        if self.eat_sym("]") {
            return Ok((items, pos));
        }
        loop {
            items.push(
                self.literal()?
                    .ok_or_else(|| self.expected("a literal value in the list"))?,
            );
            if self.eat_sym("]") {
                return Ok((items, pos));
            }
            if !self.eat_sym(",") {
                return Err(self.expected("',' or ']'"));
            }
        }
    }

    /// A literal, if the next tokens are one.
    fn literal(&mut self) -> Result<Option<Value>, QueryError> {
        let v = match self.peek().tok.clone() {
            Tok::Str(s) => Value::String(s),
            Tok::Num(n) => Value::Number(n),
            Tok::Sym("-") => match self.peek_at(1).clone() {
                Tok::Num(n) => {
                    self.bump();
                    let neg = if let Some(i) = n.as_i64() {
                        serde_json::Number::from(-i)
                    } else {
                        serde_json::Number::from_f64(-n.as_f64().unwrap_or_default()).unwrap_or(n)
                    };
                    Value::Number(neg)
                }
                _ => return Ok(None),
            },
            Tok::Ident {
                ref name,
                quoted: false,
            } if name.eq_ignore_ascii_case("true") => Value::Bool(true),
            Tok::Ident {
                ref name,
                quoted: false,
            } if name.eq_ignore_ascii_case("false") => Value::Bool(false),
            Tok::Ident {
                ref name,
                quoted: false,
            } if name.eq_ignore_ascii_case("null") => Value::Null,
            Tok::Sym("[") => return self.list().map(|(l, _)| Some(Value::Array(l))),
            _ => return Ok(None),
        };
        self.bump();
        Ok(Some(v))
    }

    fn operand(&mut self) -> Result<Expr, QueryError> {
        if self.is_sym("[") {
            let (l, pos) = self.list()?;
            return Ok(Expr::List(l, pos));
        }
        let pos = self.pos();
        if let Some(v) = self.literal()? {
            return Ok(Expr::Lit(v, pos));
        }
        if self.eat_sym("(") {
            let e = self.expr()?;
            self.expect_sym(")")?;
            return Ok(e);
        }
        if let Tok::Ident {
            name,
            quoted: false,
        } = &self.peek().tok
            && *self.peek_at(1) == Tok::Sym("(")
        {
            let pos = self.pos();
            let name = name.to_uppercase();
            self.bump();
            self.bump();
            let mut args = Vec::new();
            if !self.eat_sym(")") {
                loop {
                    args.push(self.expr()?);
                    if self.eat_sym(")") {
                        break;
                    }
                    if !self.eat_sym(",") {
                        return Err(self.expected("',' or ')'"));
                    }
                }
            }
            return Ok(Expr::Call { name, args, pos });
        }
        if self.at_name() {
            return Ok(Expr::Path(self.path()?));
        }
        Err(match &self.peek().tok {
            Tok::Ident {
                name,
                quoted: false,
            } if is_reserved(name) => self.name("a value").unwrap_err(),
            _ => self.expected("a value, a property, a function call or '('"),
        })
    }
}

fn is_kw(t: &Tok, kw: &str) -> bool {
    matches!(t, Tok::Ident { name, quoted: false } if name.eq_ignore_ascii_case(kw))
}

fn is_reserved(word: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

/// The static spelling of a symbol, for comparing tokens.
fn sym(s: &str) -> &'static str {
    const ALL: &[&str] = &[
        "(", ")", "[", "]", ",", ".", "..", "*", "=", "!=", "<>", "<", "<=", ">", ">=", "-", "|",
        ":",
    ];
    ALL.iter().find(|a| **a == s).copied().unwrap_or("")
}
