//! Ctrl-C (SIGINT) and SIGTERM: the run stops within a fraction of a second, exits 130 or 143,
//! and leaves no partial output and earlier output in `--out` untouched.
//!
//! A signal only sets a flag (signal-hook). Until a command starts writing its outputs nothing
//! has been created, so a watcher thread ends the process at once, whatever is running (the
//! sweep, an analysis stage). While the outputs are written ([`writing`] holds a lock) the
//! watcher waits: the engine sees the flag between files and between blocks of `scenarios.csv`
//! ([`undertow_engine::cancel`]), removes its temporaries and returns
//! [`EngineError::Interrupted`](undertow_engine::EngineError::Interrupted); the outputs are
//! either all renamed into place before the flag was seen or none is.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

/// The exit code of the signal received (128 + its number), 0 while none has.
static CODE: OnceLock<Arc<AtomicUsize>> = OnceLock::new();

/// Held while outputs are written.
static WRITING: Mutex<()> = Mutex::new(());

/// How often the watcher looks at the flag.
const POLL: Duration = Duration::from_millis(25);

/// The exit code for a signal received, if one was.
pub fn code() -> Option<u8> {
    let c = CODE.get()?.load(Ordering::SeqCst);
    (c != 0).then_some(c as u8)
}

fn requested() -> bool {
    code().is_some()
}

/// Installs the handlers, the watcher thread and the engine's check. Without signal support
/// (not Unix) runs are not interruptible cleanly: the default handlers stay.
pub fn install() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let flag = Arc::new(AtomicUsize::new(0));
        for (signal, exit) in [(SIGINT, 130), (SIGTERM, 143)] {
            if signal_hook::flag::register_usize(signal, Arc::clone(&flag), exit).is_err() {
                return;
            }
        }
        let _ = CODE.set(flag);
        undertow_engine::cancel::install(requested);
        std::thread::spawn(|| loop {
            std::thread::sleep(POLL);
            if let Some(c) = code() {
                // Wait for a write in progress to finish or to remove its temporaries.
                let _writing = WRITING.lock();
                eprintln!("undertow: interrupted: nothing was written");
                std::process::exit(i32::from(c));
            }
        });
    }
}

/// Marks the writing of outputs: the watcher does not end the process while the guard lives.
pub fn writing() -> MutexGuard<'static, ()> {
    WRITING.lock().unwrap_or_else(|e| e.into_inner())
}

/// [`undertow_engine::check_out`] under the write lock, so that a signal cannot end the process
/// while its probe file exists.
pub fn writing_check(out: &std::path::Path) -> Result<(), undertow_engine::EngineError> {
    let _writing = writing();
    undertow_engine::check_out(out)
}
