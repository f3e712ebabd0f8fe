//! The planner: resolves names to collections, checks what the query
//! means, and decides how to run it. The root collection is the one the
//! WHERE clause pins down best — by `$dtId` (the id index), then by
//! `IS_OF_MODEL` (the model index, inheritance included), and only then
//! by a scan; every other collection is reached through adjacency lists
//! from one already bound. Each top-level AND term runs as soon as the
//! collections it names are bound, so a JOIN prunes early.

use std::collections::HashSet;
use std::ops::Bound;

use serde_json::{Value, json};

use ferrotwin_graph::GraphView;

use crate::ast::{self, CmpOp, Direction, Expr, Query, SelectKind, Source};
use crate::error::{Pos, QueryError};
use crate::functions::Func;
use crate::ranges::{RangeTerm, range_terms};

/// What a collection holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarKind {
    /// Twins.
    Twin,
    /// Relationships.
    Rel,
}

/// A named (or anonymous) collection of the query.
#[derive(Debug, Clone)]
pub struct Var {
    /// The name as declared; empty when the query gave none.
    pub name: String,
    /// Twins or relationships.
    pub kind: VarKind,
}

/// A value an expression reads.
#[derive(Debug, Clone)]
pub enum Operand {
    /// A literal.
    Lit(Value),
    /// A whole collection's document.
    Var(usize),
    /// A property path of a collection.
    Field(usize, Vec<String>),
}

/// A resolved WHERE condition.
#[derive(Debug, Clone)]
pub enum Cond {
    /// `NOT`.
    Not(Box<Cond>),
    /// `AND`.
    And(Vec<Cond>),
    /// `OR`.
    Or(Vec<Cond>),
    /// A comparison.
    Cmp(CmpOp, Operand, Operand),
    /// `IN` / `NIN`.
    In(Operand, Vec<Value>, bool),
    /// A boolean function.
    Call(Func, Vec<Operand>),
    /// `IS_OF_MODEL`.
    IsOfModel {
        /// The twin collection.
        var: usize,
        /// The model (or base model).
        model: String,
        /// Only this exact model, not models extending it.
        exact: bool,
        /// The models in use that qualify, worked out once per query so
        /// that a twin is checked by a set lookup instead of walking
        /// `extends` chains.
        models: HashSet<String>,
    },
    /// A bare operand used as a condition: true only when it is `true`.
    Truthy(Operand),
}

/// How the root collection is enumerated.
#[derive(Debug, Clone, PartialEq)]
pub enum Access {
    /// Every twin, in slot order.
    AllTwins,
    /// Twins with these ids (the id index).
    TwinIds(Vec<String>),
    /// Twins of these exact models (the model index).
    Models {
        /// The model asked for.
        model: String,
        /// Whether extending models were excluded.
        exact: bool,
        /// The exact models that qualify.
        models: Vec<String>,
    },
    /// Twins whose top-level property equals one of the values (a
    /// property index, built on first use).
    Property {
        /// The property name.
        name: String,
        /// The values.
        values: Vec<Value>,
    },
    /// Twins whose top-level property lies within a range (the ordered
    /// property index); the range terms stay as filters.
    Range(RangeTerm),
    /// Every relationship.
    AllRels,
    /// Relationships leaving these twins (outgoing adjacency).
    RelsBySource(Vec<String>),
    /// Relationships arriving at these twins (incoming adjacency).
    RelsByTarget(Vec<String>),
}

/// Which adjacency list a step follows, seen from the bound twin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// Outgoing relationships (the bound twin is the source).
    Out,
    /// Incoming relationships (the bound twin is the target).
    In,
    /// Both.
    Both,
}

/// One traversal step: from a bound twin to another twin.
#[derive(Debug, Clone)]
pub struct Step {
    /// The bound twin collection.
    pub from: usize,
    /// The twin collection reached.
    pub to: usize,
    /// The relationship collection, if named (single hops only).
    pub rel: Option<usize>,
    /// Allowed relationship names; empty allows any.
    pub names: Vec<String>,
    /// Which adjacency list.
    pub way: Way,
    /// Fewest hops.
    pub min: u32,
    /// Most hops.
    pub max: u32,
    /// `to` was bound earlier (a cycle in the pattern): check, don't bind.
    pub closes: bool,
}

/// One output column.
#[derive(Debug, Clone)]
pub struct Column {
    /// The key in the result row.
    pub key: String,
    /// What it holds.
    pub value: Operand,
}

