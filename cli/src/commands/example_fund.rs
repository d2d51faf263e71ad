//! `undertow example-fund`: the built-in example as a commented fund file.

use undertow_host::fund::example_fund_toml;

/// Prints the example fund's TOML.
pub fn example_fund() -> anyhow::Result<()> {
    print!("{}", example_fund_toml());
    Ok(())
}
