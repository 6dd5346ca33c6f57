//! TOML and serde errors turned into messages a person can act on: the dotted key
//! (`feeds[1].json.itemz`), type names in words, and "did you mean" for near-miss keys.

/// Turns a TOML/serde message into one a person can act on: the dotted key it is about
/// (`feeds[1].json.itemz`), Rust type names in words, and for an unknown key the nearest valid
/// one.
pub(super) fn explain_toml_error(
    message: &str,
    span: Option<std::ops::Range<usize>>,
    source: &str,
) -> (String, String) {
    let message = message.trim().replace('\n', " ");
    // Up to the end of the error's line, so a table header at the error itself counts.
    let table = span
        .as_ref()
        .map(|s| {
            let end = source
                .get(s.start..)
                .and_then(|r| r.find('\n'))
                .map_or(source.len(), |i| s.start + i);
            table_path(source, end)
        })
        .unwrap_or_default();
    let dotted = |k: &str| {
        if table.is_empty() {
            k.to_string()
        } else {
            format!("{table}.{k}")
        }
    };
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((field, expected)) = rest.split_once('`')
    {
        let valid: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        let nearest = valid
            .iter()
            .map(|v| (strsim::jaro_winkler(field, v), *v))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let text = match nearest {
            Some((_, v)) => format!(
                "unknown field `{field}`; did you mean `{v}`? (valid: {})",
                valid.join(", ")
            ),
            None => format!("unknown field `{field}`; valid: {}", valid.join(", ")),
        };
        return (dotted(field), text);
    }
    if let Some(rest) = message.strip_prefix("missing field `")
        && let Some((field, _)) = rest.split_once('`')
    {
        return (
            dotted(field),
            format!("required field `{field}` is missing from this table"),
        );
    }
    // The key is whatever stands before '=' on the line of the error.
    let key = span
        .and_then(|s| {
            let line_start = source.get(..s.start)?.rfind('\n').map_or(0, |i| i + 1);
            let line = source.get(line_start..)?.lines().next()?;
            let (k, _) = line.split_once('=')?;
            let k = k.trim();
            (!k.is_empty() && !k.starts_with('[')).then(|| dotted(k))
        })
        .unwrap_or_default();
    let words = message
        .replace("expected i64", "expected a whole number")
        .replace("expected u64", "expected a whole number")
        .replace("expected f64", "expected a number")
        .replace("expected a string", "expected a string (in quotes)")
        .replace("expected a boolean", "expected true or false");
    (key, words)
}

/// The table a byte offset lies in, as a dotted path with array indexes (`feeds[1].json`),
/// from the nearest `[table]` or `[[array]]` header above it.
fn table_path(source: &str, offset: usize) -> String {
    let before = source.get(..offset.min(source.len())).unwrap_or(source);
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut current = String::new();
    for line in before.lines() {
        let t = line.trim();
        if let Some(name) = t.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
            let name = name.trim().to_string();
            let n = counts.entry(name.clone()).or_insert(0);
            current = format!("{name}[{n}]");
            *n += 1;
        } else if let Some(name) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
            let name = name.trim();
            // A sub-table of the latest array entry: `[feeds.json]` after `[[feeds]]`.
            current = match name.split_once('.') {
                Some((parent, rest)) if counts.contains_key(parent) => {
                    format!("{parent}[{}].{rest}", counts[parent].saturating_sub(1))
                }
                _ => name.to_string(),
            };
        }
    }
    current
}
