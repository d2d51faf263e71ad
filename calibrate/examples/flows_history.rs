//! Writes the synthetic example flow history (`examples/flows_history.csv`) to stdout:
//! `cargo run -p undertow-calibrate --example flows_history > examples/flows_history.csv`.
//! The generator: calibrate/src/flows/synth.rs and docs/calibration.md "Synthetic histories".

fn main() {
    print!("{}", undertow_calibrate::flows::synth::example_flows_csv());
}
