//! Fault injection for the filesystem tests, compiled into debug builds only: the writer
//! calls [`tick`] before each file it creates, replaces or removes (and before its journal
//! and manifest), so a test can stop a real `berth build` at any point.
//!
//! - `BERTH_TEST_ABORT_AFTER=N`: the process aborts (as `kill -9` would leave it) at the
//!   (N+1)-th write.
//! - `BERTH_TEST_FAIL_AFTER=N`: the (N+1)-th write fails with "no space left on device".
//!
//! Release builds ignore both variables.

use crate::output::write::WriteError;
use std::path::Path;

/// Count one write; abort or fail it when a test asked for that.
#[cfg(debug_assertions)]
pub fn tick(path: &Path) -> Result<(), WriteError> {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    static LIMITS: OnceLock<(Option<usize>, Option<usize>)> = OnceLock::new();
    let (abort_after, fail_after) = *LIMITS.get_or_init(|| {
        let read = |name: &str| std::env::var(name).ok().and_then(|value| value.parse().ok());
        (read("BERTH_TEST_ABORT_AFTER"), read("BERTH_TEST_FAIL_AFTER"))
    });
    if abort_after.is_none() && fail_after.is_none() {
        return Ok(());
    }
    let done = COUNT.fetch_add(1, Ordering::SeqCst);
    if abort_after.is_some_and(|limit| done >= limit) {
        std::process::abort();
    }
    if fail_after.is_some_and(|limit| done >= limit) {
        let source = std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device (injected)");
        return Err(WriteError::Io { action: "write", path: path.display().to_string(), source });
    }
    Ok(())
}

/// Count one write (release builds: nothing to do).
#[cfg(not(debug_assertions))]
pub fn tick(_path: &Path) -> Result<(), WriteError> {
    Ok(())
}
