//! Key-ordered paging. A page ends at a key; the next page starts after
//! it, so paging stays correct while other writes happen.

/// Which page to return.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    /// Return items whose key sorts after this one.
    pub after: Option<String>,
    /// At most this many items.
    pub size: usize,
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// The key to continue after, when more items follow.
    pub next: Option<String>,
}

impl PageRequest {
    /// Takes one page from `items`, which must be sorted by `key`.
    pub fn take<T, I, K>(&self, items: I, key: K) -> Page<T>
    where
        I: IntoIterator<Item = T>,
        K: Fn(&T) -> String,
    {
        let size = self.size.max(1);
        let mut out = Vec::new();
        let mut next = None;
        for item in items {
            if let Some(after) = &self.after {
                if key(&item).as_str() <= after.as_str() {
                    continue;
                }
            }
            if out.len() == size {
                next = out.last().map(&key);
                break;
            }
            out.push(item);
        }
        Page { items: out, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_everything_once() {
        let items: Vec<String> = (0..25).map(|i| format!("k{i:02}")).collect();
        let mut req = PageRequest {
            after: None,
            size: 10,
        };
        let mut seen = vec![];
        loop {
            let p = req.take(items.iter().cloned(), |s| s.clone());
            seen.extend(p.items);
            match p.next {
                Some(n) => req.after = Some(n),
                None => break,
            }
        }
        assert_eq!(seen, items);
    }
}
