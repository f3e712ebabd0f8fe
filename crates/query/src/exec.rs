//! The executor: enumerates the root collection through its access path in
//! slot order, follows each step through the adjacency lists, applies each
//! filter as soon as its collections are bound, and projects rows. Rows
//! come out ordered by root slot, and each root's rows in adjacency order
//! (nearest twins first across a range of hops),
//! so a [`Cursor`] (root slot, rows already taken from it) resumes a query
//! exactly where the previous page stopped.

use std::borrow::Cow;
use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use ferrotwin_graph::{GraphView, Twin};

use crate::error::QueryError;
use crate::functions::{Tri, compare, equal};
use crate::plan::{Access, Cond, Operand, Output, Plan, Step, VarKind, Way};

const UNBOUND: u32 = u32::MAX;

/// Where the next page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The root slot to resume at.
    pub root: u32,
    /// How many of that root's rows were already returned.
    pub skip: u64,
    /// How many rows were returned in all (for `TOP`).
    pub emitted: u64,
}

impl Cursor {
    /// A compact text form.
    pub fn encode(&self) -> String {
        format!("{}.{}.{}", self.root, self.skip, self.emitted)
    }

    /// Reads [`Cursor::encode`]'s form.
    pub fn decode(s: &str) -> Result<Cursor, QueryError> {
        let bad = || QueryError::BadCursor(format!("'{s}' is not a query cursor"));
        let mut it = s.split('.');
        let mut next = || {
            it.next()
                .and_then(|p| p.parse::<u64>().ok())
                .ok_or_else(bad)
        };
        let root = u32::try_from(next()?).map_err(|_| bad())?;
        let c = Cursor {
            root,
            skip: next()?,
            emitted: next()?,
        };
        Ok(c)
    }
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct Page {
    /// The result rows.
    pub rows: Vec<Value>,
    /// Where the next page starts, if there is one.
    pub next: Option<Cursor>,
    /// Twins and relationships looked at (the basis of the query charge).
    pub examined: u64,
}

struct Exec<'v> {
    view: &'v GraphView<'v>,
    plan: &'v Plan,
    examined: u64,
    deadline: Option<Instant>,
    timed_out: bool,
}

/// Runs `plan`, returning at most `page_size` rows from `cursor` on, or
/// [`QueryError::Timeout`] once `time_limit` has passed: the query holds
/// the graph's read lock, and writers wait while it runs.
pub fn execute<'v>(
    view: &'v GraphView<'v>,
    plan: &'v Plan,
    cursor: Option<Cursor>,
    page_size: usize,
    time_limit: Option<Duration>,
) -> Result<Page, QueryError> {
    let mut ex = Exec {
        view,
        plan,
        examined: 0,
        deadline: time_limit.map(|d| Instant::now() + d),
        timed_out: false,
    };
    let timeout = || Err(QueryError::Timeout(time_limit.unwrap_or_default()));
    if plan.explain {
        return Ok(Page {
            rows: vec![json!({"plan": plan.explain()})],
            next: None,
            examined: 0,
        });
    }
    // Rows of one root, flattened: `stride` slots per row. Both buffers
    // are reused across roots, so a scan allocates nothing per twin.
    let stride = plan.vars.len();
    let mut rows: Vec<u32> = Vec::new();
    let mut b = vec![UNBOUND; stride];
    if let Output::Count = plan.output {
        let mut n = 0u64;
        for root in ex.roots(0) {
            ex.rows_for(root, &mut b, &mut rows);
            if ex.timed_out {
                return timeout();
            }
            n += (rows.len() / stride) as u64;
            rows.clear();
        }
        return Ok(Page {
            rows: vec![json!({"COUNT": n})],
            next: None,
            examined: ex.examined,
        });
    }
    let start = cursor.map_or(0, |c| c.root);
    let mut emitted = cursor.map_or(0, |c| c.emitted);
    let mut out = Vec::new();
    for root in ex.roots(start) {
        rows.clear();
        ex.rows_for(root, &mut b, &mut rows);
        if ex.timed_out {
            return timeout();
        }
        let skip = match cursor {
            Some(c) if c.root == root => c.skip as usize,
            _ => 0,
        };
        for (k, row) in rows.chunks_exact(stride).enumerate().skip(skip) {
            if plan.top.is_some_and(|t| emitted >= t) {
                return Ok(Page {
                    rows: out,
                    next: None,
                    examined: ex.examined,
                });
            }
            if out.len() >= page_size {
                let next = Cursor {
                    root,
                    skip: k as u64,
                    emitted,
                };
                return Ok(Page {
                    rows: out,
                    next: Some(next),
                    examined: ex.examined,
                });
            }
            out.push(ex.project(row));
            emitted += 1;
        }
    }
    Ok(Page {
        rows: out,
        next: None,
        examined: ex.examined,
    })
}

