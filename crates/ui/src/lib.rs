//! The web app's static assets, built from `web/` at compile time and
//! embedded, so the one binary serves the UI. Knows nothing of HTTP routing:
//! the API crate serves what [`asset`] returns.

use std::borrow::Cow;

#[derive(rust_embed::Embed)]
#[folder = "$OUT_DIR/web"]
struct Dist;

/// One file of the app.
pub struct Asset {
    /// Its bytes.
    pub bytes: Cow<'static, [u8]>,
    /// Its media type.
    pub mime: String,
    /// A strong validator (the content hash, hex).
    pub etag: String,
    /// Whether its name carries a content hash, so it may be cached forever.
    pub immutable: bool,
}

/// The file at `path` (relative to the app's root; "" is index.html).
pub fn asset(path: &str) -> Option<Asset> {
    let path = if path.is_empty() { "index.html" } else { path };
    let file = Dist::get(path)?;
    let hash = file.metadata.sha256_hash();
    Some(Asset {
        mime: file.metadata.mimetype().to_string(),
        etag: hash[..8].iter().map(|b| format!("{b:02x}")).collect(),
        immutable: path.starts_with("assets/"),
        bytes: file.data,
    })
}

/// Every file's path, for listings and checks.
pub fn paths() -> impl Iterator<Item = Cow<'static, str>> {
    Dist::iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_app_is_embedded() {
        let index = asset("").expect("index.html is embedded");
        assert!(index.mime.starts_with("text/html"), "{}", index.mime);
        let html = std::str::from_utf8(&index.bytes).unwrap();
        assert!(
            html.contains("/ui/assets/"),
            "index.html loads the bundle: {html}"
        );
        let bundle: Vec<_> = paths().filter(|p| p.ends_with(".js")).collect();
        assert!(!bundle.is_empty(), "a JavaScript bundle is embedded");
        assert!(asset("no/such/file").is_none());
    }
}
