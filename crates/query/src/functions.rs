//! Built-in functions and comparison rules. Values follow ADT's
//! three-valued logic: comparing a missing property, or values of
//! different types, is *undefined* rather than false, and a row is kept
//! only when its condition is true — so `NOT x < 80` does not match twins
//! that lack `x`.

use std::cmp::Ordering;

use serde_json::Value;

use crate::ast::CmpOp;

/// A condition's truth value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    /// True.
    True,
    /// False.
    False,
    /// Neither: a missing value or mismatched types.
    Undefined,
}

impl Tri {
    /// From a boolean.
    pub fn of(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
}

impl std::ops::Not for Tri {
    type Output = Tri;

    /// `NOT`: undefined stays undefined.
    fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Undefined => Tri::Undefined,
        }
    }
}

/// A boolean built-in function (other than IS_OF_MODEL, which the
/// planner handles because it can use the model index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// `IS_DEFINED(x)`.
    IsDefined,
    /// `IS_NULL(x)`.
    IsNull,
    /// `IS_BOOL(x)`.
    IsBool,
    /// `IS_NUMBER(x)`.
    IsNumber,
    /// `IS_STRING(x)`.
    IsString,
    /// `IS_OBJECT(x)`.
    IsObject,
    /// `IS_PRIMITIVE(x)`: string, number, bool or null.
    IsPrimitive,
    /// `STARTSWITH(s, prefix)`.
    StartsWith,
    /// `ENDSWITH(s, suffix)`.
    EndsWith,
    /// `CONTAINS(s, part)`.
    Contains,
    /// `ARRAY_CONTAINS(array, value)`.
    ArrayContains,
}

impl Func {
    /// Every function name the language knows, IS_OF_MODEL included.
    pub const NAMES: [&'static str; 12] = [
        "IS_OF_MODEL",
        "IS_DEFINED",
        "IS_NULL",
        "IS_BOOL",
        "IS_NUMBER",
        "IS_STRING",
        "IS_OBJECT",
        "IS_PRIMITIVE",
        "STARTSWITH",
        "ENDSWITH",
        "CONTAINS",
        "ARRAY_CONTAINS",
    ];

    /// The function with this upper-case name.
    pub fn by_name(name: &str) -> Option<Func> {
        Some(match name {
            "IS_DEFINED" => Func::IsDefined,
            "IS_NULL" => Func::IsNull,
            "IS_BOOL" => Func::IsBool,
            "IS_NUMBER" => Func::IsNumber,
            "IS_STRING" => Func::IsString,
            "IS_OBJECT" => Func::IsObject,
            "IS_PRIMITIVE" => Func::IsPrimitive,
            "STARTSWITH" => Func::StartsWith,
            "ENDSWITH" => Func::EndsWith,
            "CONTAINS" => Func::Contains,
            "ARRAY_CONTAINS" => Func::ArrayContains,
            _ => return None,
        })
    }

    /// How many arguments it takes.
    pub fn arity(self) -> usize {
        match self {
            Func::StartsWith | Func::EndsWith | Func::Contains | Func::ArrayContains => 2,
            _ => 1,
        }
    }

    /// Applies the function; `None` is an undefined argument.
    pub fn apply(self, args: &[Option<&Value>]) -> Tri {
        let a = args.first().copied().flatten();
        let b = args.get(1).copied().flatten();
        let strs = |f: fn(&str, &str) -> bool| match (a, b) {
            (Some(Value::String(x)), Some(Value::String(y))) => Tri::of(f(x, y)),
            _ => Tri::Undefined,
        };
        match self {
            Func::IsDefined => Tri::of(a.is_some()),
            Func::IsNull => Tri::of(matches!(a, Some(Value::Null))),
            Func::IsBool => Tri::of(matches!(a, Some(Value::Bool(_)))),
            Func::IsNumber => Tri::of(matches!(a, Some(Value::Number(_)))),
            Func::IsString => Tri::of(matches!(a, Some(Value::String(_)))),
            Func::IsObject => Tri::of(matches!(a, Some(Value::Object(_)))),
            Func::IsPrimitive => Tri::of(matches!(
                a,
                Some(Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null)
            )),
            Func::StartsWith => strs(|x, y| x.starts_with(y)),
            Func::EndsWith => strs(|x, y| x.ends_with(y)),
            Func::Contains => strs(|x, y| x.contains(y)),
            Func::ArrayContains => match (a, b) {
                (Some(Value::Array(items)), Some(v)) => {
                    Tri::of(items.iter().any(|i| equal(i, v) == Some(true)))
                }
                _ => Tri::Undefined,
            },
        }
    }
}

/// Equality of two values: `None` when their types differ.
pub fn equal(a: &Value, b: &Value) -> Option<bool> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => Some(x.as_f64() == y.as_f64()),
        (Value::String(x), Value::String(y)) => Some(x == y),
        (Value::Bool(x), Value::Bool(y)) => Some(x == y),
        (Value::Null, Value::Null) => Some(true),
        (Value::Array(x), Value::Array(y)) => {
            Some(x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q) == Some(true)))
        }
        (Value::Object(x), Value::Object(y)) => Some(
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w) == Some(true))),
        ),
        _ => None,
    }
}

/// Applies a comparison operator; undefined when either side is missing
/// or the types cannot be ordered against each other.
pub fn compare(op: CmpOp, a: Option<&Value>, b: Option<&Value>) -> Tri {
    let (Some(a), Some(b)) = (a, b) else {
        return Tri::Undefined;
    };
    match op {
        CmpOp::Eq => equal(a, b).map_or(Tri::Undefined, Tri::of),
        CmpOp::Ne => equal(a, b).map_or(Tri::Undefined, |e| Tri::of(!e)),
        _ => {
            let ord = match (a, b) {
                (Value::Number(x), Value::Number(y)) => x.as_f64().partial_cmp(&y.as_f64()),
                (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
                (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
                _ => None,
            };
            let Some(o) = ord else { return Tri::Undefined };
            Tri::of(match op {
                CmpOp::Lt => o == Ordering::Less,
                CmpOp::Le => o != Ordering::Greater,
                CmpOp::Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn three_valued_comparisons() {
        assert_eq!(
            compare(CmpOp::Lt, Some(&json!(1)), Some(&json!(2.5))),
            Tri::True
        );
        assert_eq!(
            compare(CmpOp::Eq, Some(&json!(1)), Some(&json!(1.0))),
            Tri::True
        );
        assert_eq!(
            compare(CmpOp::Lt, Some(&json!("a")), Some(&json!(2))),
            Tri::Undefined
        );
        assert_eq!(compare(CmpOp::Ne, None, Some(&json!(2))), Tri::Undefined);
        assert_eq!(
            Func::ArrayContains.apply(&[Some(&json!([1, 2])), Some(&json!(2.0))]),
            Tri::True
        );
        assert_eq!(Func::IsPrimitive.apply(&[Some(&json!({}))]), Tri::False);
    }
}