impl<'v> Exec<'v> {
    /// Root slots from `from` on, in slot order.
    fn roots(&self, from: u32) -> Box<dyn Iterator<Item = u32> + 'v> {
        let view = self.view;
        let sorted = |mut v: Vec<u32>| -> Box<dyn Iterator<Item = u32> + 'v> {
            v.sort_unstable();
            v.dedup();
            Box::new(v.into_iter().filter(move |s| *s >= from))
        };
        match &self.plan.access {
            Access::AllTwins => {
                Box::new((from..view.twin_slot_bound()).filter(move |s| view.twin(*s).is_some()))
            }
            Access::TwinIds(ids) => sorted(ids.iter().filter_map(|i| view.twin_slot(i)).collect()),
            Access::Models { models, .. } => {
                // The models' slot sets are disjoint and sorted: merge them.
                let mut its: Vec<_> = models
                    .iter()
                    .map(|m| view.twins_of_model(m, from).peekable())
                    .collect();
                Box::new(std::iter::from_fn(move || {
                    let mut best: Option<(usize, u32)> = None;
                    for (i, it) in its.iter_mut().enumerate() {
                        if let Some(&s) = it.peek()
                            && best.is_none_or(|(_, b)| s < b)
                        {
                            best = Some((i, s));
                        }
                    }
                    its[best?.0].next()
                }))
            }
            Access::Property { name, values } => {
                sorted(view.twins_with_property(name, values).unwrap_or_default())
            }
            Access::Range(t) => sorted(view.twins_in_range(&t.name, &t.range)),
            Access::AllRels => Box::new(
                (from..view.rel_slot_bound()).filter(move |s| view.relationship(*s).is_some()),
            ),
            Access::RelsBySource(ids) => sorted(
                ids.iter()
                    .filter_map(|i| view.twin_slot(i))
                    .flat_map(|t| view.outgoing(t).iter().copied())
                    .collect(),
            ),
            Access::RelsByTarget(ids) => sorted(
                ids.iter()
                    .filter_map(|i| view.twin_slot(i))
                    .flat_map(|t| view.incoming(t).iter().copied())
                    .collect(),
            ),
        }
    }

    /// Every row that starts at `root`.
    fn rows_for(&mut self, root: u32, b: &mut [u32], out: &mut Vec<u32>) {
        self.examined += 1;
        if self.over_time() {
            return;
        }
        b.fill(UNBOUND);
        b[self.plan.root] = root;
        if self.pass(0, b) {
            self.step(0, b, out);
        }
    }

    /// Whether the time limit has passed; the clock is read every 1024
    /// twins or relationships looked at, starting with the first.
    fn over_time(&mut self) -> bool {
        if !self.timed_out
            && self.examined % 1024 == 1
            && self.deadline.is_some_and(|d| Instant::now() >= d)
        {
            self.timed_out = true;
        }
        self.timed_out
    }

    fn pass(&self, at: usize, b: &[u32]) -> bool {
        self.plan.filters[at]
            .iter()
            .all(|c| self.cond(c, b) == Tri::True)
    }

    fn step(&mut self, i: usize, b: &mut [u32], out: &mut Vec<u32>) {
        let Some(s) = self.plan.steps.get(i) else {
            out.extend_from_slice(b);
            return;
        };
        let from = b[s.from];
        let candidates: Vec<(u32, u32)> = if s.min == 1 && s.max == 1 {
            self.neighbours(from, s)
        } else {
            self.reach(from, s)
                .into_iter()
                .map(|t| (UNBOUND, t))
                .collect()
        };
        for (rel, other) in candidates {
            if s.closes {
                if b[s.to] != other {
                    continue;
                }
            } else {
                b[s.to] = other;
            }
            if let Some(r) = s.rel {
                b[r] = rel;
            }
            if self.pass(i + 1, b) {
                self.step(i + 1, b, out);
            }
        }
        if !s.closes {
            b[s.to] = UNBOUND;
        }
        if let Some(r) = s.rel {
            b[r] = UNBOUND;
        }
    }

    /// (relationship, other twin) for each matching relationship of `twin`.
    fn neighbours(&mut self, twin: u32, s: &Step) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        let named = |name: &str| s.names.is_empty() || s.names.iter().any(|n| n == name);
        if matches!(s.way, Way::Out | Way::Both) {
            for &r in self.view.outgoing(twin) {
                self.examined += 1;
                if let Some(rel) = self.view.relationship(r).filter(|x| named(x.name)) {
                    out.push((r, rel.target));
                }
            }
        }
        if matches!(s.way, Way::In | Way::Both) {
            for &r in self.view.incoming(twin) {
                self.examined += 1;
                if let Some(rel) = self.view.relationship(r).filter(|x| named(x.name)) {
                    // A self-loop was already found among the outgoing ones.
                    if s.way == Way::Both && rel.source == rel.target {
                        continue;
                    }
                    out.push((r, rel.source));
                }
            }
        }
        out
    }

    /// Distinct twins at the end of a simple path (no twin twice) whose
    /// length is within the step's hop range, in discovery order.
    ///
    /// When paths of one hop count, a twin qualifies exactly when its
    /// shortest path is short enough (a shortest path is simple), so a
    /// breadth-first search finds them, looking at each relationship
    /// once: wide, undirected patterns stay linear in what they reach.
    /// A higher lower bound needs the simple paths themselves, which the
    /// depth-first walk enumerates.
    fn reach(&mut self, start: u32, s: &Step) -> Vec<u32> {
        let mut found = Vec::new();
        let mut seen = HashSet::new();
        if s.min <= 1 {
            seen.insert(start);
            let mut frontier = vec![start];
            for _ in 0..s.max {
                let mut next = Vec::new();
                for at in frontier {
                    if self.over_time() {
                        return found;
                    }
                    for (_, t) in self.neighbours(at, s) {
                        if seen.insert(t) {
                            found.push(t);
                            next.push(t);
                        }
                    }
                }
                if next.is_empty() {
                    break;
                }
                frontier = next;
            }
            return found;
        }
        let mut path = vec![start];
        self.walk(start, 1, s, &mut path, &mut found, &mut seen);
        found
    }

    fn walk(
        &mut self,
        at: u32,
        depth: u32,
        s: &Step,
        path: &mut Vec<u32>,
        found: &mut Vec<u32>,
        seen: &mut HashSet<u32>,
    ) {
        if self.over_time() {
            return;
        }
        for (_, next) in self.neighbours(at, s) {
            if path.contains(&next) {
                continue;
            }
            if depth >= s.min && seen.insert(next) {
                found.push(next);
            }
            if depth < s.max {
                path.push(next);
                self.walk(next, depth + 1, s, path, found, seen);
                path.pop();
            }
        }
    }

    fn cond(&self, c: &Cond, b: &[u32]) -> Tri {
        match c {
            Cond::Not(x) => !self.cond(x, b),
            Cond::And(v) => {
                let mut all = Tri::True;
                for x in v {
                    match self.cond(x, b) {
                        Tri::False => return Tri::False,
                        Tri::Undefined => all = Tri::Undefined,
                        Tri::True => {}
                    }
                }
                all
            }
            Cond::Or(v) => {
                let mut any = Tri::False;
                for x in v {
                    match self.cond(x, b) {
                        Tri::True => return Tri::True,
                        Tri::Undefined => any = Tri::Undefined,
                        Tri::False => {}
                    }
                }
                any
            }
            Cond::Cmp(op, x, y) => compare(
                *op,
                self.value(x, b).as_deref(),
                self.value(y, b).as_deref(),
            ),
            Cond::In(x, list, negated) => match self.value(x, b) {
                None => Tri::Undefined,
                Some(v) => {
                    let hit = list.iter().any(|l| equal(&v, l) == Some(true));
                    Tri::of(hit != *negated)
                }
            },
            Cond::Call(f, args) => {
                let vals: Vec<Option<Cow<'_, Value>>> =
                    args.iter().map(|a| self.value(a, b)).collect();
                let refs: Vec<Option<&Value>> = vals.iter().map(|v| v.as_deref()).collect();
                f.apply(&refs)
            }
            Cond::IsOfModel { var, models, .. } => match self.twin(b[*var]) {
                None => Tri::Undefined,
                Some(t) => Tri::of(models.contains(&*t.model)),
            },
            Cond::Truthy(x) => match self.value(x, b).as_deref() {
                Some(Value::Bool(v)) => Tri::of(*v),
                _ => Tri::Undefined,
            },
        }
    }

    fn twin(&self, slot: u32) -> Option<&'v Twin> {
        if slot == UNBOUND {
            None
        } else {
            self.view.twin(slot)
        }
    }

    fn value<'e>(&self, o: &'e Operand, b: &[u32]) -> Option<Cow<'e, Value>>
    where
        'v: 'e,
    {
        match o {
            Operand::Lit(v) => Some(Cow::Borrowed(v)),
            Operand::Var(v) => self.document(*v, b[*v]).map(Cow::Owned),
            Operand::Field(v, path) => {
                let slot = b[*v];
                if slot == UNBOUND {
                    return None;
                }
                match self.plan.vars[*v].kind {
                    VarKind::Twin => twin_field(self.view.twin(slot)?, path),
                    VarKind::Rel => self.rel_field(slot, path),
                }
            }
        }
    }

    fn rel_field(&self, slot: u32, path: &[String]) -> Option<Cow<'v, Value>> {
        let r = self.view.relationship(slot)?;
        let id_of = |s: u32| self.view.twin(s).map(|t| Value::String(t.id.to_string()));
        let (first, rest) = path.split_first()?;
        let v = match first.as_str() {
            "$relationshipId" => Cow::Owned(Value::String(r.id.to_string())),
            "$sourceId" => Cow::Owned(id_of(r.source)?),
            "$targetId" => Cow::Owned(id_of(r.target)?),
            "$relationshipName" => Cow::Owned(Value::String(r.name.to_string())),
            "$etag" => Cow::Owned(Value::String(r.etag())),
            name => Cow::Owned(r.property(name)?),
        };
        descend(v, rest)
    }

    fn document(&self, var: usize, slot: u32) -> Option<Value> {
        if slot == UNBOUND {
            return None;
        }
        match self.plan.vars[var].kind {
            VarKind::Twin => self.view.twin(slot).map(Twin::to_document),
            VarKind::Rel => self.view.relationship_document(slot),
        }
    }

    fn project(&self, b: &[u32]) -> Value {
        match &self.plan.output {
            Output::Star(v) => self.document(*v, b[*v]).unwrap_or(Value::Null),
            Output::Count => Value::Null,
            Output::Columns(cols) => {
                let mut m = Map::with_capacity(cols.len());
                for c in cols {
                    // A column whose value is missing is left out, as in ADT.
                    if let Some(v) = self.value(&c.value, b) {
                        m.insert(c.key.clone(), v.into_owned());
                    }
                }
                Value::Object(m)
            }
        }
    }
}

