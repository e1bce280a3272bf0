//! Reading and joining paths without following symbolic links, with bounded reads.
//!
//! Everything under an output root is untrusted data (it is often committed by whoever
//! opened a pull request): a link there could point at `/proc/self/environ` or a
//! credentials file, and `build --check` would print it as a diff. So every path under
//! the root is checked component by component (no component may be a symbolic link), the
//! final file is opened with `O_NOFOLLOW` and non-blocking (a FIFO cannot hang the run),
//! must be a regular file, and is read only up to a bound.

use crate::output::write::WriteError;
use crate::resolve::SpecFiles;
use std::collections::{BTreeSet, HashSet};
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

/// The most bytes read from one file under an output root (a generated file is far
/// smaller; a bigger one is not Berth's).
pub const MAX_OUTPUT_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Whether `relative` is a plain relative path Berth may write: non-empty, `/`-separated
/// normal components only (no `..`, no root, no `\`, no NUL).
pub fn is_plain(relative: &str) -> bool {
    !relative.is_empty()
        && !relative.contains('\\')
        && !relative.contains('\0')
        && !relative.ends_with('/')
        && relative.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
        && Path::new(relative).components().all(|c| matches!(c, Component::Normal(_)))
}

/// Directories under one root already checked to be real directories (not links), so
/// each is inspected once per run however many files it holds.
#[derive(Debug, Default)]
pub struct CheckedDirs {
    real: HashSet<PathBuf>,
}

impl CheckedDirs {
    /// `root/relative` after checking that no existing component below `root` is a
    /// symbolic link and every existing parent is a directory. Missing components are
    /// fine (the file or its folders do not exist yet).
    pub fn join(&mut self, root: &Path, relative: &str) -> Result<PathBuf, WriteError> {
        if !is_plain(relative) {
            return Err(WriteError::PathEscape(relative.to_owned()));
        }
        let mut path = root.to_path_buf();
        let parts: Vec<&str> = relative.split('/').collect();
        let last = parts.len() - 1;
        let mut missing = false;
        for (index, part) in parts.iter().enumerate() {
            path.push(part);
            if missing || (index < last && self.real.contains(&path)) {
                continue;
            }
            match fs::symlink_metadata(&path) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(WriteError::Symlink(display(root, &parts[..=index])));
                }
                Ok(meta) if index < last => {
                    if !meta.is_dir() {
                        return Err(WriteError::NotAFile(display(root, &parts[..=index])));
                    }
                    self.real.insert(path.clone());
                }
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::NotFound => missing = true,
                Err(source) => {
                    return Err(WriteError::Io { action: "inspect", path: path.display().to_string(), source });
                }
            }
        }
        Ok(path)
    }

    /// Remember that `dir` (under the root) now exists as a real directory.
    pub fn created(&mut self, dir: PathBuf) {
        self.real.insert(dir);
    }

    /// Forget every directory at or below `dir` (it was removed).
    pub fn removed(&mut self, dir: &Path) {
        self.real.retain(|known| !known.starts_with(dir));
    }
}

/// The folders a tree of files needs under a root, each inspected once: every folder
/// that exists is checked to be a real folder (not a link), and nothing below a missing
/// folder is inspected (it is missing too). Made before anything is written.
#[derive(Debug, Default)]
pub struct Folders<'a> {
    missing: BTreeSet<&'a str>,
}

impl<'a> Folders<'a> {
    /// Check the folders of `relatives` (plain paths, see [`is_plain`]) under `root`.
    pub fn check(root: &Path, relatives: impl IntoIterator<Item = &'a str>) -> Result<Folders<'a>, WriteError> {
        let mut all = BTreeSet::new();
        for relative in relatives {
            all.extend(relative.match_indices('/').map(|(at, _)| &relative[..at]));
        }
        // A parent is a prefix of its children, so it comes first.
        let mut missing = BTreeSet::new();
        for folder in all {
            if parent(folder).is_some_and(|parent| missing.contains(parent)) {
                missing.insert(folder);
                continue;
            }
            let path = root.join(folder);
            match fs::symlink_metadata(&path) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(WriteError::Symlink(path.display().to_string()));
                }
                Ok(meta) if !meta.is_dir() => return Err(WriteError::NotAFile(path.display().to_string())),
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    missing.insert(folder);
                }
                Err(source) => {
                    return Err(WriteError::Io { action: "inspect", path: path.display().to_string(), source });
                }
            }
        }
        Ok(Folders { missing })
    }

    /// Whether the folder holding `relative` is missing (so `relative` is too).
    pub fn parent_missing(&self, relative: &str) -> bool {
        parent(relative).is_some_and(|parent| self.missing.contains(parent))
    }

    /// Create the missing folders, parents first, each with one `mkdir`; one that
    /// appeared since the check must be a real folder.
    pub fn create(&self, root: &Path) -> Result<(), WriteError> {
        for folder in &self.missing {
            let path = root.join(folder);
            match fs::create_dir(&path) {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => match fs::symlink_metadata(&path) {
                    Ok(meta) if meta.file_type().is_symlink() => {
                        return Err(WriteError::Symlink(path.display().to_string()));
                    }
                    Ok(meta) if meta.is_dir() => {}
                    _ => return Err(WriteError::NotAFile(path.display().to_string())),
                },
                Err(source) => {
                    return Err(WriteError::Io { action: "create", path: path.display().to_string(), source });
                }
            }
        }
        Ok(())
    }
}

