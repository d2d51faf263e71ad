//! The HTML report end to end in a real browser (headless Chromium): the page's own check says
//! every chart drew, nothing went to the console but that verdict, a screenshot and a PDF come out.
//!
//! Chromium is `$CHROMIUM` or `/usr/bin/chromium`. Without it the test prints SKIP and passes,
//! unless `UNDERTOW_REQUIRE_BROWSER=1` (CI), where a missing browser fails. Every browser run has a
//! 60-second limit: a hung browser fails the test instead of hanging CI. Everything is written to
//! a temporary directory.

#[path = "fixtures/report/fixture.rs"]
mod fixture;

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use undertow_report as report;

/// The longest one browser run may take.
const BROWSER_LIMIT: Duration = Duration::from_secs(60);

fn chromium() -> Option<PathBuf> {
    let candidate = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    candidate.is_file().then_some(candidate)
}

fn browser_required() -> bool {
    std::env::var("UNDERTOW_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

/// What a browser run printed.
struct Run {
    stdout: String,
    stderr: String,
    seconds: f64,
}

/// Runs headless Chromium on `page` with `args`, in its own process group, killed (with every
/// helper process it started) after [`BROWSER_LIMIT`].
fn run_browser(bin: &Path, work: &Path, page: &Path, args: &[&str]) -> Run {
    let profile = work.join("profile");
    let stdout_path = work.join("browser.stdout");
    let stderr_path = work.join("browser.stderr");
    let started = Instant::now();
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > BROWSER_LIMIT {
            // The whole group: Chromium's renderer and GPU helpers too.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium {args:?} did not finish within {} s",
                BROWSER_LIMIT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let read = |p: &Path| {
        let mut s = String::new();
        std::fs::File::open(p)
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        s
    };
    let run = Run {
        stdout: read(&stdout_path),
        stderr: read(&stderr_path),
        seconds: started.elapsed().as_secs_f64(),
    };
    assert!(
        status.success(),
        "chromium {args:?} exited with {status}\nstderr:\n{}",
        run.stderr
    );
    run
}

/// Console messages in Chromium's log (`--enable-logging=stderr`): lines like
/// `[..:INFO:CONSOLE:12] "message", source: file:///...`. The log does not say the level, so the
/// page logs exactly one line of its own (the verdict) and everything else counts as an error.
fn console_messages(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(|l| l.to_string())
        .collect()
}

/// The value of attribute `name` on the first tag that starts with `tag`.
fn attribute(dom: &str, tag: &str, name: &str) -> Option<String> {
    let start = dom.find(tag)?;
    let end = start + dom[start..].find('>')?;
    let open = &dom[start..end];
    let key = format!("{name}=\"");
    let at = open.find(&key)? + key.len();
    Some(open[at..at + open[at..].find('"')?].to_string())
}

fn shapes(svg: &str) -> usize {
    ["<polyline", "<polygon", "<rect", "<circle"]
        .iter()
        .map(|t| svg.matches(t).count())
        .sum()
}

/// Checks the page's own verdict in the dumped DOM and the console; returns the number of charts.
fn check_dom(bin: &Path, work: &Path, page: &Path, html: &str) -> (usize, f64) {
    let expected = html.matches("<svg class=\"chart\"").count();
    let run = run_browser(
        bin,
        work,
        page,
        &["--enable-logging=stderr", "--v=0", "--dump-dom"],
    );
    let dom = &run.stdout;
    let verdict = attribute(dom, "<body", "data-charts-ok")
        .expect("the page's chart check did not run (no data-charts-ok on <body>)");
    assert_eq!(
        verdict,
        format!("{expected}/{expected}"),
        "charts that drew nothing"
    );
    assert_eq!(
        attribute(dom, "<body", "data-console-errors").as_deref(),
        Some("0"),
        "the page counted console errors"
    );
    // Every chart: the browser laid out (nearly) every shape the SVG holds. Dashes of zero
    // length have an empty box, so allow a few.
    let mut rest = dom.as_str();
    let mut source = html;
    let mut checked = 0;
    while let Some(i) = rest.find("<svg class=\"chart\"") {
        rest = &rest[i..];
        let s = source.find("<svg class=\"chart\"").unwrap();
        source = &source[s..];
        let source_svg = &source[..source.find("</svg>").unwrap()];
        let id = attribute(rest, "<svg", "id").unwrap();
        let drawn: usize = attribute(rest, "<svg", "data-drawn")
            .unwrap_or_else(|| panic!("{id}: not checked by the page"))
            .parse()
            .unwrap();
        let texts: usize = attribute(rest, "<svg", "data-texts")
            .unwrap()
            .parse()
            .unwrap();
        let emitted = shapes(source_svg);
        assert!(
            drawn * 10 >= emitted * 9 && drawn >= 5,
            "{id}: the browser drew {drawn} of {emitted} shapes"
        );
        assert!(texts >= 8, "{id}: only {texts} text elements laid out");
        checked += 1;
        rest = &rest[1..];
        source = &source[1..];
    }
    assert_eq!(checked, expected);
    let console = console_messages(&run.stderr);
    assert_eq!(
        console.len(),
        1,
        "expected only the page's verdict on the console, got:\n{}",
        console.join("\n")
    );
    assert!(
        console[0].contains(&format!(
            "undertow-report: charts drawn {expected}/{expected}, console errors 0"
        )),
        "console: {}",
        console[0]
    );
    (expected, run.seconds)
}

#[test]
fn the_report_renders_prints_and_passes_its_own_check_in_chromium() {
    let Some(bin) = chromium() else {
        if browser_required() {
            panic!("UNDERTOW_REQUIRE_BROWSER=1 but no browser at $CHROMIUM or /usr/bin/chromium");
        }
        eprintln!(
            "SKIP: no Chromium ($CHROMIUM or /usr/bin/chromium): the report was not checked in a browser"
        );
        return;
    };
    let started = Instant::now();
    let work = tempfile::tempdir().unwrap();

    // Every stage (Analysis II synthetic): DOM, console, screenshot, PDF.
    let full_dir = work.path().join("full");
    std::fs::create_dir(&full_dir).unwrap();
    let page = write_page(&full_dir, &fixture::full());
    let html = std::fs::read_to_string(&page).unwrap();
    let (charts, dom_s) = check_dom(&bin, work.path(), &page, &html);
    assert_eq!(charts, 13);

    let png = work.path().join("report.png");
    let shot = run_browser(
        &bin,
        work.path(),
        &page,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,4000",
        ],
    );
    let bytes = std::fs::read(&png).expect("no screenshot written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (1280, 4000));
    // A blank 1280×4000 page compresses to a few KB; charts and text make it much larger.
    assert!(
        bytes.len() > 100 * 1024,
        "screenshot only {} bytes",
        bytes.len()
    );

    let pdf = work.path().join("report.pdf");
    let print = run_browser(
        &bin,
        work.path(),
        &page,
        &[
            &format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer",
        ],
    );
    let bytes = std::fs::read(&pdf).expect("no PDF written");
    assert!(bytes.starts_with(b"%PDF"), "not a PDF");
    assert!(bytes.len() > 100 * 1024, "PDF only {} bytes", bytes.len());
    let text = String::from_utf8_lossy(&bytes);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    // Each of the eight sections starts on a new page.
    assert!(pages >= 8, "PDF has {pages} pages");

    // The Analysis II sections of a real run draw too.
    let all_dir = work.path().join("all_stages_real");
    std::fs::create_dir(&all_dir).unwrap();
    let page = write_page(&all_dir, &fixture::all_stages_real());
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(check_dom(&bin, work.path(), &page, &html).0, 13);

    // A real run whose Analysis II stages did not run: the "not run" page passes too.
    let real_dir = work.path().join("real");
    std::fs::create_dir(&real_dir).unwrap();
    let page = write_page(&real_dir, &fixture::real());
    let html = std::fs::read_to_string(&page).unwrap();
    let (charts, _) = check_dom(&bin, work.path(), &page, &html);
    assert_eq!(charts, 8);

    // The page's check can fail: a chart emptied of its drawing is reported, in the DOM and as a
    // console error.
    let bad_dir = work.path().join("sabotaged");
    std::fs::create_dir(&bad_dir).unwrap();
    let full = report::render(&fixture::full()).unwrap();
    let open = full
        .find("<svg class=\"chart\" id=\"chart-sec-buckets\"")
        .unwrap();
    let body = open + full[open..].find("</title>").unwrap() + "</title>".len();
    let close = open + full[open..].find("</svg>").unwrap();
    let sabotaged = format!("{}{}", &full[..body], &full[close..]);
    let page = bad_dir.join("report.html");
    std::fs::write(&page, &sabotaged).unwrap();
    let run = run_browser(
        &bin,
        work.path(),
        &page,
        &["--enable-logging=stderr", "--v=0", "--dump-dom"],
    );
    assert_eq!(
        attribute(&run.stdout, "<body", "data-charts-ok").as_deref(),
        Some("12/13")
    );
    let console = console_messages(&run.stderr);
    assert!(
        console
            .iter()
            .any(|l| l.contains("charts that drew nothing: chart-sec-buckets")),
        "no console error for the empty chart: {console:?}"
    );

    eprintln!(
        "browser test: {charts_full} charts drawn; DOM {dom_s:.1} s, screenshot {:.1} s, PDF {:.1} s ({pages} pages, {:.0} KB); total {:.1} s",
        shot.seconds,
        print.seconds,
        bytes.len() as f64 / 1024.0,
        started.elapsed().as_secs_f64(),
        charts_full = 13,
    );
}

#[test]
fn the_console_filter_and_attribute_reader_work() {
    let log = "[1:1:1124/1:INFO:CONSOLE:3] \"undertow-report: charts drawn 2/2, console errors 0\", source: file:///x (3)\n\
               [1:9:1124/1:ERROR:dbus/bus.cc:405] Failed to connect to the bus\n\
               [1:1:1124/1:INFO:CONSOLE:9] \"Uncaught ReferenceError: f is not defined\", source: file:///x (9)";
    let msgs = console_messages(log);
    assert_eq!(msgs.len(), 2);
    assert!(msgs[1].contains("Uncaught"));
    let dom = "<html><body data-charts-ok=\"3/4\" data-console-errors=\"1\"><svg class=\"chart\" id=\"chart-a\" data-drawn=\"7\">";
    assert_eq!(
        attribute(dom, "<body", "data-charts-ok").as_deref(),
        Some("3/4")
    );
    assert_eq!(attribute(dom, "<svg", "data-drawn").as_deref(), Some("7"));
    assert_eq!(attribute(dom, "<body", "missing"), None);
}

/// Renders `summary` and writes it to `dir/report.html`, returning the path.
fn write_page(dir: &Path, summary: &serde_json::Value) -> PathBuf {
    let path = dir.join(report::REPORT_FILE);
    std::fs::write(&path, report::render(summary).unwrap()).unwrap();
    path
}
