//! The syntax tree of one query, as written: names are not yet resolved
//! to collections (that is the planner's job), and every node that can be
//! wrong keeps its position for error messages.

use serde_json::Value;

use crate::error::Pos;

/// A whole query.
#[derive(Debug, Clone)]
pub struct Query {
    /// `EXPLAIN` was written before `SELECT`.
    pub explain: bool,
    /// The SELECT clause.
    pub select: Select,
    /// The FROM clause with its JOINs or MATCH.
    pub from: From,
    /// The WHERE condition.
    pub filter: Option<Expr>,
}

/// The SELECT clause.
#[derive(Debug, Clone)]
pub struct Select {
    /// `TOP(n)`.
    pub top: Option<u64>,
    /// What each result row holds.
    pub kind: SelectKind,
    /// Where the clause starts.
    pub pos: Pos,
}

/// What a query returns per row.
#[derive(Debug, Clone)]
pub enum SelectKind {
    /// `*` (or nothing after `TOP(n)`): the document itself.
    Star,
    /// `COUNT()`: one row with the number of matches.
    Count,
    /// Named collections or properties.
    Columns(Vec<Projection>),
}

/// One projected column: `T`, `T.name`, `T.a.b AS x`.
#[derive(Debug, Clone)]
pub struct Projection {
    /// What to project.
    pub path: Path,
    /// `AS alias`.
    pub alias: Option<String>,
}

/// A dotted name: a collection, a property of one, or a bare property.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// The segments, as written (case kept).
    pub segments: Vec<String>,
    /// Where it starts.
    pub pos: Pos,
}

/// A name with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    /// The name as written.
    pub text: String,
    /// Where it is.
    pub pos: Pos,
}

/// The collection a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `FROM DIGITALTWINS`.
    Twins,
    /// `FROM RELATIONSHIPS`.
    Relationships,
}

/// The FROM clause.
#[derive(Debug, Clone)]
pub struct From {
    /// Twins or relationships.
    pub source: Source,
    /// The collection's name, if given.
    pub alias: Option<Name>,
    /// `JOIN x RELATED y.rel [r]`, in order.
    pub joins: Vec<Join>,
    /// `MATCH (a)-[...]->(b)...`.
    pub pattern: Option<Pattern>,
}

/// `JOIN target RELATED source.name [rel]`.
#[derive(Debug, Clone)]
pub struct Join {
    /// The new twin collection.
    pub target: Name,
    /// The collection the relationships leave from.
    pub source: Name,
    /// The relationship name.
    pub name: String,
    /// The relationship collection's name, if given.
    pub rel: Option<Name>,
}

/// A MATCH chain: `nodes[i]` and `nodes[i + 1]` are linked by `edges[i]`.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// Twin collections; `None` for `()`.
    pub nodes: Vec<Option<Name>>,
    /// Relationship conditions.
    pub edges: Vec<EdgePattern>,
}

/// Which way a MATCH arrow points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `-[]->`: from the left node to the right one.
    Right,
    /// `<-[]-`: from the right node to the left one.
    Left,
    /// `-[]-`: either way.
    Either,
}

/// One relationship condition of a MATCH.
#[derive(Debug, Clone)]
pub struct EdgePattern {
    /// The relationship variable, if named.
    pub var: Option<Name>,
    /// Allowed relationship names; empty allows any.
    pub names: Vec<String>,
    /// Direction.
    pub direction: Direction,
    /// Fewest hops (inclusive).
    pub min_hops: u32,
    /// Most hops (inclusive).
    pub max_hops: u32,
    /// Where the condition starts.
    pub pos: Pos,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=` or `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A WHERE expression.
#[derive(Debug, Clone)]
pub enum Expr {
    /// A literal value and where it is.
    Lit(Value, Pos),
    /// A collection or a property path.
    Path(Path),
    /// A list literal `[a, b]`.
    List(Vec<Value>, Pos),
    /// `NOT e`.
    Not(Box<Expr>),
    /// `a AND b AND ...`.
    And(Vec<Expr>),
    /// `a OR b OR ...`.
    Or(Vec<Expr>),
    /// `a op b`.
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    /// `a IN [..]` (`negated` for `NIN`/`NOT IN`).
    In {
        /// The value tested.
        value: Box<Expr>,
        /// The candidates.
        list: Vec<Value>,
        /// `NIN`.
        negated: bool,
    },
    /// A function call; the name is upper-cased.
    Call {
        /// The function name, upper-case.
        name: String,
        /// The arguments.
        args: Vec<Expr>,
        /// Where the call starts.
        pos: Pos,
    },
}

impl Expr {
    /// Where the expression starts, as far as it is known.
    pub fn pos(&self) -> Pos {
        match self {
            Expr::Path(p) => p.pos,
            Expr::List(_, p) | Expr::Call { pos: p, .. } => *p,
            Expr::Not(e) => e.pos(),
            Expr::And(v) | Expr::Or(v) => v.first().map(Expr::pos).unwrap_or_default(),
            Expr::Cmp(_, a, _) => a.pos(),
            Expr::In { value, .. } => value.pos(),
            Expr::Lit(_, p) => *p,
        }
    }
}
