//! Berth's bookkeeping folder `<root>/.berth`: the ownership record (`manifest.json`),
//! the lock, and the journal of a build in progress (`journal.json`).
//!
//! The lock is an advisory `flock` on the `.berth` folder itself (no lock file to leave
//! behind): a second build into the same root waits for the first. The journal records,
//! before the first file is touched, every path the build may create or replace with the
//! hash it will write; it is removed after the manifest is written. A run that finds a
//! journal (the last one was killed or hit a full disk) treats those paths as Berth's, so
//! it converges instead of refusing the folder (`foreign_root`/`foreign_file`).
//!
//! The manifest is data from the repository, so it is validated whole before anything is
//! touched: `.berth` and the manifest must be real (not links), the JSON must parse, and
//! every entry must be a plain relative path with a SHA-256 hex digest. Anything else is a
//! clear error naming the file; it never silently becomes an empty record.

use crate::output::safe;
use crate::output::write::WriteError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Folder (under the output root) holding Berth's own bookkeeping.
pub const STATE_DIR: &str = ".berth";
/// The ownership record inside [`STATE_DIR`].
pub const MANIFEST: &str = "manifest.json";
/// The journal of a build in progress inside [`STATE_DIR`].
pub const JOURNAL: &str = "journal.json";
/// The most bytes a manifest may have.
const MAX_MANIFEST_BYTES: u64 = 256 * 1024 * 1024;

/// Path → SHA-256 (lower-case hex) of the bytes Berth wrote there.
pub type Manifest = BTreeMap<String, String>;

/// `<root>/.berth`, refusing a link or a non-folder. `Ok(None)` when it does not exist.
pub fn state_dir(root: &Path) -> Result<Option<PathBuf>, WriteError> {
    let dir = root.join(STATE_DIR);
    match std::fs::symlink_metadata(&dir) {
        Ok(meta) if meta.file_type().is_symlink() => Err(WriteError::Symlink(dir.display().to_string())),
        Ok(meta) if !meta.is_dir() => Err(WriteError::NotAFile(dir.display().to_string())),
        Ok(_) => Ok(Some(dir)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(WriteError::Io { action: "inspect", path: dir.display().to_string(), source }),
    }
}

/// The files the previous run recorded as written, with their hashes; empty when there
/// is no record. A damaged or hostile record is an error.
pub fn read_manifest(root: &Path) -> Result<Manifest, WriteError> {
    let Some(dir) = state_dir(root)? else {
        return Ok(Manifest::new());
    };
    Ok(read_manifest_in(&dir)?.0)
}

/// The manifest in `dir` (the `.berth` folder, already checked), with its bytes (`None`:
/// there is none).
pub fn read_manifest_in(dir: &Path) -> Result<(Manifest, Option<Vec<u8>>), WriteError> {
    let path = dir.join(MANIFEST);
    let Some(file) = safe::open_nofollow(&path)? else {
        return Ok((Manifest::new(), None));
    };
    let bytes = safe::read_bounded(file, &path, MAX_MANIFEST_BYTES)?;
    let manifest = parse_manifest(&bytes)
        .map_err(|reason| WriteError::BadManifest { path: path.display().to_string(), reason })?;
    Ok((manifest, Some(bytes)))
}

/// Parse and validate a manifest's bytes.
pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest, String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|error| format!("not JSON ({error})"))?;
    let files = value.get("files").and_then(serde_json::Value::as_object).ok_or("it has no `files` object")?;
    let mut manifest = Manifest::new();
    for (path, hash) in files {
        check_entry(path)?;
        let hash = hash.as_str().filter(|hash| is_sha256_hex(hash));
        let Some(hash) = hash else {
            return Err(format!("entry `{}` has no SHA-256 hash", path.escape_debug()));
        };
        manifest.insert(path.clone(), hash.to_owned());
    }
    Ok(manifest)
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The manifest text for `files` (path → hash): stable, pretty JSON with a final newline.
pub fn manifest_text(files: &BTreeMap<&str, &str>) -> String {
    let record = serde_json::json!({
        "generator": concat!("berth ", env!("CARGO_PKG_VERSION")),
        "files": files,
    });
    let mut text = serde_json::to_string_pretty(&record).unwrap_or_default();
    text.push('\n');
    text
}

/// What an interrupted build may have left: per path, the hashes it meant to write, and
/// the paths it created (which then hold any prefix of what it meant to write).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Journal {
    /// Path → hashes a build was about to write there.
    pub files: BTreeMap<String, Vec<String>>,
    /// Paths that did not exist before a build created them.
    pub created: std::collections::BTreeSet<String>,
}

