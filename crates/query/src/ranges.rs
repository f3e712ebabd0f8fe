//! Range predicates on top-level twin properties (`T.p > 3 AND T.p <= 9`),
//! gathered per collection and property, so that the planner can read
//! them through the graph's ordered property index instead of scanning.
//! The terms themselves stay in the plan as filters: the index only has
//! to narrow the twins down to a superset of the answer.

use std::ops::Bound;

use serde_json::Value;

use ferrotwin_graph::ValueRange;

use crate::ast::CmpOp;
use crate::functions::{Tri, compare};
use crate::plan::{Cond, Operand};

/// The bounds the AND terms put on one collection's property.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeTerm {
    /// The twin collection.
    pub var: usize,
    /// The top-level property.
    pub name: String,
    /// The tightest bounds found.
    pub range: ValueRange,
}

/// One comparison of a plain top-level property with a literal, the
/// property on the left: `(var, name, op, literal)`.
fn comparison(c: &Cond) -> Option<(usize, &str, CmpOp, &Value)> {
    let plain = |p: &[String]| p.len() == 1 && !p[0].starts_with('$');
    let flip = |op: CmpOp| match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    };
    let (v, p, op, x) = match c {
        Cond::Cmp(op, Operand::Field(v, p), Operand::Lit(x)) if plain(p) => (*v, p, *op, x),
        Cond::Cmp(op, Operand::Lit(x), Operand::Field(v, p)) if plain(p) => (*v, p, flip(*op), x),
        _ => return None,
    };
    let ordered = matches!(op, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge);
    let primitive = matches!(x, Value::Bool(_) | Value::Number(_) | Value::String(_));
    (ordered && primitive).then_some((v, p[0].as_str(), op, x))
}

/// Whether `new` is a tighter bound than `old` on the side where a
/// greater value is tighter (`greater`) or a smaller one (`!greater`).
/// Bounds of different kinds are not compared: the older one stays.
fn tighter(new: &Bound<Value>, old: &Bound<Value>, greater: bool) -> bool {
    let (n, n_excl) = match new {
        Bound::Included(v) => (v, false),
        Bound::Excluded(v) => (v, true),
        Bound::Unbounded => return false,
    };
    let (o, o_excl) = match old {
        Bound::Included(v) => (v, false),
        Bound::Excluded(v) => (v, true),
        Bound::Unbounded => return true,
    };
    let beyond = if greater { CmpOp::Gt } else { CmpOp::Lt };
    match compare(beyond, Some(n), Some(o)) {
        Tri::True => true,
        Tri::False => compare(CmpOp::Eq, Some(n), Some(o)) == Tri::True && n_excl && !o_excl,
        Tri::Undefined => false,
    }
}

/// The range terms among `conds`, one per (collection, property).
pub fn range_terms(conds: &[Cond]) -> Vec<RangeTerm> {
    let mut out: Vec<RangeTerm> = Vec::new();
    for (var, name, op, x) in conds.iter().filter_map(comparison) {
        let (lower, upper) = match op {
            CmpOp::Gt => (Bound::Excluded(x.clone()), Bound::Unbounded),
            CmpOp::Ge => (Bound::Included(x.clone()), Bound::Unbounded),
            CmpOp::Lt => (Bound::Unbounded, Bound::Excluded(x.clone())),
            _ => (Bound::Unbounded, Bound::Included(x.clone())),
        };
        match out.iter_mut().find(|t| t.var == var && t.name == name) {
            Some(t) => {
                if tighter(&lower, &t.range.lower, true) {
                    t.range.lower = lower;
                }
                if tighter(&upper, &t.range.upper, false) {
                    t.range.upper = upper;
                }
            }
            None => out.push(RangeTerm {
                var,
                name: name.to_owned(),
                range: ValueRange { lower, upper },
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn cmp(op: CmpOp, var: usize, name: &str, x: Value) -> Cond {
        Cond::Cmp(op, Operand::Field(var, vec![name.into()]), Operand::Lit(x))
    }

    #[test]
    fn bounds_on_one_property_are_merged_to_the_tightest() {
        let conds = [
            cmp(CmpOp::Gt, 0, "t", json!(10)),
            cmp(CmpOp::Ge, 0, "t", json!(20)),
            // `30 > t` is `t < 30`.
            Cond::Cmp(
                CmpOp::Gt,
                Operand::Lit(json!(30)),
                Operand::Field(0, vec!["t".into()]),
            ),
            cmp(CmpOp::Le, 0, "t", json!(40)),
            cmp(CmpOp::Ge, 0, "t", json!(20)),
            cmp(CmpOp::Gt, 0, "t", json!(20)),
            // Another kind does not replace a bound it cannot be compared with.
            cmp(CmpOp::Lt, 0, "t", json!("zz")),
            cmp(CmpOp::Lt, 1, "t", json!(5)),
            // Not range terms.
            cmp(CmpOp::Eq, 0, "t", json!(1)),
            cmp(CmpOp::Gt, 0, "$dtId", json!("a")),
            cmp(CmpOp::Gt, 0, "obj", json!({"a": 1})),
            Cond::Cmp(
                CmpOp::Gt,
                Operand::Field(0, vec!["loc".into(), "x".into()]),
                Operand::Lit(json!(1)),
            ),
        ];
        let terms = range_terms(&conds);
        assert_eq!(terms.len(), 2);
        assert_eq!(terms[0].name, "t");
        assert_eq!(terms[0].range.lower, Bound::Excluded(json!(20)));
        assert_eq!(terms[0].range.upper, Bound::Excluded(json!(30)));
        assert_eq!(terms[1].var, 1);
        assert_eq!(terms[1].range.upper, Bound::Excluded(json!(5)));
    }
}
