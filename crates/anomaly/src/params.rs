//! The detector's tuning. One set, [`Params::default`], serves every
//! series: the statistics adapt to each series' scale and rhythm, so the
//! parameters are horizons and tail shapes, not thresholds in value units.

/// Detector parameters. Horizons are counted in *typical sampling
/// intervals* of the series (learnt online), so a gap in the data decays
/// the statistics as much as the samples it stands for would have.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Samples that only teach the detector (score 0) before it reports.
    pub warmup: u32,
    /// Memory of what "normal" means for level and step size.
    pub slow_horizon: f64,
    /// Memory of the recent spread that is compared with the normal one.
    pub fast_horizon: f64,
    /// Memory of each feature's own history of surprises (the rarity
    /// histograms): how rare a deviation is, judged against this series.
    pub rarity_horizon: f64,
    /// The same memory for the `shift` feature alone, shorter: a sustained
    /// move is judged against the last few days of short-term means, not
    /// against the largest moves of a longer past, so a moderate move after
    /// a quiet stretch still counts (docs/anomaly.md gives what it gains
    /// and costs).
    pub shift_rarity_horizon: f64,
    /// Half-life of the memory of the highest recent surprise. A sample is
    /// scored by how far its surprise exceeds that (decaying) memory, so one
    /// incident raises one alert rather than a stream of them.
    pub suppress_half_life: f64,
    /// Share of the recent high surprise subtracted (1: all of it).
    pub suppress_factor: f64,
    /// Rarity, in decades (`-log10 p`), that maps to a score of `1 - 1/e`.
    pub surprise_scale: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            warmup: 100,
            slow_horizon: 1000.0,
            fast_horizon: 10.0,
            rarity_horizon: 2000.0,
            shift_rarity_horizon: 500.0,
            suppress_half_life: 150.0,
            suppress_factor: 1.0,
            surprise_scale: 2.0,
        }
    }
}