/// A property path of a twin, reading ADT's document shape (`$dtId`,
/// `$etag`, `$metadata...`) without building the whole document.
fn twin_field<'v>(t: &'v Twin, path: &[String]) -> Option<Cow<'v, Value>> {
    let (first, rest) = path.split_first()?;
    let v = match first.as_str() {
        "$dtId" => Cow::Owned(Value::String(t.id.to_string())),
        "$etag" => Cow::Owned(Value::String(t.etag.to_string())),
        "$metadata" => match rest.first().map(String::as_str) {
            Some("$model") => {
                return rest
                    .len()
                    .eq(&1)
                    .then(|| Cow::Owned(Value::String(t.model.to_string())));
            }
            _ => {
                let doc = t.to_document();
                let meta = doc.get("$metadata")?.clone();
                Cow::Owned(meta)
            }
        },
        name => Cow::Borrowed(t.contents.get(name)?),
    };
    descend(v, rest)
}

/// Follows object keys (and array indexes) down a value.
fn descend<'v>(mut v: Cow<'v, Value>, path: &[String]) -> Option<Cow<'v, Value>> {
    for seg in path {
        v = match v {
            Cow::Borrowed(x) => Cow::Borrowed(child(x, seg)?),
            Cow::Owned(x) => Cow::Owned(child(&x, seg)?.clone()),
        };
    }
    Some(v)
}

fn child<'x>(v: &'x Value, seg: &str) -> Option<&'x Value> {
    match v {
        Value::Object(m) => m.get(seg),
        Value::Array(a) => a.get(seg.parse::<usize>().ok()?),
        _ => None,
    }
}
