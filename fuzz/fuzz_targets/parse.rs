//! Fuzzes `ferrotwin_dtdl::parse`: the input as one document (lossy UTF-8),
//! and, when it is a JSON array, as one document per item. The resolver hands
//! back input documents that mention the DTMIs asked for, so resolution
//! rounds, duplicate definitions and layer merges get exercised too.

#![no_main]

use ferrotwin_dtdl::{Document, Resolver, parse};
use libfuzzer_sys::fuzz_target;

/// Answers with every input text that contains one of the requested DTMIs.
struct Echo {
    texts: Vec<String>,
}

impl Resolver for Echo {
    fn resolve(&self, dtmis: &[String]) -> Vec<String> {
        self.texts
            .iter()
            .filter(|t| dtmis.iter().any(|d| t.contains(d.as_str())))
            .cloned()
            .collect()
    }
}

fn run(texts: Vec<String>) {
    let docs: Vec<Document> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| Document {
            name: format!("input[{i}]"),
            text: t.clone(),
        })
        .collect();
    let echo = Echo { texts };
    let parsed = parse(&docs, Some(&echo));
    // Rendering every diagnostic exercises the message templates as well.
    for d in &parsed.diagnostics {
        let _ = d.to_string();
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    if let Ok(serde_json::Value::Array(items)) = serde_json::from_str::<serde_json::Value>(&text) {
        run(items.iter().map(|v| v.to_string()).collect());
    }
    run(vec![text]);
});