/// What the query returns.
#[derive(Debug, Clone)]
pub enum Output {
    /// The root document itself.
    Star(usize),
    /// `{"COUNT": n}`.
    Count,
    /// Named columns.
    Columns(Vec<Column>),
}

/// An executable plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The collections, by index.
    pub vars: Vec<Var>,
    /// The collection enumerated first.
    pub root: usize,
    /// How it is enumerated.
    pub access: Access,
    /// Traversals, in order.
    pub steps: Vec<Step>,
    /// `filters[0]` runs once the root is bound, `filters[i]` after step `i - 1`.
    pub filters: Vec<Vec<Cond>>,
    /// What to return.
    pub output: Output,
    /// `TOP(n)`.
    pub top: Option<u64>,
    /// Whether EXPLAIN was asked for.
    pub explain: bool,
}

/// An undirected pattern edge before the traversal order is chosen.
struct Edge {
    a: usize,
    b: usize,
    rel: Option<usize>,
    names: Vec<String>,
    direction: Direction,
    min: u32,
    max: u32,
}

struct Binder {
    vars: Vec<Var>,
    /// Whether bare property names refer to collection 0.
    single: bool,
}

impl Binder {
    fn declare(&mut self, name: &ast::Name, kind: VarKind) -> Result<usize, QueryError> {
        if self.lookup(&name.text).is_some() {
            return Err(name
                .pos
                .semantic(format!("the collection name '{}' is used twice", name.text)));
        }
        self.vars.push(Var {
            name: name.text.clone(),
            kind,
        });
        Ok(self.vars.len() - 1)
    }

    fn anonymous(&mut self, kind: VarKind) -> usize {
        self.vars.push(Var {
            name: String::new(),
            kind,
        });
        self.vars.len() - 1
    }

    /// A collection by name: exact case first, then any case.
    fn lookup(&self, name: &str) -> Option<usize> {
        let named = |v: &&Var| !v.name.is_empty();
        self.vars
            .iter()
            .position(|v| named(&v) && v.name == name)
            .or_else(|| {
                self.vars
                    .iter()
                    .position(|v| named(&v) && v.name.eq_ignore_ascii_case(name))
            })
    }

    fn names(&self) -> String {
        let n: Vec<&str> = self
            .vars
            .iter()
            .filter(|v| !v.name.is_empty())
            .map(|v| v.name.as_str())
            .collect();
        if n.is_empty() {
            "no named collections".into()
        } else {
            n.join(", ")
        }
    }

    fn operand(&self, path: &ast::Path) -> Result<Operand, QueryError> {
        let first = &path.segments[0];
        if let Some(v) = self.lookup(first) {
            return Ok(if path.segments.len() == 1 {
                Operand::Var(v)
            } else {
                Operand::Field(v, path.segments[1..].to_vec())
            });
        }
        if self.single {
            return Ok(Operand::Field(0, path.segments.clone()));
        }
        Err(path.pos.semantic(format!(
            "'{first}' is not a collection of this query (it names {}); with JOIN or MATCH every property must be prefixed by its collection",
            self.names()
        )))
    }

    fn value(&self, e: &Expr) -> Result<Operand, QueryError> {
        match e {
            Expr::Lit(v, _) => Ok(Operand::Lit(v.clone())),
            Expr::List(l, _) => Ok(Operand::Lit(Value::Array(l.clone()))),
            Expr::Path(p) => self.operand(p),
            other => Err(other
                .pos()
                .semantic("expected a value or a property here, not a condition")),
        }
    }

    fn cond(&self, e: &Expr) -> Result<Cond, QueryError> {
        Ok(match e {
            Expr::Not(x) => Cond::Not(Box::new(self.cond(x)?)),
            Expr::And(v) => Cond::And(v.iter().map(|x| self.cond(x)).collect::<Result<_, _>>()?),
            Expr::Or(v) => Cond::Or(v.iter().map(|x| self.cond(x)).collect::<Result<_, _>>()?),
            Expr::Cmp(op, a, b) => Cond::Cmp(*op, self.value(a)?, self.value(b)?),
            Expr::In {
                value,
                list,
                negated,
            } => Cond::In(self.value(value)?, list.clone(), *negated),
            Expr::Call { name, args, pos } => self.call(name, args, *pos)?,
            Expr::Lit(..) | Expr::List(..) | Expr::Path(_) => Cond::Truthy(self.value(e)?),
        })
    }

