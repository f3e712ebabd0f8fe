//! The Azure Digital Twins query language over ferrotwin's twin graph.
//!
//! A query is lexed ([`lexer`]), parsed by recursive descent into a syntax
//! tree ([`ast`], [`parser`]), planned against the graph's indexes
//! ([`plan`]: the `$dtId` index, the model index with inheritance, and
//! adjacency in both directions), and executed page by page ([`exec`]).
//! Queries run under the graph's read lock on the live in-memory state,
//! so they see every write that has been acknowledged (read-your-writes).
//!
//! Knows nothing of HTTP: the edge maps [`QueryError`] to ADT's codes and
//! wraps [`Cursor`] into its continuation token.

pub mod ast;
mod error;
pub mod exec;
pub mod functions;
pub mod lexer;
pub mod parser;
pub mod plan;
pub mod ranges;

use ferrotwin_graph::GraphView;

pub use error::{Pos, QueryError};
pub use exec::{Cursor, Page};
pub use parser::parse;
pub use plan::Plan;

/// Options of one query call.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// The most rows to return.
    pub page_size: usize,
    /// Return the plan instead of running the query.
    pub explain: bool,
    /// Give up with [`QueryError::Timeout`] after this long.
    pub time_limit: Option<std::time::Duration>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            page_size: usize::MAX,
            explain: false,
            time_limit: None,
        }
    }
}

/// Parses, plans and runs `text`, returning one page from `cursor` on.
pub fn run(
    view: &GraphView<'_>,
    text: &str,
    cursor: Option<Cursor>,
    options: RunOptions,
) -> Result<Page, QueryError> {
    let query = parse(text)?;
    let mut plan = plan::plan(&query, view)?;
    plan.explain |= options.explain;
    exec::execute(
        view,
        &plan,
        cursor,
        options.page_size.max(1),
        options.time_limit,
    )
}