/// The folder part of a relative path, if it has one.
fn parent(relative: &str) -> Option<&str> {
    relative.rfind('/').map(|at| &relative[..at])
}

fn display(root: &Path, parts: &[&str]) -> String {
    root.join(parts.join("/")).display().to_string()
}

/// Open `path` for reading without following a final symbolic link and without blocking
/// on a FIFO or device. `Ok(None)` when it does not exist.
pub fn open_nofollow(path: &Path) -> Result<Option<File>, WriteError> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    #[cfg(not(unix))]
    if fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink()) {
        return Err(WriteError::Symlink(path.display().to_string()));
    }
    match options.open(path) {
        Ok(file) => Ok(Some(file)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        #[cfg(unix)]
        Err(error) if error.raw_os_error() == Some(libc::ELOOP) => Err(WriteError::Symlink(path.display().to_string())),
        Err(source) => Err(WriteError::Io { action: "open", path: path.display().to_string(), source }),
    }
}

/// Read at most `limit` bytes of an open file; `Err` names `path` when it holds more.
pub fn read_bounded(file: File, path: &Path, limit: u64) -> Result<Vec<u8>, WriteError> {
    read_bounded_meta(file, path, limit).map(|(bytes, _)| bytes)
}

/// [`read_bounded`], with the file's metadata (taken from the open file, before reading).
pub fn read_bounded_meta(file: File, path: &Path, limit: u64) -> Result<(Vec<u8>, fs::Metadata), WriteError> {
    let meta = file.metadata().map_err(|source| WriteError::Io {
        action: "inspect",
        path: path.display().to_string(),
        source,
    })?;
    if !meta.is_file() {
        return Err(WriteError::NotAFile(path.display().to_string()));
    }
    if meta.len() > limit {
        return Err(WriteError::TooLarge { path: path.display().to_string(), limit });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|source| WriteError::Io {
        action: "read",
        path: path.display().to_string(),
        source,
    })?;
    if bytes.len() as u64 > limit {
        return Err(WriteError::TooLarge { path: path.display().to_string(), limit });
    }
    Ok((bytes, meta))
}

/// The bytes of `path` (already joined safely), or `None` when it does not exist.
pub fn read_file(path: &Path) -> Result<Option<Vec<u8>>, WriteError> {
    match open_nofollow(path)? {
        Some(file) => read_bounded(file, path, MAX_OUTPUT_FILE_BYTES).map(Some),
        None => Ok(None),
    }
}

/// Options to create a file for writing, never through a final link, with the mode
/// ordinary tools use (0666 less the umask). `exclusive`: fail when it exists.
pub fn create_options(exclusive: bool) -> fs::OpenOptions {
    let mut options = fs::OpenOptions::new();
    options.write(true);
    if exclusive {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options
}

/// Refuse an output root that is a symbolic link or not a directory. `Ok(false)` when
/// it does not exist.
pub fn check_root(root: &Path) -> Result<bool, WriteError> {
    match fs::symlink_metadata(root) {
        Ok(meta) if meta.file_type().is_symlink() || !meta.is_dir() => {
            Err(WriteError::UnsafeRoot(root.display().to_string()))
        }
        Ok(_) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(WriteError::Io { action: "inspect", path: root.display().to_string(), source }),
    }
}

/// Why an input file (a spec or a library file) was not read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// An I/O error.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// A symbolic link to a file outside the folder holding the link.
    #[error("it is a symbolic link to `{0}`, outside its folder; berth does not follow links out of the spec's folder")]
    LinkLeavesFolder(String),
    /// More bytes than the spec size limit: a spec error, reported at the limit.
    #[error("it is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
        /// The text up to the limit (invalid UTF-8 replaced), for the report.
        text: String,
    },
    /// Not UTF-8: a spec error, reported at the first bad byte.
    #[error("it is not UTF-8")]
    NotUtf8 {
        /// The text with every invalid sequence replaced by U+FFFD, for the report.
        text: String,
        /// Byte offset of the first invalid sequence (the same in the file and `text`).
        offset: usize,
        /// The first invalid byte.
        byte: u8,
    },
}

/// The reader of the files next to `spec` that `type="file"` backing properties name
/// (`init-sql-file`): below the spec's folder, no component a symbolic link, a regular
/// file opened without following links or blocking, at most
/// [`SPEC_FILE_BYTES`](crate::model::bounds::SPEC_FILE_BYTES), UTF-8. `-` (standard
/// input) has no folder, so it reads none. The core has checked the path is plain.
pub fn spec_files(spec: &Path) -> SpecFiles {
    if spec == Path::new("-") {
        return SpecFiles::default();
    }
    let folder = match spec.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    SpecFiles::new(move |relative| read_spec_file(&folder, relative))
}

