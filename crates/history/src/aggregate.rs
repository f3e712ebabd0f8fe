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

/// Aggregates of some numeric points that can be merged without the
/// points: each chunk keeps one, so a bucket that covers a whole chunk
/// need not decode it. Mean and `m2` (the sum of squared differences from
/// the mean) instead of sums keep the variance stable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Summary {
    pub(crate) count: u64,
    pub(crate) min: f64,
    pub(crate) max: f64,
    pub(crate) mean: f64,
    pub(crate) m2: f64,
    /// The earliest point (the first added among equal times).
    pub(crate) first: (i64, f64),
    /// The latest point (the last added among equal times).
    pub(crate) last: (i64, f64),
}

impl Summary {
    /// No points.
    pub(crate) const EMPTY: Summary = Summary {
        count: 0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
        mean: 0.0,
        m2: 0.0,
        first: (i64::MAX, 0.0),
        last: (i64::MIN, 0.0),
    };

    /// Adds a value at time `t`; values that are not finite do not count.
    pub(crate) fn add(&mut self, t: i64, v: f64) {
        if !v.is_finite() {
            return;
        }
        if self.count == 0 {
            *self = Summary {
                count: 1,
                min: v,
                max: v,
                mean: v,
                m2: 0.0,
                first: (t, v),
                last: (t, v),
            };
            return;
        }
        self.count += 1;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        let d = v - self.mean;
        self.mean += d / self.count as f64;
        self.m2 += d * (v - self.mean);
        if t < self.first.0 {
            self.first = (t, v);
        }
        if t >= self.last.0 {
            self.last = (t, v);
        }
    }

    /// The summary of values at sorted times, in two passes of four
    /// lanes each: a division per run, not per point, and no chain of
    /// dependent additions. Chunks summarise themselves this way too, so a
    /// chunk's summary equals the fold of its decoded points.
    pub(crate) fn of_sorted(times: &[i64], values: &[f64]) -> Summary {
        if !values.iter().all(|v| v.is_finite()) {
            let (t, v): (Vec<i64>, Vec<f64>) = times
                .iter()
                .zip(values)
                .filter(|(_, v)| v.is_finite())
                .unzip();
            return Summary::of_sorted(&t, &v);
        }
        let (Some(first), Some(last)) = (values.first(), values.last()) else {
            return Summary::EMPTY;
        };
        let (mut sum, mut min, mut max) = ([0.0; 4], [*first; 4], [*first; 4]);
        let mut lanes = values.chunks_exact(4);
        for c in &mut lanes {
            for k in 0..4 {
                sum[k] += c[k];
                min[k] = if c[k] < min[k] { c[k] } else { min[k] };
                max[k] = if c[k] > max[k] { c[k] } else { max[k] };
            }
        }
        for v in lanes.remainder() {
            sum[0] += v;
            min[0] = min[0].min(*v);
            max[0] = max[0].max(*v);
        }
        let count = values.len() as u64;
        let mean = ((sum[0] + sum[1]) + (sum[2] + sum[3])) / count as f64;
        let mut m2 = [0.0; 4];
        let mut lanes = values.chunks_exact(4);
        for c in &mut lanes {
            for k in 0..4 {
                m2[k] += (c[k] - mean) * (c[k] - mean);
            }
        }
        for v in lanes.remainder() {
            m2[0] += (v - mean) * (v - mean);
        }
        Summary {
            count,
            min: min.into_iter().fold(f64::INFINITY, f64::min),
            max: max.into_iter().fold(f64::NEG_INFINITY, f64::max),
            mean,
            m2: (m2[0] + m2[1]) + (m2[2] + m2[3]),
            first: (times[0], *first),
            last: (times[times.len() - 1], *last),
        }
    }

    /// Folds in `o`'s points as if they were added after these (Chan et
    /// al.'s pairwise update): count, min, max, first and last come out as
    /// adding them one by one would; mean and `m2` differ only by rounding.
    pub(crate) fn merge(&mut self, o: &Summary) {
        if o.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *o;
            return;
        }
        let (na, nb) = (self.count as f64, o.count as f64);
        let n = na + nb;
        let d = o.mean - self.mean;
        self.count += o.count;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
        self.mean += d * nb / n;
        self.m2 += o.m2 + d * d * na * nb / n;
        if o.first.0 < self.first.0 {
            self.first = o.first;
        }
        if o.last.0 >= self.last.0 {
            self.last = o.last;
        }
    }
}

/// Accumulates points into buckets.
pub(crate) struct Folder {
    from: i64,
    to: i64,
    width: i64,
    accs: Vec<Summary>,
}

impl Folder {
    pub(crate) fn new(range: TimeRange, buckets: u32) -> Result<Folder, HistoryError> {
        let width = bucket_width(range, buckets)?;
        Ok(Folder {
            from: range.from,
            to: range.to,
            width,
            accs: vec![Summary::EMPTY; buckets as usize],
        })
    }

    fn slot(&mut self, t: i64) -> Option<&mut Summary> {
        if t < self.from || t >= self.to {
            return None;
        }
        self.accs.get_mut(((t - self.from) / self.width) as usize)
    }

    /// Adds a value at time `t`; ignored outside the range.
    pub(crate) fn add(&mut self, t: i64, v: f64) {
        if let Some(slot) = self.slot(t) {
            slot.add(t, v);
        }
    }

