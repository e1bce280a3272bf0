//! Writing an artifact tree to disk: atomic per file, idempotent, and never touching a
//! file Berth did not write.
//!
//! The record of owned files is `<root>/.berth/manifest.json`: each path Berth wrote with
//! the SHA-256 of the bytes it wrote. A rebuild removes a previously written file that is
//! no longer produced only if its bytes are still what Berth wrote; a file someone edited
//! is left in place and reported. A file Berth did not write is never overwritten or
//! removed. The manifest is written last, so an interrupted run converges on the next.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// Folder (under the output root) holding Berth's own bookkeeping.
pub const STATE_DIR: &str = ".berth";
/// The ownership record inside [`STATE_DIR`].
pub const MANIFEST: &str = "manifest.json";

/// What a write did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteSummary {
    /// Files created or changed.
    pub written: Vec<String>,
    /// Files already identical (left untouched, mtime kept).
    pub unchanged: usize,
    /// Files Berth wrote earlier and removed now.
    pub removed: Vec<String>,
    /// Files Berth wrote earlier, no longer produced, but edited since: left in place.
    pub kept_edited: Vec<String>,
}

/// Why nothing (or not everything) could be written.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum WriteError {
    /// An I/O operation failed.
    #[error("cannot {action} `{path}`: {source}")]
    #[diagnostic(code(output::io))]
    Io {
        /// What was attempted.
        action: &'static str,
        /// On which path.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The output root is a symlink or not a directory.
    #[error("output directory `{0}` is a symlink or not a directory")]
    #[diagnostic(code(output::unsafe_root), help("give a real directory with `-o`"))]
    UnsafeRoot(String),
    /// The root holds files but no Berth manifest: it may belong to someone else.
    #[error("output directory `{0}` is not empty and was not written by berth")]
    #[diagnostic(
        code(output::foreign_root),
        help("choose an empty or new directory; berth only writes where it keeps a record of what it owns")
    )]
    ForeignRoot(String),
    /// A file exists at a path Berth wants to write, and Berth did not write it.
    #[error("`{0}` exists and was not written by berth")]
    #[diagnostic(code(output::foreign_file), help("move the file away; berth never overwrites files it does not own"))]
    ForeignFile(String),
    /// A generated path is not a plain relative path (a compiler bug: names are validated).
    #[error("refusing to write outside the output directory: `{0}`")]
    #[diagnostic(code(output::path_escape), help("this is a bug in Berth; please report it"))]
    PathEscape(String),
}

fn io<'p>(action: &'static str, path: &'p Path) -> impl FnOnce(std::io::Error) -> WriteError + 'p {
    move |source| WriteError::Io { action, path: path.display().to_string(), source }
}

/// SHA-256 of some bytes, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Write `files` (relative path -> text) under `root`.
pub fn write_tree(root: &Path, files: &BTreeMap<String, String>) -> Result<WriteSummary, WriteError> {
    prepare_root(root)?;
    let previous = read_manifest(root)?;
    let mut summary = WriteSummary::default();

    // Check every path before touching anything, so a refusal writes nothing.
    let mut plans = Vec::new();
    for (relative, text) in files {
        let path = safe_join(root, relative)?;
        let new_hash = sha256_hex(text.as_bytes());
        match fs::read(&path) {
            Ok(existing) if existing == text.as_bytes() => summary.unchanged += 1,
            Ok(existing) => {
                let owned = previous.get(relative).is_some_and(|hash| *hash == sha256_hex(&existing));
                if !owned {
                    return Err(WriteError::ForeignFile(relative.clone()));
                }
                plans.push((path, relative, text));
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => plans.push((path, relative, text)),
            Err(error) => {
                return Err(WriteError::Io { action: "read", path: path.display().to_string(), source: error });
            }
        }
        let _ = new_hash;
    }
    for (path, relative, text) in plans {
        write_atomic(&path, text.as_bytes())?;
        summary.written.push(relative.clone());
    }

    for (relative, hash) in &previous {
        if files.contains_key(relative) {
            continue;
        }
        let path = safe_join(root, relative)?;
        match fs::read(&path) {
            Ok(existing) if sha256_hex(&existing) == *hash => {
                fs::remove_file(&path).map_err(io("remove", &path))?;
                remove_empty_parents(root, &path);
                summary.removed.push(relative.clone());
            }
            Ok(_) => summary.kept_edited.push(relative.clone()),
            Err(_) => {} // already gone
        }
    }

    let manifest: BTreeMap<&String, String> =
        files.iter().map(|(path, text)| (path, sha256_hex(text.as_bytes()))).collect();
    let record = serde_json::json!({
        "generator": concat!("berth ", env!("CARGO_PKG_VERSION")),
        "files": manifest,
    });
    let mut text = serde_json::to_string_pretty(&record).unwrap_or_default();
    text.push('\n');
    let manifest_path = root.join(STATE_DIR).join(MANIFEST);
    write_atomic(&manifest_path, text.as_bytes())?;
    Ok(summary)
}

/// The files the previous run recorded as written, with their hashes.
pub fn read_manifest(root: &Path) -> Result<BTreeMap<String, String>, WriteError> {
    let path = root.join(STATE_DIR).join(MANIFEST);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(error) => return Err(WriteError::Io { action: "read", path: path.display().to_string(), source: error }),
    };
    let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let mut files = BTreeMap::new();
    if let Some(map) = value.get("files").and_then(|f| f.as_object()) {
        for (path, hash) in map {
            if let Some(hash) = hash.as_str() {
                files.insert(path.clone(), hash.to_owned());
            }
        }
    }
    Ok(files)
}

