//! The in-memory catalog of series: identity, head points, what is being
//! flushed, and the bookkeeping that ties the write-ahead log to chunks.
//! Also the key and value layouts of the fjall keyspaces.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use super::head::{self, HeadPoint};
use crate::{Kind, Scope, SeriesInfo, SeriesKey};

/// One series in memory.
pub(crate) struct Series {
    pub(crate) id: u32,
    pub(crate) key: SeriesKey,
    pub(crate) kind: Kind,
    pub(crate) model: String,
    /// Points not yet in a chunk, in time order once [`Series::settle`]
    /// has run (appends end with it, under the same lock).
    pub(crate) head: Vec<HeadPoint>,
    /// Where the first point earlier than its predecessor was appended:
    /// the head is in time order before it.
    pub(crate) unsorted_from: Option<usize>,
    /// The lowest and highest write-ahead seq of the head's points.
    pub(crate) head_seqs: Option<(u64, u64)>,
    /// When the head got its first point.
    pub(crate) head_since: Option<Instant>,
    /// Points being written to a chunk right now, and their lowest seq.
    pub(crate) flushing: Option<(Arc<Vec<HeadPoint>>, u64)>,
    /// Every point with a seq at or below this is in a chunk.
    pub(crate) flushed_seq: u64,
    /// The longest time any chunk of this series spans.
    pub(crate) max_span: i64,
    /// Points in chunks.
    pub(crate) stored: u64,
    /// The latest point; None until looked up after a restart.
    pub(crate) latest: Option<Option<HeadPoint>>,
}

impl Series {
    pub(crate) fn new(id: u32, key: SeriesKey, kind: Kind, model: String) -> Series {
        Series {
            id,
            key,
            kind,
            model,
            head: Vec::new(),
            unsorted_from: None,
            head_seqs: None,
            head_since: None,
            flushing: None,
            flushed_seq: 0,
            max_span: 0,
            stored: 0,
            latest: None,
        }
    }

    pub(crate) fn info(&self) -> SeriesInfo {
        SeriesInfo {
            key: self.key.clone(),
            kind: self.kind,
            model: self.model.clone(),
        }
    }

    /// Adds a point written under `seq` to the end of the head; returns
    /// true when it is earlier than the head's last point, so that the
    /// head needs [`Series::settle`] before anyone reads it.
    pub(crate) fn push(&mut self, p: HeadPoint, seq: u64) -> bool {
        match &self.latest {
            Some(Some(l)) if p.time < l.time => {}
            Some(_) => self.latest = Some(Some(p.clone())),
            None => {}
        }
        self.head_seqs = Some(match self.head_seqs {
            None => (seq, seq),
            Some((lo, hi)) => (lo.min(seq), hi.max(seq)),
        });
        self.head_since.get_or_insert_with(Instant::now);
        let late =
            self.unsorted_from.is_none() && self.head.last().is_some_and(|l| p.time < l.time);
        if late {
            self.unsorted_from = Some(self.head.len());
        }
        self.head.push(p);
        late
    }

    /// Restores the head's time order after late points.
    pub(crate) fn settle(&mut self) {
        if let Some(from) = self.unsorted_from.take() {
            head::merge_tail(&mut self.head, from);
        }
    }

