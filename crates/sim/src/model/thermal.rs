//! A first-order thermal node: `C dT/dt = P - (T - T_amb) / R`, solved
//! exactly over a step so the result does not depend on the step size.

/// A lumped heat capacity behind a thermal resistance to ambient.
#[derive(Debug, Clone)]
pub struct Node {
    /// Temperature now, degC.
    pub temp: f64,
    /// Thermal resistance to ambient, K/W.
    pub r_th: f64,
    /// Time constant R*C, s.
    pub tau: f64,
}

impl Node {
    /// Advances by `dt` seconds with `power` W dissipated and ambient `ambient` degC.
    pub fn step(&mut self, dt: f64, power: f64, ambient: f64) {
        let steady = ambient + power * self.r_th;
        self.temp = steady + (self.temp - steady) * (-dt / self.tau).exp();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn settles_at_power_times_resistance_and_ignores_step_size() {
        let mut a = super::Node {
            temp: 20.0,
            r_th: 0.5,
            tau: 600.0,
        };
        let mut b = a.clone();
        for _ in 0..3600 {
            a.step(1.0, 60.0, 20.0);
        }
        for _ in 0..36 {
            b.step(100.0, 60.0, 20.0);
        }
        assert!((a.temp - b.temp).abs() < 1e-9);
        assert!((a.temp - 50.0).abs() < 0.1, "{}", a.temp);
    }
}