fn prepare_root(root: &Path) -> Result<(), WriteError> {
    match fs::symlink_metadata(root) {
        Ok(meta) if meta.file_type().is_symlink() || !meta.is_dir() => {
            Err(WriteError::UnsafeRoot(root.display().to_string()))
        }
        Ok(_) => {
            let has_manifest = root.join(STATE_DIR).join(MANIFEST).is_file();
            let mut entries = fs::read_dir(root).map_err(io("read", root))?;
            if !has_manifest && entries.next().is_some() {
                return Err(WriteError::ForeignRoot(root.display().to_string()));
            }
            Ok(())
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir_all(root).map_err(io("create", root))
        }
        Err(error) => Err(WriteError::Io { action: "inspect", path: root.display().to_string(), source: error }),
    }
}

/// `root/relative`, refusing anything but plain relative components and symlinked parents.
fn safe_join(root: &Path, relative: &str) -> Result<PathBuf, WriteError> {
    let relative_path = Path::new(relative);
    let plain = relative_path.components().all(|c| matches!(c, Component::Normal(_)));
    if !plain || relative.is_empty() || relative.contains('\\') {
        return Err(WriteError::PathEscape(relative.to_owned()));
    }
    let mut path = root.to_path_buf();
    for component in relative_path.components() {
        path.push(component);
        if let Ok(meta) = fs::symlink_metadata(&path)
            && meta.file_type().is_symlink()
        {
            return Err(WriteError::PathEscape(relative.to_owned()));
        }
    }
    Ok(path)
}

/// Write to a temporary file in the same directory, then rename it over the target.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io("create", dir))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".berth-tmp-")
        .tempfile_in(dir)
        .map_err(io("create a temporary file in", dir))?;
    temp.write_all(bytes).map_err(io("write", path))?;
    // No fsync per file: the rename already makes each file old-or-new for readers and
    // after a crash of berth, and syncing 20,000 files cost 6 s of a 12 s build (see
    // tests/README.md). Output is regenerable; durability across power loss is not a goal.
    temp.persist(path).map_err(|e| WriteError::Io {
        action: "replace",
        path: path.display().to_string(),
        source: e.error,
    })?;
    Ok(())
}

/// Remove now-empty directories between a removed file and the root.
fn remove_empty_parents(root: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(current) = dir {
        if current == root || !current.starts_with(root) {
            break;
        }
        if fs::remove_dir(current).is_err() {
            break; // not empty (or not ours to remove)
        }
        dir = current.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
        entries.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())).collect()
    }

    #[test]
    fn rebuild_removes_only_its_own_unedited_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("out");
        write_tree(&root, &tree(&[("dev/a/x.yaml", "a\n"), ("dev/a/y.yaml", "b\n"), ("dev/b/z.yaml", "c\n")])).unwrap();
        fs::write(root.join("dev/a/mine.txt"), "user file").unwrap();
        fs::write(root.join("dev/a/y.yaml"), "edited").unwrap();
        let summary = write_tree(&root, &tree(&[("dev/a/x.yaml", "a\n")])).unwrap();
        assert_eq!(summary.unchanged, 1);
        assert_eq!(summary.removed, vec!["dev/b/z.yaml".to_owned()]);
        assert_eq!(summary.kept_edited, vec!["dev/a/y.yaml".to_owned()]);
        assert!(root.join("dev/a/mine.txt").exists());
        assert!(!root.join("dev/b").exists(), "emptied directory is removed");
    }

    #[test]
    fn refuses_foreign_directories_and_files() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("notes.txt"), "x").unwrap();
        assert!(matches!(write_tree(dir.path(), &tree(&[("a.yaml", "a")])), Err(WriteError::ForeignRoot(_))));

        let root = dir.path().join("out");
        write_tree(&root, &tree(&[("a.yaml", "a")])).unwrap();
        fs::write(root.join("b.yaml"), "someone else's").unwrap();
        let result = write_tree(&root, &tree(&[("a.yaml", "a"), ("b.yaml", "b")]));
        assert!(matches!(result, Err(WriteError::ForeignFile(_))));
        assert_eq!(fs::read_to_string(root.join("b.yaml")).unwrap(), "someone else's");
        assert_eq!(fs::read_to_string(root.join("a.yaml")).unwrap(), "a");
    }

    #[test]
    fn refuses_paths_that_escape() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["../x.yaml", "/etc/x", "a/../../x", ""] {
            assert!(matches!(write_tree(dir.path(), &tree(&[(bad, "x")])), Err(WriteError::PathEscape(_))), "{bad}");
        }
    }
}