    fn call(&self, name: &str, args: &[Expr], pos: Pos) -> Result<Cond, QueryError> {
        if name == "IS_OF_MODEL" {
            return self.is_of_model(args, pos);
        }
        let Some(f) = Func::by_name(name) else {
            return Err(pos.semantic(format!(
                "unknown function '{name}'; the query language has {}",
                Func::NAMES.join(", ")
            )));
        };
        if args.len() != f.arity() {
            return Err(pos.semantic(format!(
                "{name} takes {} argument(s), not {}",
                f.arity(),
                args.len()
            )));
        }
        let args = args
            .iter()
            .map(|a| self.value(a))
            .collect::<Result<_, _>>()?;
        Ok(Cond::Call(f, args))
    }

    /// `IS_OF_MODEL([collection,] 'dtmi' [, exact])`.
    fn is_of_model(&self, args: &[Expr], pos: Pos) -> Result<Cond, QueryError> {
        let usage = "IS_OF_MODEL takes an optional twin collection, a model id string and an optional 'exact'";
        let mut rest = args;
        let mut var = None;
        if let Some(Expr::Path(p)) = rest.first() {
            if p.segments.len() != 1 || self.lookup(&p.segments[0]).is_none() {
                return Err(p.pos.semantic(format!(
                    "'{}' is not a collection of this query ({})",
                    p.segments.join("."),
                    self.names()
                )));
            }
            var = self.lookup(&p.segments[0]);
            rest = &rest[1..];
        }
        let model = match rest.first() {
            Some(Expr::Lit(Value::String(m), _)) => m.clone(),
            Some(other) => return Err(other.pos().semantic(usage)),
            None => return Err(pos.semantic(usage)),
        };
        let exact = match rest.get(1) {
            None => false,
            Some(Expr::Path(p))
                if p.segments.len() == 1 && p.segments[0].eq_ignore_ascii_case("exact") =>
            {
                true
            }
            Some(other) => return Err(other.pos().semantic(usage)),
        };
        if rest.len() > 2 {
            return Err(pos.semantic(usage));
        }
        let var =
            match var {
                Some(v) => v,
                None if self.single => 0,
                None => return Err(pos.semantic(
                    "IS_OF_MODEL must name its twin collection when the query has JOIN or MATCH",
                )),
            };
        if self.vars[var].kind != VarKind::Twin {
            return Err(pos.semantic(format!(
                "IS_OF_MODEL needs a twin collection, and '{}' holds relationships",
                self.vars[var].name
            )));
        }
        Ok(Cond::IsOfModel {
            var,
            model,
            exact,
            models: HashSet::new(),
        })
    }
}

