//! Printing shared by several commands.

use undertow_analysis::AnalysisSummary;

/// Prints every finding, stage by stage, with how long each stage took.
pub fn findings(s: &AnalysisSummary) {
    let mut runs: Vec<_> = s.stages.iter().collect();
    runs.sort_by_key(|r| r.stage);
    for run in runs {
        let found: Vec<_> = s.findings.iter().filter(|f| f.stage == run.stage).collect();
        if found.is_empty() {
            continue;
        }
        println!(
            "{} ({} scenarios, {:.1}s):",
            run.title, run.scenarios_used, run.seconds
        );
        for f in found {
            println!("  - {}", f.text);
        }
    }
}
