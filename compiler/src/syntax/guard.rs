//! kdl-rs run on threads with a large stack, all of them under one processor-time budget.
//!
//! kdl 6.7.1 can overflow its stack or take exponential time on small hostile inputs, and
//! Rust cannot stop a thread: so each parse runs on its own thread with a large stack, and
//! a watchdog gives up on the text once the parser threads together have used the budget.
//! A large text is first parsed in parts on several threads ([`super::split`]); when a
//! part does not parse, the whole text is parsed again for kdl-rs's own errors, with what
//! is left of the same budget: a text never costs more than one budget of processor time.

use super::split;
use kdl::{KdlDocument, KdlError};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What became of a text.
pub(super) enum Guarded {
    Parsed(KdlDocument),
    Invalid(KdlError),
    TimedOut,
    Crashed,
}

/// How the parser may split its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// Parts (threads) at most; 1 parses every text whole.
    pub threads: usize,
    /// Texts shorter than this are parsed whole.
    pub min_bytes: usize,
}

impl Default for Split {
    /// `BERTH_THREADS` (which the writer reads too) or the machine's processors, and
    /// [`split::MIN_SPLIT_BYTES`].
    fn default() -> Self {
        let available = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let wanted = std::env::var("BERTH_THREADS").ok().and_then(|n| n.parse::<usize>().ok());
        let threads = wanted.map_or(available, |n| n.clamp(1, available));
        Self { threads, min_bytes: split::MIN_SPLIT_BYTES }
    }
}

/// Processor time left to the parse of one text.
struct Budget {
    seconds: f64,
    spent: f64,
    started: Instant,
}

/// How often the watchdog looks at the time used.
const WATCHDOG_TICK: Duration = Duration::from_millis(50);

/// Parse `text` (split at some of `boundaries` when `split` allows) under a budget of
/// `timeout_seconds` of processor time for all parser threads together (wall-clock time:
/// ten times it, and the budget itself where the platform reports no thread times).
pub(super) fn parse(text: &str, boundaries: &[usize], split: Split, timeout_seconds: u64) -> Guarded {
    let mut budget = Budget { seconds: timeout_seconds as f64, spent: 0.0, started: Instant::now() };
    let cuts = if text.len() >= split.min_bytes { split::cuts(text, boundaries, split.threads) } else { Vec::new() };
    if !cuts.is_empty() {
        let starts: Vec<usize> = std::iter::once(0).chain(cuts.iter().copied()).collect();
        let ends = cuts.iter().copied().chain(std::iter::once(text.len()));
        let parts: Vec<&str> = starts.iter().zip(ends).filter_map(|(&start, end)| text.get(start..end)).collect();
        match run(&parts, &mut budget) {
            Run::Done(results) if parts.len() == starts.len() && results.iter().all(Result::is_ok) => {
                let documents = starts.into_iter().zip(results.into_iter().flatten()).collect();
                if let Some(document) = split::stitch(documents) {
                    return Guarded::Parsed(document);
                }
            }
            Run::TimedOut => return Guarded::TimedOut,
            // A part did not parse (or a thread failed): the whole text, for kdl-rs's errors.
            Run::Done(_) | Run::Crashed => {}
        }
    }
    match run(&[text], &mut budget) {
        Run::Done(mut results) => match results.pop() {
            Some(Ok(document)) => Guarded::Parsed(document),
            Some(Err(error)) => Guarded::Invalid(error),
            None => Guarded::Crashed,
        },
        Run::TimedOut => Guarded::TimedOut,
        Run::Crashed => Guarded::Crashed,
    }
}

enum Run {
    Done(Vec<Result<KdlDocument, KdlError>>),
    TimedOut,
    Crashed,
}

/// What a parser thread sends back: its part, kdl-rs's result, its processor time.
type Report = (usize, Result<KdlDocument, KdlError>, Option<f64>);

/// Parse each part on its own thread; wait for all of them or for the budget to run out.
/// On timeout the threads are left running detached: the process ends soon anyway.
fn run(parts: &[&str], budget: &mut Budget) -> Run {
    let (sender, receiver) = mpsc::channel::<Report>();
    let mut stats: Vec<Option<PathBuf>> = Vec::with_capacity(parts.len());
    for (index, part) in parts.iter().enumerate() {
        let owned = (*part).to_owned();
        let sender = sender.clone();
        let (stat_sender, stat_receiver) = mpsc::channel();
        let spawned = std::thread::Builder::new().name("kdl-parse".into()).stack_size(super::PARSER_STACK_BYTES).spawn(
            move || {
                // Where this thread's processor time is reported, for the watchdog.
                let stat =
                    std::fs::read_link("/proc/thread-self").ok().map(|task| Path::new("/proc").join(task).join("stat"));
                let _ = stat_sender.send(stat.clone());
                let result = kdl::KdlDocument::parse_v2(&owned);
                let used = stat.as_deref().and_then(cpu_seconds);
                // The receiver may be gone after a timeout; nothing to do then.
                let _ = sender.send((index, result, used));
            },
        );
        if spawned.is_err() {
            return Run::Crashed;
        }
        stats.push(stat_receiver.recv().ok().flatten());
    }
    drop(sender);
    let started = Instant::now();
    let mut results: Vec<Option<Result<KdlDocument, KdlError>>> = parts.iter().map(|_| None).collect();
    let mut finished = 0.0;
    loop {
        match receiver.recv_timeout(WATCHDOG_TICK) {
            Ok((index, result, used)) => {
                finished += used.unwrap_or_else(|| started.elapsed().as_secs_f64());
                if let Some(slot) = results.get_mut(index) {
                    *slot = Some(result);
                }
                if results.iter().all(Option::is_some) {
                    budget.spent += finished;
                    return Run::Done(results.into_iter().flatten().collect());
                }
            }
            // Every sender is gone with a result missing: a parser thread panicked.
            Err(mpsc::RecvTimeoutError::Disconnected) => return Run::Crashed,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let running: f64 = results
                    .iter()
                    .zip(&stats)
                    .filter(|(result, _)| result.is_none())
                    .map(|(_, stat)| {
                        stat.as_deref().and_then(cpu_seconds).unwrap_or_else(|| started.elapsed().as_secs_f64())
                    })
                    .sum();
                let used = budget.spent + finished + running;
                if used > budget.seconds || budget.started.elapsed().as_secs_f64() > budget.seconds * 10.0 {
                    return Run::TimedOut;
                }
            }
        }
    }
}

/// Processor time (user + system) a thread has used, from its `/proc/<pid>/task/<tid>/stat`.
fn cpu_seconds(stat: &Path) -> Option<f64> {
    let stat = std::fs::read_to_string(stat).ok()?;
    // Fields after the command name (which may hold spaces, so split at its closing
    // parenthesis): state is field 3, utime field 14 and stime field 15, in clock ticks
    // of 1/100 s (USER_HZ, fixed at 100 for /proc on every Linux architecture).
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 1..)?.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some((user + system) as f64 / 100.0)
}
