//! The query crate's one error type. A syntax or semantic error carries
//! the 1-based line and column it was found at, so the HTTP edge can say
//! where the query went wrong; an unusable cursor is told apart because
//! ADT answers it with a different code.

/// Why a query could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    /// The text is not a query: what was expected and what was found.
    #[error("syntax error at line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: u32,
        /// 1-based column, in characters.
        column: u32,
        /// What was expected and what was found.
        message: String,
    },
    /// The query parses but cannot mean anything (unknown collection,
    /// wrong function arguments, `SELECT *` with `JOIN`, ...).
    #[error("invalid query at line {line}, column {column}: {message}")]
    Semantic {
        /// 1-based line.
        line: u32,
        /// 1-based column, in characters.
        column: u32,
        /// What is wrong.
        message: String,
    },
    /// The query ran past its time limit.
    #[error(
        "the query ran longer than {0:?}; narrow it with $dtId, IS_OF_MODEL or a JOIN from a known twin"
    )]
    Timeout(std::time::Duration),
    /// A continuation cursor that this query could not have produced.
    #[error("the continuation token is invalid: {0}")]
    BadCursor(String),
}

/// A position in the query text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl Pos {
    /// A syntax error here.
    pub fn syntax(self, message: impl Into<String>) -> QueryError {
        QueryError::Syntax {
            line: self.line,
            column: self.column,
            message: message.into(),
        }
    }

    /// A semantic error here.
    pub fn semantic(self, message: impl Into<String>) -> QueryError {
        QueryError::Semantic {
            line: self.line,
            column: self.column,
            message: message.into(),
        }
    }
}
