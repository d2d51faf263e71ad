//! `undertow report --from DIR`: the report of a saved run, without simulating again.

use undertow_engine::files::report_from_dir;
use undertow_engine::manifest::{self, Verified};
use undertow_engine::EngineError;

use crate::args::ReportArgs;

/// Renders `DIR/summary.json` into `DIR/report.html`.
pub fn report(args: &ReportArgs) -> anyhow::Result<()> {
    match manifest::verify(&args.from)? {
        Verified::NoManifest => eprintln!(
            "undertow: warning: {} has no {}: its files cannot be checked (a run from before \
             manifests?)",
            args.from.display(),
            manifest::MANIFEST_JSON
        ),
        Verified::Checked { missing } => {
            for name in missing {
                eprintln!(
                    "undertow: warning: {}: listed in {} but removed since the run (the report \
                     does not read it)",
                    args.from.join(name).display(),
                    manifest::MANIFEST_JSON
                );
            }
        }
    }
    let _writing = crate::interrupt::writing();
    let path = report_from_dir(&args.from).map_err(EngineError::from)?;
    println!("wrote {}", path.display());
    Ok(())
}
