//! The [`HistoryStore`] trait every engine implements, and the shapes its
//! queries return.

use async_trait::async_trait;

use crate::{Bucket, HistoryError, Kind, Point, Sample, SeriesKey, TimeRange};

/// One series of a twin, as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesInfo {
    /// The series.
    pub key: SeriesKey,
    /// What it records.
    pub kind: Kind,
    /// The twin's model when the series began.
    pub model: String,
}

impl Page {
    /// The page of at most `limit` points from `points`, which are sorted
    /// and start after `skip` points at time `from`; `more` says whether
    /// points beyond these exist.
    pub(crate) fn new(mut points: Vec<Point>, limit: usize, from: i64, skip: u32) -> Page {
        let more = points.len() > limit;
        points.truncate(limit);
        let next = match (more, points.last()) {
            (true, Some(last)) => {
                let same = points.iter().filter(|p| p.time == last.time).count() as u32;
                let earlier = if last.time == from { skip } else { 0 };
                Some(Cursor {
                    time: last.time,
                    skip: same + earlier,
                })
            }
            _ => None,
        };
        Page { points, next }
    }
}

/// Where a page of raw points resumes: after `skip` points at `time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The time of the last point returned.
    pub time: i64,
    /// How many points at that time were returned already.
    pub skip: u32,
}

impl Cursor {
    /// The cursor as text, for continuation tokens.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.time, self.skip)
    }

    /// Reads a cursor made by [`Cursor::encode`].
    pub fn decode(s: &str) -> Result<Cursor, HistoryError> {
        let bad = || HistoryError::Invalid(format!("the continuation token '{s}' is not valid"));
        let (t, k) = s.split_once('.').ok_or_else(bad)?;
        Ok(Cursor {
            time: t.parse().map_err(|_| bad())?,
            skip: k.parse().map_err(|_| bad())?,
        })
    }
}

/// A page of raw points, in time order (ties in arrival order).
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The points.
    pub points: Vec<Point>,
    /// Where the next page starts, when there is more.
    pub next: Option<Cursor>,
}

/// What a retention policy applies to. The most specific policy wins:
/// twin, then model, then the default.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Every series without a more specific policy.
    Default,
    /// Series of twins of this model (as recorded when the series began).
    Model(String),
    /// Series of this twin.
    Twin(String),
}

/// Size figures of a store.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    /// Series known.
    pub series: u64,
    /// Points kept.
    pub points: u64,
    /// Bytes the store occupies on disk (blocks allocated; for PostgreSQL: its tables).
    pub disk_bytes: u64,
}

/// A time-series store for twin history. Every engine passes the same
/// test suite (`tests/conformance.rs`).
#[async_trait]
pub trait HistoryStore: Send + Sync + 'static {
    /// The engine's name, such as "embedded" or "postgres".
    fn engine(&self) -> &'static str;

    /// Keeps `samples`; resolves once they are durable.
    async fn append(&self, samples: Vec<Sample>) -> Result<(), HistoryError>;

    /// The series of a twin, sorted by name.
    async fn series(&self, twin: &str) -> Result<Vec<SeriesInfo>, HistoryError>;

    /// Points of one series in `range`, at most `limit`, from `cursor` on.
    async fn raw(
        &self,
        key: &SeriesKey,
        range: TimeRange,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> Result<Page, HistoryError>;

    /// The numeric points of one series folded into `buckets` equal
    /// buckets over `range`; empty buckets are left out.
    async fn aggregate(
        &self,
        key: &SeriesKey,
        range: TimeRange,
        buckets: u32,
    ) -> Result<Vec<Bucket>, HistoryError>;

    /// The latest point of each series (None where it has none).
    async fn latest(&self, keys: &[SeriesKey]) -> Result<Vec<Option<Point>>, HistoryError>;

    /// For every series of `twin`, its last point at or before `at`.
    async fn last_at(&self, twin: &str, at: i64) -> Result<Vec<(SeriesInfo, Point)>, HistoryError>;

    /// Sets (or, with None, removes) the maximum age of points in `scope`,
    /// in microseconds.
    async fn set_retention(&self, scope: Scope, max_age: Option<i64>) -> Result<(), HistoryError>;

    /// The retention policies, sorted by scope.
    async fn retention(&self) -> Result<Vec<(Scope, i64)>, HistoryError>;

    /// Deletes every point older than its policy allows at time `now`;
    /// returns how many points were deleted.
    async fn enforce_retention(&self, now: i64) -> Result<u64, HistoryError>;

    /// Size figures.
    async fn stats(&self) -> Result<Stats, HistoryError>;

    /// Makes everything durable and stops background work.
    async fn close(&self) -> Result<(), HistoryError>;
}

impl Scope {
    /// The scope as a stable key: `d`, `m:{model}` or `t:{twin}`.
    pub(crate) fn key(&self) -> String {
        match self {
            Scope::Default => "d".into(),
            Scope::Model(m) => format!("m:{m}"),
            Scope::Twin(t) => format!("t:{t}"),
        }
    }

    /// Reads a key made by [`Scope::key`].
    pub(crate) fn from_key(k: &str) -> Option<Scope> {
        match k.split_once(':') {
            None if k == "d" => Some(Scope::Default),
            Some(("m", m)) => Some(Scope::Model(m.into())),
            Some(("t", t)) => Some(Scope::Twin(t.into())),
            _ => None,
        }
    }
}

/// The policy that applies to a series: twin, then model, then default.
pub(crate) fn policy_for(policies: &[(Scope, i64)], twin: &str, model: &str) -> Option<i64> {
    let find = |s: &Scope| policies.iter().find(|(p, _)| p == s).map(|(_, a)| *a);
    find(&Scope::Twin(twin.to_string()))
        .or_else(|| find(&Scope::Model(model.to_string())))
        .or_else(|| find(&Scope::Default))
}

/// A time as RFC 3339 with microseconds, for messages and the API.
pub fn format_time(t: i64) -> String {
    chrono::DateTime::from_timestamp_micros(t)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_else(|| format!("{t}µs"))
}
