//! `undertow report --from DIR`: the report of a saved run, without simulating again.

use undertow_engine::files::report_from_dir;
use undertow_engine::EngineError;

use crate::args::ReportArgs;

/// Renders `DIR/summary.json` into `DIR/report.html`.
pub fn report(args: &ReportArgs) -> anyhow::Result<()> {
    let _writing = crate::interrupt::writing();
    let path = report_from_dir(&args.from).map_err(EngineError::from)?;
    println!("wrote {}", path.display());
    Ok(())
}
