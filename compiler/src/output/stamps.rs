//! The stamp record `<root>/.berth/stamps`: for each file Berth wrote (or read back and
//! found to be what it wrote), its size and modification time, with the hash the
//! ownership record holds for it. A rebuild trusts the hash of a file whose stamp is
//! unchanged instead of reading the file back, so it reads only what changed.
//!
//! The record is a local cache, never the proof of ownership: an entry counts only when
//! its hash is the manifest's hash for the path, the file (not followed if a link) is a
//! regular file of exactly that size and modification time (nanoseconds), and that time
//! is strictly earlier than the record's own modification time. The last rule is Git's
//! "racily clean" rule: a file changed in the same clock tick as Berth wrote it (the
//! kernel's file clock is coarser than its nanosecond field) could keep both size and
//! time, so files written in the record's own tick are read back. Any mismatch, a missing,
//! damaged or unreadable record: the file is read back, as without a record. The record
//! changes on every build that writes, so a `.gitignore` next to it keeps it out of
//! version control (the manifest stays byte-identical for the same output).
//!
//! One line per file: `<sha256> <size> <mtime seconds>.<nanoseconds> <path>`.

use crate::output::safe;
use crate::output::write::WriteError;
use std::collections::{BTreeMap, HashMap};
use std::fs::Metadata;
use std::path::Path;
use std::time::UNIX_EPOCH;

/// The stamp record inside the `.berth` folder.
pub const STAMPS: &str = "stamps";
/// What the `.gitignore` Berth creates in `.berth` (when there is none) holds.
const GITIGNORE: &str = "# Written by berth: the stamp record is a local cache.\nstamps\n";
/// The most bytes a stamp record may have (it is skipped when larger).
const MAX_STAMPS_BYTES: u64 = 256 * 1024 * 1024;

/// A file's size and modification time (nanoseconds since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp {
    /// Size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds since 1970.
    pub mtime: u128,
}

impl Stamp {
    /// The stamp of a regular file; `None` for anything else or a time before 1970.
    pub fn of(meta: &Metadata) -> Option<Stamp> {
        let mtime = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?.as_nanos();
        meta.is_file().then_some(Stamp { size: meta.len(), mtime })
    }
}

/// The stamps of the last build.
#[derive(Debug, Default)]
pub struct Stamps {
    entries: HashMap<String, (String, Stamp)>,
    /// The record's own modification time: entries at or after it are not trusted.
    written: u128,
    /// The record's bytes, to skip rewriting an identical one.
    bytes: Vec<u8>,
}

impl Stamps {
    /// The hash of the file at `relative`, known without reading it: the entry's hash
    /// when it is `recorded` (the manifest's hash) and `meta` matches its stamp.
    pub fn known<'a>(&self, relative: &str, recorded: Option<&'a str>, meta: &Metadata) -> Option<&'a str> {
        let recorded = recorded?;
        let (hash, stamp) = self.entries.get(relative)?;
        let trusted = hash == recorded && stamp.mtime < self.written && Stamp::of(meta) == Some(*stamp);
        trusted.then_some(recorded)
    }

    /// The entry of `relative`, if any.
    pub fn get(&self, relative: &str) -> Option<(&str, Stamp)> {
        self.entries.get(relative).map(|(hash, stamp)| (hash.as_str(), *stamp))
    }

    /// Whether `text` is the record as it is on disk.
    pub fn is(&self, text: &str) -> bool {
        self.bytes == text.as_bytes()
    }
}

/// The stamp record in `dir` (the `.berth` folder). A link is refused (nothing under the
/// root is read through one); a missing, oversized or damaged record, or damaged lines,
/// are skipped: the files are then read back.
pub fn read(dir: &Path) -> Result<Stamps, WriteError> {
    let path = dir.join(STAMPS);
    let Some(file) = safe::open_nofollow(&path)? else { return Ok(Stamps::default()) };
    let Ok((bytes, meta)) = safe::read_bounded_meta(file, &path, MAX_STAMPS_BYTES) else {
        return Ok(Stamps::default());
    };
    let Some(written) = Stamp::of(&meta) else { return Ok(Stamps::default()) };
    let Ok(text) = std::str::from_utf8(&bytes) else { return Ok(Stamps::default()) };
    let entries = text.lines().filter_map(parse_line).collect();
    Ok(Stamps { entries, written: written.mtime, bytes })
}