impl Journal {
    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.created.is_empty()
    }

    /// Record that `path` will be written with `hash` (`created`: it does not exist yet).
    pub fn claim(&mut self, path: &str, hash: &str, created: bool) {
        let hashes = self.files.entry(path.to_owned()).or_default();
        if !hashes.iter().any(|known| known == hash) {
            hashes.push(hash.to_owned());
        }
        if created {
            self.created.insert(path.to_owned());
        }
    }

    fn text(&self) -> String {
        let record = serde_json::json!({ "files": self.files, "created": self.created });
        let mut text = serde_json::to_string_pretty(&record).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// The journal left by an interrupted build; empty when there is none.
pub fn read_journal(root: &Path) -> Result<Journal, WriteError> {
    let Some(dir) = state_dir(root)? else { return Ok(Journal::default()) };
    let path = dir.join(JOURNAL);
    let Some(file) = safe::open_nofollow(&path)? else { return Ok(Journal::default()) };
    let bytes = safe::read_bounded(file, &path, MAX_MANIFEST_BYTES)?;
    parse_journal(&bytes).map_err(|reason| WriteError::BadManifest { path: path.display().to_string(), reason })
}

fn parse_journal(bytes: &[u8]) -> Result<Journal, String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|error| format!("not JSON ({error})"))?;
    let mut journal = Journal::default();
    let files = value.get("files").and_then(serde_json::Value::as_object).ok_or("it has no `files` object")?;
    for (path, hashes) in files {
        check_entry(path)?;
        for hash in hashes.as_array().ok_or_else(|| format!("entry `{}` has no hash list", path.escape_debug()))? {
            let hash = hash.as_str().filter(|hash| is_sha256_hex(hash));
            let Some(hash) = hash else { return Err(format!("entry `{}` has no SHA-256 hash", path.escape_debug())) };
            journal.claim(path, hash, false);
        }
    }
    for path in value.get("created").and_then(serde_json::Value::as_array).ok_or("it has no `created` list")? {
        let path = path.as_str().ok_or("`created` holds a non-path")?;
        check_entry(path)?;
        journal.created.insert(path.to_owned());
    }
    Ok(journal)
}

fn check_entry(path: &str) -> Result<(), String> {
    if !safe::is_plain(path) || path.split('/').next() == Some(STATE_DIR) {
        return Err(format!("entry `{}` is not a plain path inside the output directory", path.escape_debug()));
    }
    Ok(())
}

/// Write the journal (before any output file is touched).
pub fn write_journal(dir: &Path, journal: &Journal) -> Result<(), WriteError> {
    replace_file(&dir.join(JOURNAL), journal.text().as_bytes()).map(drop)
}

/// Remove the journal (after the manifest is written).
pub fn remove_journal(dir: &Path) -> Result<(), WriteError> {
    let path = dir.join(JOURNAL);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(WriteError::Io { action: "remove", path: path.display().to_string(), source }),
    }
}

/// Write `bytes` to `path` through a sibling temporary file and a rename, so readers and
/// a later run see the old or the new file, never a part. The temporary file is created
/// like any new file (mode 0666 less the umask) and never through a link; the replaced
/// file's permissions are kept. Returns the new file's metadata (taken before the rename,
/// which keeps its size and modification time).
pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<std::fs::Metadata, WriteError> {
    use std::io::Write as _;
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.berth-tmp"));
    let err = |action: &'static str, at: &Path| {
        let at = at.display().to_string();
        move |source| WriteError::Io { action, path: at, source }
    };
    let existing = std::fs::symlink_metadata(path).ok().filter(std::fs::Metadata::is_file);
    let mut file = safe::create_options(false).open(&temp).map_err(err("create", &temp))?;
    crate::output::fault::tick(&temp)?;
    file.write_all(bytes).map_err(err("write", &temp))?;
    if let Some(meta) = existing {
        file.set_permissions(meta.permissions()).map_err(err("set permissions of", &temp))?;
    }
    let written = file.metadata().map_err(err("inspect", &temp))?;
    drop(file);
    std::fs::rename(&temp, path).map_err(err("replace", path))?;
    Ok(written)
}

/// Holds the output root's lock until dropped.
#[derive(Debug)]
pub struct Lock {
    _dir: std::fs::File,
    /// The `.berth` folder.
    pub dir: PathBuf,
}

/// Create `.berth` if needed (refusing a link) and lock it; `waiting` is called once
/// when another build holds the lock, before blocking until it is released.
pub fn lock(root: &Path, waiting: &dyn Fn()) -> Result<Lock, WriteError> {
    let dir = root.join(STATE_DIR);
    match std::fs::create_dir(&dir) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(source) => return Err(WriteError::Io { action: "create", path: dir.display().to_string(), source }),
    }
    state_dir(root)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_DIRECTORY);
    }
    let err = |source| WriteError::Io { action: "lock", path: dir.display().to_string(), source };
    let file = options.open(&dir).map_err(err)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            waiting();
            file.lock().map_err(err)?;
        }
        Err(std::fs::TryLockError::Error(source)) => return Err(err(source)),
    }
    Ok(Lock { _dir: file, dir })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn hostile_or_damaged_manifests_are_errors() {
        for bad in [
            "".to_owned(),
            "{".to_owned(),
            "[]".to_owned(),
            r#"{"files": 3}"#.to_owned(),
            format!(r#"{{"files": {{"../../x": "{HASH}"}}}}"#),
            format!(r#"{{"files": {{"/etc/passwd": "{HASH}"}}}}"#),
            format!(r#"{{"files": {{".berth/manifest.json": "{HASH}"}}}}"#),
            r#"{"files": {"a.yaml": "nothex"}}"#.to_owned(),
            r#"{"files": {"a.yaml": 1}}"#.to_owned(),
        ] {
            assert!(parse_manifest(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(parse_journal(format!(r#"{{"files": {{"../x": ["{HASH}"]}}, "created": []}}"#).as_bytes()).is_err());
        assert!(parse_journal(r#"{"files": {}, "created": ["/etc/x"]}"#.as_bytes()).is_err());
        let mut journal = Journal::default();
        journal.claim("dev/a.yaml", HASH, true);
        assert_eq!(parse_journal(journal.text().as_bytes()).unwrap(), journal);
        let good = format!(r#"{{"generator": "x", "files": {{"dev/a.yaml": "{HASH}"}}}}"#);
        assert_eq!(parse_manifest(good.as_bytes()).unwrap().len(), 1);
    }
}
