//! An annotation: what someone pinned to a twin for everyone to see.

use serde::{Deserialize, Serialize};

use crate::CollabError;

/// The longest text.
pub const MAX_TEXT: usize = 2000;
/// The farthest a point may lie from its machine's origin, in metres.
const MAX_COORD: f64 = 1000.0;

/// What an annotation shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AnnotationKind {
    /// A note on the twin, with no place in 3D.
    Text,
    /// A pin at a point (on a part).
    Point,
    /// An arrow at a point, pointing along a direction.
    Arrow,
}

/// An annotation as a client submits it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAnnotation {
    /// Its kind.
    pub kind: AnnotationKind,
    /// Its text.
    #[serde(default)]
    pub text: String,
    /// The part it is on (a node name of the machine's 3D model).
    #[serde(default)]
    pub part: Option<String>,
    /// Where, in the machine's own coordinates (metres).
    #[serde(default)]
    pub position: Option<[f64; 3]>,
    /// Which way an arrow points.
    #[serde(default)]
    pub direction: Option<[f64; 3]>,
    /// A CSS colour such as #ff8800.
    #[serde(default)]
    pub color: Option<String>,
}

/// A stored annotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotation {
    /// Its id.
    pub id: String,
    /// The twin it is pinned to.
    pub twin: String,
    /// Its kind.
    pub kind: AnnotationKind,
    /// Its text.
    pub text: String,
    /// The part it is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// Where, in the machine's own coordinates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<[f64; 3]>,
    /// Which way an arrow points (unit length).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<[f64; 3]>,
    /// Its colour.
    pub color: String,
    /// Who pinned it (the token's name).
    pub author: String,
    /// When (RFC 3339).
    pub created_at: String,
}

fn check_point(what: &str, p: &[f64; 3]) -> Result<(), CollabError> {
    if p.iter().all(|v| v.is_finite() && v.abs() <= MAX_COORD) {
        Ok(())
    } else {
        Err(CollabError::Invalid(format!(
            "{what} must be three finite numbers within ±{MAX_COORD} m, not {p:?}"
        )))
    }
}

/// Whether `c` is a colour we can hand to a browser safely: #rgb or #rrggbb.
pub(crate) fn valid_color(c: &str) -> bool {
    let hex = c.strip_prefix('#').unwrap_or("");
    (hex.len() == 3 || hex.len() == 6) && hex.chars().all(|ch| ch.is_ascii_hexdigit())
}

impl NewAnnotation {
    /// Checks it and makes the stored annotation.
    pub fn into_annotation(self, twin: &str, author: &str) -> Result<Annotation, CollabError> {
        let text = self.text.trim().to_string();
        if text.chars().count() > MAX_TEXT {
            return Err(CollabError::Invalid(format!(
                "text is {} characters; at most {MAX_TEXT} are kept",
                text.chars().count()
            )));
        }
        match self.kind {
            AnnotationKind::Text if text.is_empty() => {
                return Err(CollabError::Invalid("a text annotation needs text".into()));
            }
            AnnotationKind::Point | AnnotationKind::Arrow if self.position.is_none() => {
                return Err(CollabError::Invalid(
                    format!(
                        "a {:?} annotation needs a position [x, y, z] in the machine's coordinates",
                        self.kind
                    )
                    .to_lowercase(),
                ));
            }
            _ => {}
        }
        if let Some(p) = &self.position {
            check_point("position", p)?;
        }
        let direction = match (self.kind, self.direction) {
            (AnnotationKind::Arrow, None) => {
                return Err(CollabError::Invalid(
                    "an arrow annotation needs a direction [x, y, z]".into(),
                ));
            }
            (_, Some(d)) => {
                check_point("direction", &d)?;
                let len = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
                if len < 1e-9 {
                    return Err(CollabError::Invalid(
                        "direction must not be the zero vector".into(),
                    ));
                }
                Some([d[0] / len, d[1] / len, d[2] / len])
            }
            (_, None) => None,
        };
        if let Some(p) = &self.part
            && (p.is_empty() || p.len() > 128)
        {
            return Err(CollabError::Invalid(
                "part must be a part name of 1 to 128 characters".into(),
            ));
        }
        let color = match self.color {
            Some(c) if valid_color(&c) => c,
            Some(c) => {
                return Err(CollabError::Invalid(format!(
                    "color must be #rgb or #rrggbb, not '{c}'"
                )));
            }
            None => "#ffb000".into(),
        };
        let now = chrono::Utc::now();
        // Ids sort by creation time, so a twin's range read is in order.
        let id = format!(
            "{:016x}-{}",
            now.timestamp_nanos_opt().unwrap_or_default(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        Ok(Annotation {
            id,
            twin: twin.to_string(),
            kind: self.kind,
            text,
            part: self.part,
            position: self.position,
            direction,
            color,
            author: author.to_string(),
            created_at: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: serde_json::Value) -> Result<Annotation, CollabError> {
        serde_json::from_value::<NewAnnotation>(v)
            .map_err(|e| CollabError::Invalid(e.to_string()))?
            .into_annotation("pump-1", "ana")
    }

    #[test]
    fn checks_what_each_kind_needs() {
        let cases = [
            (
                serde_json::json!({"kind": "text", "text": "check the seal"}),
                None,
            ),
            (
                serde_json::json!({"kind": "text", "text": "  "}),
                Some("needs text"),
            ),
            (
                serde_json::json!({"kind": "point"}),
                Some("needs a position"),
            ),
            (
                serde_json::json!({"kind": "arrow", "position": [0, 1, 0]}),
                Some("needs a direction"),
            ),
            (
                serde_json::json!({"kind": "arrow", "position": [0, 1, 0], "direction": [0, 0, 0]}),
                Some("zero vector"),
            ),
            (
                serde_json::json!({"kind": "point", "position": [0, 1e9, 0]}),
                Some("within"),
            ),
            (
                serde_json::json!({"kind": "point", "position": [0, 1, 0], "color": "red;x"}),
                Some("#rgb"),
            ),
            (
                serde_json::json!({"kind": "circle"}),
                Some("unknown variant"),
            ),
            (
                serde_json::json!({"kind": "text", "text": "x", "extra": 1}),
                Some("unknown field"),
            ),
        ];
        for (input, want) in cases {
            match (parse(input.clone()), want) {
                (Ok(_), None) => {}
                (Err(e), Some(w)) => assert!(e.to_string().contains(w), "{input}: {e}"),
                (got, want) => panic!("{input}: got {got:?}, wanted error {want:?}"),
            }
        }
    }

    #[test]
    fn arrows_keep_a_unit_direction() {
        let a = parse(serde_json::json!({"kind": "arrow", "position": [0.1, 0.2, 0.3], "direction": [0, 3, 4], "part": "bearing_de"}))
            .unwrap();
        assert_eq!(a.direction, Some([0.0, 0.6, 0.8]));
        assert_eq!(a.author, "ana");
        assert_eq!(a.part.as_deref(), Some("bearing_de"));
    }
}