/// Resolves and plans a parsed query against the graph's current indexes.
pub fn plan(q: &Query, view: &GraphView<'_>) -> Result<Plan, QueryError> {
    let mut b = Binder {
        vars: Vec::new(),
        single: false,
    };
    let mut edges = Vec::new();
    let root_kind = match q.from.source {
        Source::Twins => VarKind::Twin,
        Source::Relationships => VarKind::Rel,
    };
    match (&q.from.alias, &q.from.pattern) {
        (_, Some(p)) => {
            let mut node_vars = Vec::new();
            for n in &p.nodes {
                node_vars.push(match n {
                    Some(n) => match b.lookup(&n.text) {
                        Some(v) => v,
                        None => b.declare(n, VarKind::Twin)?,
                    },
                    None => b.anonymous(VarKind::Twin),
                });
            }
            for (i, e) in p.edges.iter().enumerate() {
                let rel = e
                    .var
                    .as_ref()
                    .map(|n| b.declare(n, VarKind::Rel))
                    .transpose()?;
                edges.push(Edge {
                    a: node_vars[i],
                    b: node_vars[i + 1],
                    rel,
                    names: e.names.clone(),
                    direction: e.direction,
                    min: e.min_hops,
                    max: e.max_hops,
                });
            }
            b.single = p.edges.is_empty();
        }
        (Some(a), None) => {
            b.declare(a, root_kind)?;
        }
        (None, None) => {
            b.anonymous(root_kind);
        }
    }
    for j in &q.from.joins {
        let Some(src) = b.lookup(&j.source.text) else {
            return Err(j.source.pos.semantic(format!(
                "'{}' is not a collection of this query ({})",
                j.source.text,
                b.names()
            )));
        };
        if b.vars[src].kind != VarKind::Twin {
            return Err(j.source.pos.semantic(format!(
                "RELATED must follow a twin collection, and '{}' holds relationships",
                j.source.text
            )));
        }
        let to = b.declare(&j.target, VarKind::Twin)?;
        let rel = j
            .rel
            .as_ref()
            .map(|n| b.declare(n, VarKind::Rel))
            .transpose()?;
        edges.push(Edge {
            a: src,
            b: to,
            rel,
            names: vec![j.name.clone()],
            direction: Direction::Right,
            min: 1,
            max: 1,
        });
    }
    if q.from.pattern.is_none() && q.from.joins.is_empty() {
        b.single = true;
    }
    let mut conjuncts: Vec<Cond> = match &q.filter {
        None => Vec::new(),
        Some(Expr::And(parts)) => parts.iter().map(|p| b.cond(p)).collect::<Result<_, _>>()?,
        Some(e) => vec![b.cond(e)?],
    };
    conjuncts.iter_mut().for_each(|c| resolve_models(c, view));
    let output = match &q.select.kind {
        SelectKind::Count => Output::Count,
        SelectKind::Star => {
            if !edges.is_empty() {
                return Err(q.select.pos.semantic(
                    "SELECT * is valid only without JOIN or MATCH relationships; name the collections to return instead",
                ));
            }
            Output::Star(0)
        }
        SelectKind::Columns(cols) => {
            let mut out = Vec::new();
            for c in cols {
                let value = b.operand(&c.path)?;
                let key = match (&c.alias, &value) {
                    (Some(a), _) => a.clone(),
                    (None, Operand::Var(v)) => b.vars[*v].name.clone(),
                    (None, _) => c.path.segments.last().cloned().unwrap_or_default(),
                };
                out.push(Column { key, value });
            }
            Output::Columns(out)
        }
    };

    // The root: the twin collection the WHERE clause narrows most.
    let (root, access, used) = choose_root(&b.vars, &conjuncts, view);
    // The index already guarantees the term it was chosen for.
    if let Some(i) = used {
        conjuncts.remove(i);
    }
    // Traversal order: repeatedly take an edge touching the bound set.
    let mut bound = vec![false; b.vars.len()];
    bound[root] = true;
    let mut order: Vec<usize> = vec![root];
    let mut steps = Vec::new();
    let mut pending: Vec<Edge> = edges;
    while !pending.is_empty() {
        let Some(i) = pending.iter().position(|e| bound[e.a] || bound[e.b]) else {
            // A disconnected pattern part: start it with a scan of its first twin.
            let e = &pending[0];
            return Err(Pos::default().semantic(format!(
                "the MATCH pattern is not connected: '{}' cannot be reached from '{}'",
                b.vars[e.a].name, b.vars[root].name
            )));
        };
        let e = pending.remove(i);
        let (from, to, forward) = if bound[e.a] {
            (e.a, e.b, true)
        } else {
            (e.b, e.a, false)
        };
        let way = match (e.direction, forward) {
            (Direction::Either, _) => Way::Both,
            (Direction::Right, true) | (Direction::Left, false) => Way::Out,
            (Direction::Right, false) | (Direction::Left, true) => Way::In,
        };
        let closes = bound[to];
        bound[to] = true;
        order.push(to);
        if let Some(r) = e.rel {
            bound[r] = true;
        }
        steps.push(Step {
            from,
            to,
            rel: e.rel,
            names: e.names,
            way,
            min: e.min,
            max: e.max,
            closes,
        });
    }
    // Place each AND term right after the step that binds its last collection.
    let mut filters = vec![Vec::new(); steps.len() + 1];
    let bound_at = |v: usize| -> usize {
        if v == root {
            return 0;
        }
        steps
            .iter()
            .position(|s| s.to == v || s.rel == Some(v))
            .map_or(steps.len(), |i| i + 1)
    };
    for c in conjuncts {
        let mut used = Vec::new();
        vars_of(&c, &mut used);
        let at = used.iter().map(|v| bound_at(*v)).max().unwrap_or(0);
        filters[at].push(c);
    }
    Ok(Plan {
        vars: b.vars,
        root,
        access,
        steps,
        filters,
        output,
        top: q.select.top,
        explain: q.explain,
    })
}

