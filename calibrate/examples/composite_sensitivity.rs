//! Prints the stress composite of the example market file at a few dates under a few settings
//! (the sensitivity table of docs/market-data.md, "Stress composite"):
//! `cargo run -p undertow-calibrate --example composite_sensitivity`.

use undertow_calibrate::market::{parse_market_csv, synthetic, CompositeOptions};

fn main() {
    let text = synthetic::example_market_csv();
    let h = parse_market_csv(&text, "examples/market_history.csv").expect("the example reads");
    let d = |y, m, dd| chrono::NaiveDate::from_ymd_opt(y, m, dd).expect("a date");
    let dates = [
        ("calm 2019-06-14", d(2019, 6, 14)),
        ("2020-03-09", d(2020, 3, 9)),
        ("peak 2020-03-23", d(2020, 3, 23)),
        ("2020-04-15", d(2020, 4, 15)),
        ("mild 2022-10-12", d(2022, 10, 12)),
    ];
    let settings = [
        ("default (5, 21, 0.99)", CompositeOptions::default()),
        (
            "quantile 0.95",
            CompositeOptions {
                stressed_quantile: 0.95,
                ..CompositeOptions::default()
            },
        ),
        (
            "quantile 1.00 (max)",
            CompositeOptions {
                stressed_quantile: 1.0,
                ..CompositeOptions::default()
            },
        ),
        (
            "vol window 10",
            CompositeOptions {
                vol_window: 10,
                ..CompositeOptions::default()
            },
        ),
        (
            "spread window 1",
            CompositeOptions {
                spread_window: 1,
                ..CompositeOptions::default()
            },
        ),
    ];
    print!("| setting |");
    for (name, _) in &dates {
        print!(" {name} |");
    }
    println!();
    for (name, o) in &settings {
        let c = h.stress_composite_with(o);
        print!("| {name} |");
        for (_, date) in &dates {
            print!(" {:.2} |", c.on(*date).unwrap_or(f64::NAN));
        }
        let calm: Vec<f64> = c
            .dates
            .iter()
            .zip(&c.g)
            .filter(|(d, _)| d.to_string().starts_with("2019"))
            .map(|(_, g)| *g)
            .collect();
        let calm_mean = calm.iter().sum::<f64>() / calm.len() as f64;
        println!(" 2019 mean {calm_mean:.3}");
    }
}