    /// Adds values at `times`; when the times are sorted (as in a chunk),
    /// each bucket's run of them is summarised and merged at once.
    pub(crate) fn add_sorted(&mut self, times: &[i64], values: &[f64]) {
        if !times.is_sorted() || times.len() != values.len() {
            for (t, v) in times.iter().zip(values) {
                self.add(*t, *v);
            }
            return;
        }
        let mut i = times.partition_point(|t| *t < self.from);
        let end = times.partition_point(|t| *t < self.to);
        while i < end {
            let b = (times[i] - self.from) / self.width;
            let bucket_end = self.from.saturating_add((b + 1).saturating_mul(self.width));
            let j = i + times[i..end].partition_point(|t| *t < bucket_end);
            let run = Summary::of_sorted(&times[i..j], &values[i..j]);
            if let Some(slot) = self.accs.get_mut(b as usize) {
                slot.merge(&run);
            }
            i = j;
        }
    }

    /// Folds in the summary of points timed from `start` to `end`
    /// (inclusive) when they all fall into one bucket of the range; false
    /// when they do not, and must be added one by one.
    pub(crate) fn add_summary(&mut self, start: i64, end: i64, s: &Summary) -> bool {
        if start < self.from || end >= self.to || start > end {
            return false;
        }
        let (from, width) = (self.from, self.width);
        if (start - from) / width != (end - from) / width {
            return false;
        }
        match self.slot(start) {
            Some(slot) => {
                slot.merge(s);
                true
            }
            None => false,
        }
    }

    pub(crate) fn finish(self) -> Vec<Bucket> {
        let (from, width) = (self.from, self.width);
        self.accs
            .into_iter()
            .enumerate()
            .filter(|(_, a)| a.count > 0)
            .map(|(i, a)| Bucket {
                start: from + i as i64 * width,
                count: a.count,
                min: a.min,
                max: a.max,
                avg: a.mean,
                first: a.first.1,
                last: a.last.1,
                stddev: (a.m2 / a.count as f64).sqrt(),
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
    fn merged_summaries_equal_adding_point_by_point() {
        let walk: Vec<(i64, f64)> = (0..40i64)
            .map(|i| (i / 3, ((i * 7919) % 23) as f64 * 0.37 - 2.0))
            .collect();
        let ties = vec![(5, 1.0), (7, 2.0), (7, 3.0), (5, 4.0)];
        for (points, cut) in [
            (&walk, 0),
            (&walk, 1),
            (&walk, 5),
            (&walk, 39),
            (&walk, 40),
            (&ties, 2),
        ] {
            let mut one = Summary::EMPTY;
            let (mut a, mut b) = (Summary::EMPTY, Summary::EMPTY);
            for (i, (t, v)) in points.iter().enumerate() {
                one.add(*t, *v);
                if i < cut {
                    a.add(*t, *v)
                } else {
                    b.add(*t, *v)
                }
            }
            a.merge(&b);
            assert_eq!(
                (a.count, a.min, a.max, a.first, a.last),
                (one.count, one.min, one.max, one.first, one.last),
                "cut at {cut}"
            );
            assert!((a.mean - one.mean).abs() < 1e-12, "cut at {cut}");
            assert!((a.m2 - one.m2).abs() < 1e-9 * one.m2, "cut at {cut}");
        }
    }

    #[test]
    fn sorted_runs_fold_as_points_one_by_one() {
        let r = TimeRange::new(10, 1000).unwrap();
        let times: Vec<i64> = (0..300i64).map(|i| i * 4 - i % 3).collect();
        let values: Vec<f64> = (0..300i64)
            .map(|i| match i % 50 {
                7 => f64::NAN,
                9 => f64::INFINITY,
                _ => ((i * 7919) % 101) as f64 * 0.3 - 15.0,
            })
            .collect();
        assert!(times.is_sorted());
        for buckets in [1, 3, 7, 99, 1000] {
            let (mut one, mut runs) = (
                Folder::new(r, buckets).unwrap(),
                Folder::new(r, buckets).unwrap(),
            );
            for (t, v) in times.iter().zip(&values) {
                one.add(*t, *v);
            }
            runs.add_sorted(&times, &values);
            let (one, runs) = (one.finish(), runs.finish());
            assert_eq!(one.len(), runs.len(), "{buckets} buckets");
            for (a, b) in one.iter().zip(&runs) {
                assert_eq!(
                    (a.start, a.count, a.min, a.max, a.first, a.last),
                    (b.start, b.count, b.min, b.max, b.first, b.last)
                );
                assert!(
                    (a.avg - b.avg).abs() < 1e-12 * a.avg.abs().max(1.0),
                    "{a:?} {b:?}"
                );
                assert!(
                    (a.stddev - b.stddev).abs() < 1e-12 * a.stddev.max(1.0),
                    "{a:?} {b:?}"
                );
            }
        }
    }

    #[test]
    fn a_summary_folds_only_into_one_bucket_of_the_range() {
        let r = TimeRange::new(0, 100).unwrap();
        let mut s = Summary::EMPTY;
        s.add(40, 2.0);
        let mut f = Folder::new(r, 2).unwrap();
        assert!(!f.add_summary(40, 50, &s), "crosses the edge at 50");
        assert!(!f.add_summary(-1, 10, &s), "starts before the range");
        assert!(!f.add_summary(90, 100, &s), "ends after the range");
        assert!(f.add_summary(40, 49, &s));
        assert!(f.add_summary(50, 99, &Summary::EMPTY));
        let b = f.finish();
        assert_eq!(b.len(), 1, "an empty summary makes no bucket");
        assert_eq!((b[0].start, b[0].count, b[0].first), (0, 1, 2.0));
    }

    #[test]
    fn bucket_count_is_bounded() {
        let r = TimeRange::new(0, 100).unwrap();
        assert!(bucket_width(r, 0).is_err());
        assert!(bucket_width(r, MAX_BUCKETS + 1).is_err());
    }
}
