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
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc};
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

/// Processor time for parsing, shared by every text parsed under it: the parts of one
/// text, and the specs of compilations that run side by side (`berth diff` compiles two
/// revisions at once and pays for both parses out of one budget). Cloning shares it.
///
/// Once it has run out, every parse under it is refused at once: the parser threads of
/// a text given up on cannot be stopped, and still run until the process exits.
#[derive(Debug, Clone)]
pub struct Budget(Arc<Mutex<Ledger>>);

#[derive(Debug)]
struct Ledger {
    seconds: u64,
    /// Processor time of the parser threads that have finished.
    spent: f64,
    started: Instant,
    /// The parser threads still running: a key, where their processor time is reported,
    /// when they started.
    running: Vec<(u64, Option<PathBuf>, Instant)>,
    next: u64,
    exhausted: bool,
}

impl Budget {
    /// `seconds` of processor time for all parser threads together (wall-clock time: ten
    /// times it, counted from now; the budget itself where the platform reports no thread
    /// times).
    pub fn new(seconds: u64) -> Self {
        Self(Arc::new(Mutex::new(Ledger {
            seconds,
            spent: 0.0,
            started: Instant::now(),
            running: Vec::new(),
            next: 0,
            exhausted: false,
        })))
    }

    /// The processor time granted, in seconds (what a "too complex" error names).
    pub fn seconds(&self) -> u64 {
        self.ledger().seconds
    }

    /// Whether the budget ran out (every later parse under it is refused).
    pub fn is_exhausted(&self) -> bool {
        self.ledger().exhausted
    }

    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A parser thread starts: its key.
    fn enter(&self, stat: Option<PathBuf>) -> u64 {
        let mut ledger = self.ledger();
        let key = ledger.next;
        ledger.next += 1;
        ledger.running.push((key, stat, Instant::now()));
        key
    }

    /// A parser thread finished, having used `used` seconds (its wall time when unknown).
    fn leave(&self, key: u64, used: Option<f64>) {
        let mut ledger = self.ledger();
        if let Some(index) = ledger.running.iter().position(|(k, _, _)| *k == key) {
            let (_, _, started) = ledger.running.remove(index);
            ledger.spent += used.unwrap_or_else(|| started.elapsed().as_secs_f64());
        }
    }

    /// Whether the threads under the budget, finished and running, have used it up; once
    /// they have, it stays used up.
    fn runs_out(&self) -> bool {
        let mut ledger = self.ledger();
        if !ledger.exhausted {
            let running: f64 = ledger
                .running
                .iter()
                .map(|(_, stat, started)| match stat {
                    // A thread that just ended has no stat left; its time comes with its result.
                    Some(stat) => cpu_seconds(stat).unwrap_or(0.0),
                    None => started.elapsed().as_secs_f64(),
                })
                .sum();
            let seconds = ledger.seconds as f64;
            ledger.exhausted =
                ledger.spent + running > seconds || ledger.started.elapsed().as_secs_f64() > seconds * 10.0;
        }
        ledger.exhausted
    }
}

/// How often the watchdog looks at the time used.
const WATCHDOG_TICK: Duration = Duration::from_millis(50);

/// Parse `text` (split at some of `boundaries` when `split` allows) under `budget`.
pub(super) fn parse(text: &str, boundaries: &[usize], split: Split, budget: &Budget) -> Guarded {
    if budget.is_exhausted() {
        return Guarded::TimedOut;
    }
    let cuts = if text.len() >= split.min_bytes { split::cuts(text, boundaries, split.threads) } else { Vec::new() };
    if !cuts.is_empty() {
        let starts: Vec<usize> = std::iter::once(0).chain(cuts.iter().copied()).collect();
        let ends = cuts.iter().copied().chain(std::iter::once(text.len()));
        let parts: Vec<&str> = starts.iter().zip(ends).filter_map(|(&start, end)| text.get(start..end)).collect();
        match run(&parts, budget) {
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
    match run(&[text], budget) {
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
fn run(parts: &[&str], budget: &Budget) -> Run {
    let (sender, receiver) = mpsc::channel::<Report>();
    let mut keys: Vec<u64> = Vec::with_capacity(parts.len());
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
            keys.iter().for_each(|&key| budget.leave(key, None));
            return Run::Crashed;
        }
        keys.push(budget.enter(stat_receiver.recv().ok().flatten()));
    }
    drop(sender);
    let mut results: Vec<Option<Result<KdlDocument, KdlError>>> = parts.iter().map(|_| None).collect();
    loop {
        match receiver.recv_timeout(WATCHDOG_TICK) {
            Ok((index, result, used)) => {
                if let Some(&key) = keys.get(index) {
                    budget.leave(key, used);
                }
                if let Some(slot) = results.get_mut(index) {
                    *slot = Some(result);
                }
                if results.iter().all(Option::is_some) {
                    return Run::Done(results.into_iter().flatten().collect());
                }
            }
            // Every sender is gone with a result missing: a parser thread panicked.
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let missing = keys.iter().zip(&results).filter(|(_, result)| result.is_none());
                missing.for_each(|(&key, _)| budget.leave(key, None));
                return Run::Crashed;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if budget.runs_out() {
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
