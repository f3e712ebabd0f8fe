//! Folding points into equal time buckets, for charts: N pixels wide means
//! N buckets. Only numeric points count (booleans as 0 and 1).

use crate::{HistoryError, TimeRange};

/// Buckets in one request at most.
pub const MAX_BUCKETS: u32 = 100_000;

/// One bucket's aggregates over the numeric points in
/// `[start, start + width)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    /// The bucket's first instant (µs).
    pub start: i64,
    /// Numeric points in the bucket.
    pub count: u64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
    /// The mean.
    pub avg: f64,
    /// The value of the earliest point.
    pub first: f64,
    /// The value of the latest point.
    pub last: f64,
    /// The population standard deviation.
    pub stddev: f64,
}

/// The width of each of `buckets` buckets covering `range` (rounded up, so
/// the buckets cover the whole range).
pub fn bucket_width(range: TimeRange, buckets: u32) -> Result<i64, HistoryError> {
    if buckets == 0 || buckets > MAX_BUCKETS {
        return Err(HistoryError::Invalid(format!(
            "buckets must be between 1 and {MAX_BUCKETS}, got {buckets}"
        )));
    }
    let span = range.to - range.from;
    Ok((span + i64::from(buckets) - 1) / i64::from(buckets))
}

#[derive(Clone, Copy)]
struct Acc {
    count: u64,
    min: f64,
    max: f64,
    mean: f64,
    m2: f64,
    first: (i64, f64),
    last: (i64, f64),
}

/// Accumulates points into buckets.
pub(crate) struct Folder {
    from: i64,
    to: i64,
    width: i64,
    accs: Vec<Option<Acc>>,
}

impl Folder {
    pub(crate) fn new(range: TimeRange, buckets: u32) -> Result<Folder, HistoryError> {
        let width = bucket_width(range, buckets)?;
        Ok(Folder {
            from: range.from,
            to: range.to,
            width,
            accs: vec![None; buckets as usize],
        })
    }

    /// Adds a value at time `t`; ignored outside the range.
    pub(crate) fn add(&mut self, t: i64, v: f64) {
        if t < self.from || t >= self.to || !v.is_finite() {
            return;
        }
        let i = ((t - self.from) / self.width) as usize;
        let Some(slot) = self.accs.get_mut(i) else {
            return;
        };
        match slot {
            None => {
                *slot = Some(Acc {
                    count: 1,
                    min: v,
                    max: v,
                    mean: v,
                    m2: 0.0,
                    first: (t, v),
                    last: (t, v),
                })
            }
            Some(a) => {
                a.count += 1;
                a.min = a.min.min(v);
                a.max = a.max.max(v);
                let d = v - a.mean;
                a.mean += d / a.count as f64;
                a.m2 += d * (v - a.mean);
                if t < a.first.0 {
                    a.first = (t, v);
                }
                if t >= a.last.0 {
                    a.last = (t, v);
                }
            }
        }
    }

    pub(crate) fn finish(self) -> Vec<Bucket> {
        let (from, width) = (self.from, self.width);
        self.accs
            .into_iter()
            .enumerate()
            .filter_map(|(i, a)| {
                let a = a?;
                Some(Bucket {
                    start: from + i as i64 * width,
                    count: a.count,
                    min: a.min,
                    max: a.max,
                    avg: a.mean,
                    first: a.first.1,
                    last: a.last.1,
                    stddev: (a.m2 / a.count as f64).sqrt(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_the_range_and_skip_empty_ones() {
        let r = TimeRange::new(0, 100).unwrap();
        let mut f = Folder::new(r, 3).unwrap();
        for (t, v) in [(0, 1.0), (10, 3.0), (99, 7.0), (100, 50.0), (-1, 50.0)] {
            f.add(t, v);
        }
        let b = f.finish();
        assert_eq!(b.len(), 2);
        assert_eq!(
            (b[0].start, b[0].count, b[0].avg, b[0].stddev),
            (0, 2, 2.0, 1.0)
        );
        assert_eq!((b[0].first, b[0].last), (1.0, 3.0));
        assert_eq!((b[1].start, b[1].min, b[1].max), (68, 7.0, 7.0));
    }

    #[test]
    fn bucket_count_is_bounded() {
        let r = TimeRange::new(0, 100).unwrap();
        assert!(bucket_width(r, 0).is_err());
        assert!(bucket_width(r, MAX_BUCKETS + 1).is_err());
    }
}
