//! Writes the synthetic example market history (`examples/market_history.csv`) to stdout:
//! `cargo run -p undertow-calibrate --example market_history > examples/market_history.csv`.
//! The generator and its model: calibrate/src/market/synthetic.rs and docs/market-data.md.

fn main() {
    print!(
        "{}",
        undertow_calibrate::market::synthetic::example_market_csv()
    );
}