fn parse_line(line: &str) -> Option<(String, (String, Stamp))> {
    let mut fields = line.splitn(4, ' ');
    let hash = fields.next()?;
    let size = fields.next()?.parse().ok()?;
    let (seconds, nanos) = fields.next()?.split_once('.')?;
    let nanos: u32 = nanos.parse().ok().filter(|nanos| *nanos < 1_000_000_000)?;
    let mtime = seconds.parse::<u128>().ok()?.checked_mul(1_000_000_000)?.checked_add(u128::from(nanos))?;
    let path = fields.next()?;
    let plain = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) && safe::is_plain(path);
    plain.then(|| (path.to_owned(), (hash.to_owned(), Stamp { size, mtime })))
}

/// The record's text for `entries` (path -> hash and stamp), sorted by path; paths
/// with a line break are left out (they are read back).
pub fn text(entries: &BTreeMap<&str, (&str, Stamp)>) -> String {
    use std::fmt::Write as _;
    let mut text = String::with_capacity(entries.len() * 140);
    for (path, (hash, stamp)) in entries {
        if path.contains(['\n', '\r']) {
            continue;
        }
        let (seconds, nanos) = (stamp.mtime / 1_000_000_000, stamp.mtime % 1_000_000_000);
        let _ = writeln!(text, "{hash} {} {seconds}.{nanos:09} {path}", stamp.size);
    }
    text
}

/// Write the record (after every file and the manifest, so its time is later than
/// theirs), and a `.gitignore` for it when `dir` has none.
pub fn write(dir: &Path, text: &str) -> Result<(), WriteError> {
    crate::output::state::replace_file(&dir.join(STAMPS), text.as_bytes())?;
    let ignore = dir.join(".gitignore");
    match safe::create_options(true).open(&ignore) {
        Ok(mut file) => {
            use std::io::Write as _;
            file.write_all(GITIGNORE.as_bytes()).map_err(|source| WriteError::Io {
                action: "write",
                path: ignore.display().to_string(),
                source,
            })
        }
        // There is one (Berth's or the user's): left as it is.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(WriteError::Io { action: "create", path: ignore.display().to_string(), source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn lines_round_trip_and_damaged_ones_are_skipped() {
        let stamp = Stamp { size: 12, mtime: 1_700_000_000_000_000_123 };
        let entries = BTreeMap::from([("dev/a.yaml", (HASH, stamp)), ("bad\npath", (HASH, stamp))]);
        let text = text(&entries);
        assert_eq!(text, format!("{HASH} 12 1700000000.000000123 dev/a.yaml\n"));
        assert_eq!(parse_line(text.trim_end()), Some(("dev/a.yaml".to_owned(), (HASH.to_owned(), stamp))));
        for bad in [
            "x 12 1.0 a",
            &format!("{HASH} x 1.0 a"),
            &format!("{HASH} 1 1 a"),
            &format!("{HASH} 1 1.1000000000 a"),
            &format!("{HASH} 1 1.0 ../a"),
            &format!("{HASH} 1 1.0"),
        ] {
            assert_eq!(parse_line(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_stamp_is_trusted_only_when_hash_size_and_time_match_and_the_time_is_not_racy() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.yaml");
        std::fs::write(&file, "a\n").unwrap();
        let meta = std::fs::symlink_metadata(&file).unwrap();
        let stamp = Stamp::of(&meta).unwrap();
        let entries = HashMap::from([("a.yaml".to_owned(), (HASH.to_owned(), stamp))]);
        let stamps = Stamps { entries, written: stamp.mtime + 1, bytes: Vec::new() };
        assert_eq!(stamps.known("a.yaml", Some(HASH), &meta), Some(HASH));
        assert_eq!(stamps.known("a.yaml", Some(&"0".repeat(64)), &meta), None, "another hash in the manifest");
        assert_eq!(stamps.known("a.yaml", None, &meta), None, "not in the manifest");
        assert_eq!(stamps.known("b.yaml", Some(HASH), &meta), None);
        let racy = Stamps { written: stamp.mtime, ..stamps };
        assert_eq!(racy.known("a.yaml", Some(HASH), &meta), None, "written in the record's own tick");
        std::fs::write(&file, "b\n").unwrap();
        let same_size = std::fs::symlink_metadata(&file).unwrap();
        let edited = Stamps { written: u128::MAX, ..racy };
        if Stamp::of(&same_size) != Some(stamp) {
            assert_eq!(edited.known("a.yaml", Some(HASH), &same_size), None, "a later edit changes the time");
        }
    }
}
