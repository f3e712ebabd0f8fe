//! Renders element identifiers inside messages the way the DTDL parser
//! does: auto-generated ids become "X has 'contents' value with name 'y'".

/// Renders `id` in style `n` (nominative), `p` (possessive), `e` (elective,
/// with a leading space or nothing) or `r` (relative).
pub fn render_id(id: &str, style: &str) -> String {
    let valid = crate::dtmi::Dtmi::parse(id).is_some();
    let chain = if valid { auto_chain(id) } else { None };
    match (style, chain) {
        ("n", Some((base, steps))) => format!("{base} {} which", path(&steps)),
        ("p", Some((base, steps))) => format!("{base} {} whose", path(&steps)),
        ("e", Some(_)) => String::new(),
        ("r", Some((_, steps))) => match steps.last() {
            Some((_, Some(name))) => format!(" with name '{name}'"),
            _ => String::new(),
        },
        ("n", None) => id.to_string(),
        ("p", None) => format!("{id}'s"),
        ("e" | "r", None) => {
            if id.is_empty() || id.starts_with("_:") {
                String::new()
            } else if valid && crate::dtmi::is_valid_identifier(id, 4)
                || valid && !id.contains(":_")
            {
                format!(" {id}")
            } else {
                format!(" '{id}'")
            }
        }
        _ => id.to_string(),
    }
}

type Steps<'a> = Vec<(&'a str, Option<&'a str>)>;

/// Splits an auto-generated id into its user-defined base and property steps.
fn auto_chain(id: &str) -> Option<(String, Steps<'_>)> {
    let (path, version) = crate::dtmi::split_version(id);
    let segs: Vec<&str> = path.split(':').collect();
    let first = segs
        .iter()
        .position(|s| s.starts_with('_') && !s.starts_with("__"))?;
    if first < 2 {
        return None;
    }
    let base = format!("{}{}", segs[..first].join(":"), version);
    let mut steps: Steps<'_> = Vec::new();
    for s in &segs[first..] {
        if let Some(name) = s.strip_prefix("__") {
            if let Some(last) = steps.last_mut() {
                last.1 = Some(name);
            }
        } else if let Some(p) = s.strip_prefix('_') {
            steps.push((p, None));
        } else {
            return None;
        }
    }
    Some((base, steps))
}

fn path(steps: &Steps<'_>) -> String {
    steps
        .iter()
        .map(|(p, n)| match n {
            Some(n) => format!("has '{p}' value with name '{n}'"),
            None => format!("has '{p}' value"),
        })
        .collect::<Vec<_>>()
        .join(" which ")
}

#[cfg(test)]
mod tests {
    use super::render_id;

    #[test]
    fn phrases_match_the_parser() {
        assert_eq!(render_id("dtmi:test:mySelf;1", "p"), "dtmi:test:mySelf;1's");
        assert_eq!(
            render_id(
                "dtmi:test:myGrandparent:_contents:__child:_path:__grandchild;1",
                "n"
            ),
            "dtmi:test:myGrandparent;1 has 'contents' value with name 'child' which has 'path' value with name 'grandchild' which"
        );
        assert_eq!(
            render_id("dtmi:test:myParent:_contents:__child;1", "r"),
            " with name 'child'"
        );
        assert_eq!(render_id("http://foo/bar", "e"), " 'http://foo/bar'");
        assert_eq!(render_id("_:b1", "e"), "");
        assert_eq!(
            render_id("dtmi:test:1notLegal:_foo;1", "e"),
            " 'dtmi:test:1notLegal:_foo;1'"
        );
    }
}