fn vars_of(c: &Cond, out: &mut Vec<usize>) {
    let op = |o: &Operand, out: &mut Vec<usize>| {
        if let Operand::Var(v) | Operand::Field(v, _) = o {
            out.push(*v);
        }
    };
    match c {
        Cond::Not(x) => vars_of(x, out),
        Cond::And(v) | Cond::Or(v) => v.iter().for_each(|x| vars_of(x, out)),
        Cond::Cmp(_, a, b) => {
            op(a, out);
            op(b, out);
        }
        Cond::In(a, ..) | Cond::Truthy(a) => op(a, out),
        Cond::Call(_, args) => args.iter().for_each(|a| op(a, out)),
        Cond::IsOfModel { var, .. } => out.push(*var),
    }
}

/// The ids a conjunct pins `field` of a collection to: `X.f = 's'` or `X.f IN [..]`.
fn pinned(c: &Cond, field: &str) -> Option<(usize, Vec<String>)> {
    let strs = |l: &[Value]| -> Option<Vec<String>> {
        l.iter().map(|v| v.as_str().map(str::to_owned)).collect()
    };
    match c {
        Cond::Cmp(CmpOp::Eq, Operand::Field(v, p), Operand::Lit(Value::String(s)))
        | Cond::Cmp(CmpOp::Eq, Operand::Lit(Value::String(s)), Operand::Field(v, p))
            if p.len() == 1 && p[0] == field =>
        {
            Some((*v, vec![s.clone()]))
        }
        Cond::In(Operand::Field(v, p), list, false) if p.len() == 1 && p[0] == field => {
            Some((*v, strs(list)?))
        }
        _ => None,
    }
}

/// The property and values a conjunct pins a collection's top-level
/// property to: `X.p = literal` or `X.p IN [..]`.
fn pinned_property(c: &Cond) -> Option<(usize, String, Vec<Value>)> {
    let plain = |p: &[String]| p.len() == 1 && !p[0].starts_with('$');
    match c {
        Cond::Cmp(CmpOp::Eq, Operand::Field(v, p), Operand::Lit(x))
        | Cond::Cmp(CmpOp::Eq, Operand::Lit(x), Operand::Field(v, p))
            if plain(p) =>
        {
            Some((*v, p[0].clone(), vec![x.clone()]))
        }
        Cond::In(Operand::Field(v, p), list, false) if plain(p) => {
            Some((*v, p[0].clone(), list.clone()))
        }
        _ => None,
    }
}

/// Exact models that satisfy `IS_OF_MODEL(model, exact)` among those in use.
pub fn qualifying_models(view: &GraphView<'_>, model: &str, exact: bool) -> Vec<(String, usize)> {
    let set = view.models();
    let mut v: Vec<(String, usize)> = view
        .used_models()
        .filter(|(m, _)| {
            if exact {
                *m == model
            } else {
                set.is_a(m, model)
            }
        })
        .map(|(m, n)| (m.to_string(), n))
        .collect();
    v.sort();
    v
}

/// Fills in each IS_OF_MODEL's qualifying models.
fn resolve_models(c: &mut Cond, view: &GraphView<'_>) {
    match c {
        Cond::Not(x) => resolve_models(x, view),
        Cond::And(v) | Cond::Or(v) => v.iter_mut().for_each(|x| resolve_models(x, view)),
        Cond::IsOfModel {
            model,
            exact,
            models,
            ..
        } => {
            *models = qualifying_models(view, model, *exact)
                .into_iter()
                .map(|(m, _)| m)
                .collect();
        }
        _ => {}
    }
}