fn read_spec_file(folder: &Path, relative: &str) -> Result<String, String> {
    let limit = crate::model::bounds::SPEC_FILE_BYTES as u64;
    let reason = |error: WriteError| match error {
        WriteError::Symlink(_) => {
            "it, or a folder on its path, is a symbolic link; berth follows no links next to the spec".to_owned()
        }
        WriteError::NotAFile(_) => "it is not a regular file".to_owned(),
        WriteError::TooLarge { limit, .. } => format!("it is larger than {limit} bytes"),
        WriteError::Io { source, .. } => source.to_string(),
        other => other.to_string(),
    };
    let path = CheckedDirs::default().join(folder, relative).map_err(reason)?;
    let file = open_nofollow(&path).map_err(reason)?.ok_or_else(|| "there is no such file".to_owned())?;
    let bytes = read_bounded(file, &path, limit).map_err(reason)?;
    String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_owned())
}

/// The text of an input file, read at most `limit` bytes (a device or a stream such as
/// `/dev/zero` fails fast). A symbolic link to a regular file outside the folder holding
/// the link is refused: a committed `berth.kdl -> /proc/self/environ` would otherwise be
/// echoed into diagnostics. Links to pipes (`<(...)`, `/dev/stdin`) are read.
pub fn read_input(path: &Path, limit: usize) -> Result<String, InputError> {
    if let Some(target) = link_leaving_folder(path) {
        return Err(InputError::LinkLeavesFolder(target.display().to_string()));
    }
    read_limited(File::open(path)?, limit)
}

/// Read a stream up to `limit` bytes as UTF-8 text.
pub fn read_limited(reader: impl Read, limit: usize) -> Result<String, InputError> {
    let mut bytes = Vec::new();
    reader.take(limit as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        bytes.truncate(limit);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        return Err(InputError::TooLarge { limit, text });
    }
    String::from_utf8(bytes).map_err(|error| {
        let offset = error.utf8_error().valid_up_to();
        let byte = error.as_bytes().get(offset).copied().unwrap_or_default();
        InputError::NotUtf8 { text: String::from_utf8_lossy(error.as_bytes()).into_owned(), offset, byte }
    })
}

/// The target of `path` when it is a symbolic link that resolves to a regular file (or
/// folder) outside the folder holding the link.
fn link_leaving_folder(path: &Path) -> Option<PathBuf> {
    let meta = fs::symlink_metadata(path).ok()?;
    if !meta.file_type().is_symlink() {
        return None;
    }
    let target = fs::canonicalize(path).ok()?;
    let kind = fs::metadata(&target).ok()?;
    if !kind.is_file() && !kind.is_dir() {
        return None;
    }
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let folder = fs::canonicalize(parent).ok()?;
    (!target.starts_with(&folder)).then_some(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths() {
        for good in ["a", "a/b.yaml", "dev/x/y/z.yaml", ".berth-like/x"] {
            assert!(is_plain(good), "{good}");
        }
        for bad in ["", "/a", "../a", "a/../b", "a//b", "a/", "./a", "a\\b", "a\0b", "a/./b"] {
            assert!(!is_plain(bad), "{bad:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_on_any_component_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("out");
        fs::create_dir_all(root.join("dev/x")).unwrap();
        fs::write(dir.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), root.join("dev/x/a.yaml")).unwrap();
        std::os::unix::fs::symlink(dir.path(), root.join("link")).unwrap();
        let mut dirs = CheckedDirs::default();
        assert!(matches!(dirs.join(&root, "dev/x/a.yaml"), Err(WriteError::Symlink(_))));
        assert!(matches!(dirs.join(&root, "link/secret"), Err(WriteError::Symlink(_))));
        assert!(matches!(read_file(&root.join("dev/x/a.yaml")), Err(WriteError::Symlink(_))));
        assert!(dirs.join(&root, "dev/x/new.yaml").is_ok());
        assert!(dirs.join(&root, "dev/missing/deeper/new.yaml").is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn input_links_may_not_leave_their_folder() {
        let dir = tempfile::tempdir().unwrap();
        let specs = dir.path().join("specs");
        fs::create_dir_all(specs.join("sub")).unwrap();
        fs::write(dir.path().join("secret"), "token").unwrap();
        fs::write(specs.join("sub/real.kdl"), "a 1").unwrap();
        std::os::unix::fs::symlink("../secret", specs.join("out.kdl")).unwrap();
        std::os::unix::fs::symlink("sub/real.kdl", specs.join("in.kdl")).unwrap();
        assert!(matches!(read_input(&specs.join("out.kdl"), 100), Err(InputError::LinkLeavesFolder(_))));
        assert_eq!(read_input(&specs.join("in.kdl"), 100).unwrap(), "a 1");
        assert!(matches!(read_input(Path::new("/dev/zero"), 1000), Err(InputError::TooLarge { limit: 1000, .. })));
    }
}