    /// The lowest seq this series still needs from the write-ahead log.
    pub(crate) fn needs_from(&self) -> Option<u64> {
        let a = self.head_seqs.map(|s| s.0);
        let b = self.flushing.as_ref().map(|f| f.1);
        match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Series ids by key, behind their own lock so that writers resolve them
/// in parallel. A series is added to [`State`] first, then here, both under
/// the state lock: an id found here is in the state.
pub(crate) type Ids = HashMap<SeriesKey, u32, foldhash::fast::RandomState>;

/// Everything behind the engine's lock.
#[derive(Default)]
pub(crate) struct State {
    pub(crate) by_twin: BTreeMap<String, Vec<u32>>,
    pub(crate) series: Vec<Option<Series>>,
    pub(crate) seq: u64,
    pub(crate) head_points: usize,
    pub(crate) policies: Vec<(Scope, i64)>,
}

impl State {
    /// Adds a series under `id`.
    pub(crate) fn insert(&mut self, s: Series) {
        let id = s.id as usize;
        if self.series.len() <= id {
            self.series.resize_with(id + 1, || None);
        }
        let twin = self.by_twin.entry(s.key.twin.clone()).or_default();
        twin.push(s.id);
        self.series[id] = Some(s);
    }

    pub(crate) fn get(&self, id: u32) -> Option<&Series> {
        self.series.get(id as usize).and_then(Option::as_ref)
    }

    pub(crate) fn get_mut(&mut self, id: u32) -> Option<&mut Series> {
        self.series.get_mut(id as usize).and_then(Option::as_mut)
    }

    pub(crate) fn next_id(&self) -> u32 {
        self.series.len() as u32
    }

    /// The seq below which the write-ahead log is no longer needed.
    pub(crate) fn checkpoint(&self) -> u64 {
        self.series
            .iter()
            .flatten()
            .filter_map(Series::needs_from)
            .min()
            .unwrap_or(self.seq + 1)
    }
}

/// The meta keyspace key of a series.
pub(crate) fn meta_key(key: &SeriesKey) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.twin.len() + key.name.len() + 1);
    k.extend_from_slice(key.twin.as_bytes());
    k.push(0);
    k.extend_from_slice(key.name.as_bytes());
    k
}

/// The meta keyspace value of a series, with the bookkeeping it will
/// have once the batch carrying this value commits.
pub(crate) fn meta_value(s: &Series, flushed_seq: u64, max_span: i64, stored: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(29 + s.model.len());
    v.extend_from_slice(&s.id.to_le_bytes());
    v.push(s.kind.code());
    v.extend_from_slice(&flushed_seq.to_le_bytes());
    v.extend_from_slice(&max_span.to_le_bytes());
    v.extend_from_slice(&stored.to_le_bytes());
    v.extend_from_slice(s.model.as_bytes());
    v
}

/// Reads a meta entry back into a series.
pub(crate) fn meta_decode(k: &[u8], v: &[u8]) -> Result<Series, String> {
    let bad = || "a history series record is damaged".to_string();
    let zero = k.iter().position(|b| *b == 0).ok_or_else(bad)?;
    let twin = std::str::from_utf8(&k[..zero]).map_err(|_| bad())?;
    let name = std::str::from_utf8(&k[zero + 1..]).map_err(|_| bad())?;
    if v.len() < 29 {
        return Err(bad());
    }
    let id = u32::from_le_bytes(v[0..4].try_into().expect("4"));
    let kind = Kind::from_code(v[4]).ok_or_else(bad)?;
    let model = std::str::from_utf8(&v[29..]).map_err(|_| bad())?;
    let mut s = Series::new(id, SeriesKey::new(twin, name), kind, model.to_string());
    s.flushed_seq = u64::from_le_bytes(v[5..13].try_into().expect("8"));
    s.max_span = i64::from_le_bytes(v[13..21].try_into().expect("8"));
    s.stored = u64::from_le_bytes(v[21..29].try_into().expect("8"));
    Ok(s)
}

/// Orders signed times correctly as big-endian bytes.
fn flip(t: i64) -> [u8; 8] {
    ((t as u64) ^ (1 << 63)).to_be_bytes()
}

/// The chunk keyspace key: series id, start time, flush seq.
pub(crate) fn chunk_key(id: u32, start: i64, seq: u64) -> [u8; 20] {
    let mut k = [0u8; 20];
    k[0..4].copy_from_slice(&id.to_be_bytes());
    k[4..12].copy_from_slice(&flip(start));
    k[12..20].copy_from_slice(&seq.to_be_bytes());
    k
}

/// The flush seq in a chunk key.
pub(crate) fn chunk_key_seq(k: &[u8]) -> u64 {
    k.get(12..20)
        .and_then(|s| s.try_into().ok())
        .map_or(u64::MAX, u64::from_be_bytes)
}
