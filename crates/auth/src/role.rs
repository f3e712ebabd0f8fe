//! Roles, ordered by what they may do: each includes the ones below it.

use std::fmt;
use std::str::FromStr;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Read twins, relationships, models, routes and jobs; run queries.
    Reader,
    /// Reader, plus write twins, relationships and telemetry.
    Writer,
    /// Writer, plus manage models, event routes, jobs and tokens.
    Admin,
}

impl Role {
    /// The role's name as used in the CLI and the token file.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Writer => "writer",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        match s {
            "reader" => Ok(Role::Reader),
            "writer" => Ok(Role::Writer),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role '{other}': use reader, writer or admin"
            )),
        }
    }
}
