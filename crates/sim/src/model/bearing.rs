//! Rolling-element bearing defect frequencies from geometry (Harris,
//! *Rolling Bearing Analysis*; the standard kinematic formulas).

/// Bearing geometry.
#[derive(Debug, Clone, Copy)]
pub struct Geometry {
    /// Number of rolling elements.
    pub balls: u32,
    /// Rolling element diameter, mm.
    pub ball_d: f64,
    /// Pitch diameter, mm.
    pub pitch_d: f64,
    /// Contact angle, rad.
    pub contact: f64,
}

/// Defect frequencies, Hz.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Defects {
    /// Ball pass frequency, outer race.
    pub bpfo: f64,
    /// Ball pass frequency, inner race.
    pub bpfi: f64,
    /// Ball spin frequency.
    pub bsf: f64,
    /// Fundamental train (cage) frequency.
    pub ftf: f64,
}

impl Geometry {
    /// A 6309 deep-groove ball bearing (8 balls of 17.462 mm on a 72.5 mm pitch circle).
    pub const B6309: Geometry = Geometry {
        balls: 8,
        ball_d: 17.462,
        pitch_d: 72.5,
        contact: 0.0,
    };

    /// The defect frequencies at shaft frequency `fr` Hz (outer race fixed).
    pub fn defects(&self, fr: f64) -> Defects {
        let r = self.ball_d / self.pitch_d * self.contact.cos();
        let n = self.balls as f64;
        Defects {
            bpfo: n / 2.0 * fr * (1.0 - r),
            bpfi: n / 2.0 * fr * (1.0 + r),
            bsf: self.pitch_d / (2.0 * self.ball_d) * fr * (1.0 - r * r),
            ftf: fr / 2.0 * (1.0 - r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defect_frequencies_follow_from_geometry() {
        // 9 balls, d/D = 0.25, 0 deg: BPFO = 4.5 * 0.75 fr, BPFI = 4.5 * 1.25 fr,
        // BSF = 2 * (1 - 1/16) fr, FTF = 0.375 fr.
        let g = Geometry {
            balls: 9,
            ball_d: 10.0,
            pitch_d: 40.0,
            contact: 0.0,
        };
        let d = g.defects(10.0);
        assert!((d.bpfo - 33.75).abs() < 1e-9);
        assert!((d.bpfi - 56.25).abs() < 1e-9);
        assert!((d.bsf - 18.75).abs() < 1e-9);
        assert!((d.ftf - 3.75).abs() < 1e-9);
        // BPFO + BPFI = n * fr, and FTF * n = BPFO.
        let d = Geometry::B6309.defects(2950.0 / 60.0);
        assert!((d.bpfo + d.bpfi - 8.0 * 2950.0 / 60.0).abs() < 1e-9);
        assert!((d.ftf * 8.0 - d.bpfo).abs() < 1e-9);
        // A contact angle moves the frequencies toward n/2 fr.
        let a = Geometry { contact: 0.3, ..g }.defects(10.0);
        assert!(a.bpfo > 33.75 && a.bpfi < 56.25);
    }
}
