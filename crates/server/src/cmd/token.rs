//! `ferrotwin token create|list|revoke`: works while the server runs.

use ferrotwin_auth::TokenStore;

use crate::cli::{DataArg, TokenCreate, TokenRevoke};

/// Parses lifetimes such as `30d`, `12h`, `15m`, `45s`.
fn parse_ttl(s: &str) -> Result<chrono::Duration, String> {
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a lifetime such as 30d, 12h, 15m or 45s"))?;
    match unit {
        "d" => Ok(chrono::Duration::days(n)),
        "h" => Ok(chrono::Duration::hours(n)),
        "m" => Ok(chrono::Duration::minutes(n)),
        "s" => Ok(chrono::Duration::seconds(n)),
        _ => Err(format!("'{s}' has no unit: use d, h, m or s")),
    }
}

/// `token create`
pub fn create(a: TokenCreate) -> i32 {
    let ttl = match a.expires_in.as_deref().map(parse_ttl).transpose() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let store = TokenStore::open(&a.data.data, None);
    match store.create(a.role, &a.name, ttl) {
        Ok((token, info)) => {
            eprintln!(
                "created {} token {} (expires: {}); it is shown only once:",
                info.role,
                info.id,
                info.expires.as_deref().unwrap_or("never")
            );
            println!("{token}");
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// `token list`
pub fn list(a: DataArg) -> i32 {
    match TokenStore::open(&a.data, None).list() {
        Ok(tokens) => {
            println!(
                "{:<14} {:<7} {:<26} {:<26} name",
                "id", "role", "created", "expires"
            );
            for t in tokens {
                println!(
                    "{:<14} {:<7} {:<26} {:<26} {}",
                    t.id,
                    t.role,
                    &t.created[..t.created.len().min(25)],
                    t.expires.as_deref().unwrap_or("never"),
                    t.name
                );
            }
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// `token revoke`
pub fn revoke(a: TokenRevoke) -> i32 {
    match TokenStore::open(&a.data.data, None).revoke(&a.id) {
        Ok(true) => {
            eprintln!("revoked token {}", a.id);
            0
        }
        Ok(false) => {
            eprintln!("error: no token with id {}", a.id);
            1
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_ttl;

    #[test]
    fn lifetimes() {
        assert_eq!(parse_ttl("30d").unwrap(), chrono::Duration::days(30));
        assert_eq!(parse_ttl("15m").unwrap(), chrono::Duration::minutes(15));
        assert!(parse_ttl("15").is_err());
        assert!(parse_ttl("x").is_err());
    }
}
