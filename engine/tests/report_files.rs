//! The report's files: written atomically beside `summary.json`, and rebuilt from a run directory.

#[path = "../../report/tests/fixtures/report/fixture.rs"]
mod fixture;

use serde_json::Value;
use undertow_engine::files;
use undertow_report::ReportError;

#[test]
fn write_report_is_atomic_and_matches_render() {
    let dir = tempfile::tempdir().unwrap();
    let summary = fixture::full();
    let path = files::write_report(dir.path(), &summary).unwrap();
    assert_eq!(path, dir.path().join(undertow_report::REPORT_FILE));
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        written,
        undertow_report::render(&summary).unwrap(),
        "render is a pure function of the summary"
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        vec!["report.html".to_string()],
        "temporary left behind"
    );

    // A malformed summary writes nothing.
    let bad = tempfile::tempdir().unwrap();
    let mut s = fixture::full();
    s["headline"] = Value::from("none");
    assert!(files::write_report(bad.path(), &s).is_err());
    assert_eq!(std::fs::read_dir(bad.path()).unwrap().count(), 0);

    // From a run directory: summary.json in, report.html out beside it.
    let run = tempfile::tempdir().unwrap();
    std::fs::write(
        run.path().join("summary.json"),
        serde_json::to_string_pretty(&fixture::real()).unwrap(),
    )
    .unwrap();
    let out = files::report_from_dir(run.path()).unwrap();
    assert_eq!(
        std::fs::read_to_string(out).unwrap(),
        undertow_report::render(&fixture::real()).unwrap()
    );
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        files::report_from_dir(empty.path()),
        Err(files::ReportFileError::Read { .. })
    ));
    std::fs::write(empty.path().join("summary.json"), "{not json").unwrap();
    assert!(matches!(
        files::report_from_dir(empty.path()),
        Err(files::ReportFileError::Report(
            ReportError::Malformed { .. }
        ))
    ));
}
