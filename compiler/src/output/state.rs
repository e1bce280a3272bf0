//! Berth's bookkeeping folder `<root>/.berth`: the ownership record (`manifest.json`).
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
    let path = dir.join(MANIFEST);
    let Some(file) = safe::open_nofollow(&path)? else {
        return Ok(Manifest::new());
    };
    let bytes = safe::read_bounded(file, &path, MAX_MANIFEST_BYTES)?;
    parse_manifest(&bytes).map_err(|reason| WriteError::BadManifest { path: path.display().to_string(), reason })
}

/// Parse and validate a manifest's bytes.
pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest, String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|error| format!("not JSON ({error})"))?;
    let files = value.get("files").and_then(serde_json::Value::as_object).ok_or("it has no `files` object")?;
    let mut manifest = Manifest::new();
    for (path, hash) in files {
        if !safe::is_plain(path) || path.split('/').next() == Some(STATE_DIR) {
            return Err(format!("entry `{}` is not a plain path inside the output directory", path.escape_debug()));
        }
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
        let good = format!(r#"{{"generator": "x", "files": {{"dev/a.yaml": "{HASH}"}}}}"#);
        assert_eq!(parse_manifest(good.as_bytes()).unwrap().len(), 1);
    }
}
