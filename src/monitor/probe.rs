//! Point probes: one field component at one Yee sample, recorded every step.
//!
//! E probes are sampled after the E update of step n, i.e. at t = (n + 1) dt;
//! H probes at t = (n + 1/2) dt. Samples are accumulated on the GPU and read
//! back in chunks (one per submission).

use crate::grid::Component;

#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    pub component: Component,
    pub position_um: [f64; 3],
}

impl Probe {
    pub fn new(component: Component, position_um: [f64; 3]) -> Probe {
        Probe { component, position_um }
    }
}