/// The root collection, how to enumerate it, and which AND term (if any)
/// that enumeration makes redundant.
fn choose_root(
    vars: &[Var],
    conds: &[Cond],
    view: &GraphView<'_>,
) -> (usize, Access, Option<usize>) {
    if vars[0].kind == VarKind::Rel {
        for (i, c) in conds.iter().enumerate() {
            if let Some((0, ids)) = pinned(c, "$sourceId") {
                return (0, Access::RelsBySource(ids), Some(i));
            }
        }
        for (i, c) in conds.iter().enumerate() {
            if let Some((0, ids)) = pinned(c, "$targetId") {
                return (0, Access::RelsByTarget(ids), Some(i));
            }
        }
        return (0, Access::AllRels, None);
    }
    let mut best: Option<(usize, usize, Access, Option<usize>)> = None;
    let mut consider = |cost: usize, var: usize, access: Access, term: Option<usize>| {
        if best.as_ref().is_none_or(|(c, ..)| cost < *c) {
            best = Some((cost, var, access, term));
        }
    };
    for (i, c) in conds.iter().enumerate() {
        if let Some((v, ids)) = pinned(c, "$dtId")
            && vars[v].kind == VarKind::Twin
        {
            consider(ids.len(), v, Access::TwinIds(ids), Some(i));
        }
        if let Cond::IsOfModel {
            var, model, exact, ..
        } = c
        {
            let models = qualifying_models(view, model, *exact);
            let n: usize = models.iter().map(|(_, n)| n).sum();
            let access = Access::Models {
                model: model.clone(),
                exact: *exact,
                models: models.into_iter().map(|(m, _)| m).collect(),
            };
            consider(n, *var, access, Some(i));
        }
    }
    // Property indexes: worth building (or reading) only when nothing
    // narrower was found.
    if best.as_ref().is_none_or(|(cost, ..)| *cost > 64) {
        for (i, c) in conds.iter().enumerate() {
            if let Some((v, name, values)) = pinned_property(c)
                && vars[v].kind == VarKind::Twin
                && let Some(slots) = view.twins_with_property(&name, &values)
                && best.as_ref().is_none_or(|(cost, ..)| slots.len() < *cost)
            {
                best = Some((slots.len(), v, Access::Property { name, values }, Some(i)));
            }
        }
        for t in range_terms(conds) {
            if vars[t.var].kind != VarKind::Twin {
                continue;
            }
            // Count no further than the best so far: a wide range is
            // not worth reading out.
            let cap = best
                .as_ref()
                .map_or(view.twin_count(), |(cost, ..)| *cost)
                .min(view.twin_count());
            let n = view.count_in_range(&t.name, &t.range, cap);
            if n < cap {
                best = Some((n, t.var, Access::Range(t), None));
            }
        }
    }
    match best {
        // An index only pays when it is smaller than a scan.
        Some((cost, v, a, i)) if cost <= view.twin_count() => (v, a, i),
        _ => (0, Access::AllTwins, None),
    }
}

impl Plan {
    /// The plan as JSON, for EXPLAIN.
    pub fn explain(&self) -> Value {
        let name = |v: usize| {
            let n = &self.vars[v].name;
            if n.is_empty() {
                format!("#{v}")
            } else {
                n.clone()
            }
        };
        let access = match &self.access {
            Access::AllTwins => json!({"scan": "all twins"}),
            Access::TwinIds(ids) => json!({"index": "$dtId", "ids": ids}),
            Access::Models {
                model,
                exact,
                models,
            } => {
                json!({"index": "model", "model": model, "exact": exact, "models": models})
            }
            Access::Property { name, values } => {
                json!({"index": "property", "property": name, "values": values})
            }
            Access::Range(t) => {
                let side = |b: &Bound<Value>| match b {
                    Bound::Included(v) => json!({"value": v, "inclusive": true}),
                    Bound::Excluded(v) => json!({"value": v, "inclusive": false}),
                    Bound::Unbounded => Value::Null,
                };
                json!({"index": "property range", "property": t.name, "from": side(&t.range.lower), "to": side(&t.range.upper)})
            }
            Access::AllRels => json!({"scan": "all relationships"}),
            Access::RelsBySource(ids) => json!({"index": "outgoing relationships", "sources": ids}),
            Access::RelsByTarget(ids) => json!({"index": "incoming relationships", "targets": ids}),
        };
        let steps: Vec<Value> = self
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                json!({
                    "from": name(s.from),
                    "to": name(s.to),
                    "relationship": s.rel.map(name),
                    "names": s.names,
                    "adjacency": match s.way { Way::Out => "outgoing", Way::In => "incoming", Way::Both => "both" },
                    "hops": [s.min, s.max],
                    "closesCycle": s.closes,
                    "filters": self.filters[i + 1].len(),
                })
            })
            .collect();
        json!({
            "root": name(self.root),
            "access": access,
            "rootFilters": self.filters[0].len(),
            "steps": steps,
            "output": match &self.output {
                Output::Star(_) => json!("*"),
                Output::Count => json!("COUNT"),
                Output::Columns(c) => json!(c.iter().map(|c| c.key.clone()).collect::<Vec<_>>()),
            },
            "top": self.top,
        })
    }
}
