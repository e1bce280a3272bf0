//! Writing an artifact tree to disk: atomic per file, idempotent, and never touching a
//! file Berth did not write.
//!
//! The record of owned files is `<root>/.berth/manifest.json`: each path Berth wrote with
//! the SHA-256 of the bytes it wrote. A rebuild removes a previously written file that is
//! no longer produced only if its bytes are still what Berth wrote; a file someone edited
//! is left in place and reported. A file Berth did not write is never overwritten or
//! removed. The manifest is written last, so an interrupted run converges on the next.

use crate::output::safe::{self, CheckedDirs};
use crate::output::state;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

pub use crate::output::state::{MANIFEST, STATE_DIR, read_manifest};

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
    /// A path under the output root is (or passes through) a symbolic link.
    #[error("`{0}` is a symbolic link; berth never follows links inside its output directory")]
    #[diagnostic(
        code(output::symlink),
        help(
            "replace the link with the real file or folder (or remove it); a link there could expose or overwrite files elsewhere"
        )
    )]
    Symlink(String),
    /// A path under the output root is not a regular file (or a parent is not a folder).
    #[error("`{0}` is not a regular file or folder")]
    #[diagnostic(
        code(output::not_a_file),
        help("remove it; berth only reads and writes regular files in its output directory")
    )]
    NotAFile(String),
    /// A file is larger than berth will read.
    #[error("`{path}` is larger than {limit} bytes")]
    #[diagnostic(code(output::too_large), help("this is not a file berth wrote; move it away"))]
    TooLarge {
        /// The file.
        path: String,
        /// The bound in bytes.
        limit: u64,
    },
    /// The ownership record is damaged or was edited to point elsewhere.
    #[error("`{path}` is not a valid berth manifest: {reason}")]
    #[diagnostic(
        code(output::bad_manifest),
        help("restore it from version control, or delete the output directory and build again; nothing was written")
    )]
    BadManifest {
        /// The manifest file.
        path: String,
        /// What is wrong.
        reason: String,
    },
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
    let mut dirs = CheckedDirs::default();

    // Check every path before touching anything, so a refusal writes nothing.
    let mut plans = Vec::new();
    for (relative, text) in files {
        let path = dirs.join(root, relative)?;
        match safe::read_file(&path)? {
            Some(existing) if existing == text.as_bytes() => summary.unchanged += 1,
            Some(existing) => {
                let owned = previous.get(relative).is_some_and(|hash| *hash == sha256_hex(&existing));
                if !owned {
                    return Err(WriteError::ForeignFile(relative.clone()));
                }
                plans.push((path, relative, text));
            }
            None => plans.push((path, relative, text)),
        }
    }
    for (path, relative, text) in plans {
        write_atomic(&path, text.as_bytes())?;
        summary.written.push(relative.clone());
    }

    for (relative, hash) in &previous {
        if files.contains_key(relative) {
            continue;
        }
        let path = dirs.join(root, relative)?;
        match safe::read_file(&path)? {
            Some(existing) if sha256_hex(&existing) == *hash => {
                fs::remove_file(&path).map_err(io("remove", &path))?;
                remove_empty_parents(root, &path);
                summary.removed.push(relative.clone());
            }
            Some(_) => summary.kept_edited.push(relative.clone()),
            None => {} // already gone
        }
    }

    let hashes: Vec<(&str, String)> =
        files.iter().map(|(path, text)| (path.as_str(), sha256_hex(text.as_bytes()))).collect();
    let text = state::manifest_text(&hashes.iter().map(|(path, hash)| (*path, hash.as_str())).collect());
    let manifest_path = root.join(STATE_DIR).join(MANIFEST);
    write_atomic(&manifest_path, text.as_bytes())?;
    Ok(summary)
}

fn prepare_root(root: &Path) -> Result<(), WriteError> {
    if !safe::check_root(root)? {
        return fs::create_dir_all(root).map_err(io("create", root));
    }
    let has_manifest = match state::state_dir(root)? {
        Some(dir) => safe::open_nofollow(&dir.join(MANIFEST))?.is_some(),
        None => false,
    };
    let mut entries = fs::read_dir(root).map_err(io("read", root))?;
    if !has_manifest && entries.next().is_some() {
        return Err(WriteError::ForeignRoot(root.display().to_string()));
    }
    Ok(())
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
