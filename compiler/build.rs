//! Generates two tables from folder listings, so a table and its folder cannot drift apart
//! and no file, group or cloud name is written in `compiler/src`:
//! - `crds.rs`: the bundled CRD schemas under `schemas/crds/`
//!   (`<group>/<lower-case kind>_<version>.json`, see `schemas/README.md`);
//! - `stdlib.rs`: every `.kdl` file under `stdlib/`, sorted by path (see `stdlib/README.md`).
//!
//! It also prepares the schemas the binary embeds (`schemas/k8s/`, `schemas/crds/`) once,
//! so that no run pays for it: CRD schemas closed as `kubectl --validate=strict` reads them,
//! `description`s dropped, compact JSON (`OUT_DIR/schemas/...`; a quarter of the bytes to
//! parse). The rewriting is `src/validate/strict.rs`, shared with the compiler's tests.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[path = "src/validate/strict.rs"]
mod strict;

fn main() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    prepare_k8s(&workspace.join("schemas/k8s"), &out_dir.join("schemas/k8s"));
    write(&out_dir.join("crds.rs"), &crds(&workspace.join("schemas/crds"), &out_dir.join("schemas/crds")));
    write(&out_dir.join("stdlib.rs"), &stdlib(&workspace));
    println!("cargo:rustc-env=BERTH_FRONT_END_KEY={}", front_end_key(&workspace));
}

/// A fingerprint of everything the lowered stdlib depends on: the stdlib text and the
/// source of the front end (`diag.rs`, `syntax/`, `model/`). `stdlib-lowered.jsonl`
/// records the key it was made with; with another key it is not used (`stdlib::lowered`).
/// FNV-1a over paths and bytes, stable across toolchains.
fn front_end_key(workspace: &Path) -> String {
    let compiler = workspace.join("compiler/src");
    let roots = [workspace.join("stdlib"), compiler.join("diag.rs"), compiler.join("syntax"), compiler.join("model")];
    let mut files = Vec::new();
    let mut pending: Vec<PathBuf> = roots.to_vec();
    while let Some(path) = pending.pop() {
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            pending.extend(entries(&path).iter().map(std::fs::DirEntry::path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in &files {
        let relative = file.strip_prefix(workspace).unwrap_or(file).to_string_lossy().replace('\\', "/");
        for byte in relative.bytes().chain([0]).chain(std::fs::read(file).unwrap_or_default()).chain([0]) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

fn write(target: &Path, text: &str) {
    if let Err(error) = std::fs::write(target, text) {
        println!("cargo:warning=cannot write {}: {error}", target.display());
    }
}

fn entries(dir: &Path) -> Vec<std::fs::DirEntry> {
    let mut out = std::fs::read_dir(dir).map(|dir| dir.flatten().collect::<Vec<_>>()).unwrap_or_default();
    out.sort_by_key(std::fs::DirEntry::file_name);
    out
}

fn absolute(path: &Path) -> String {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf()).display().to_string()
}

/// The schema at `from`, prepared (see the module comment), written to `to`; a file that
/// is not JSON is copied as it is, so the run reports it (`validate::BrokenSchema`).
fn prepare(from: &Path, to: &Path, crd: bool) {
    let text = std::fs::read_to_string(from).unwrap_or_default();
    let prepared = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(mut schema) => {
            if crd {
                strict::strictify(&mut schema);
            }
            serde_json::to_string(&strict::without_descriptions(&schema)).unwrap_or(text)
        }
        Err(_) => text,
    };
    if let Some(parent) = to.parent()
        && let Err(error) = std::fs::create_dir_all(parent)
    {
        println!("cargo:warning=cannot create {}: {error}", parent.display());
    }
    write(to, &prepared);
}

/// Every `schemas/k8s/v1.<minor>/<file>.json`, prepared into `out` (same layout).
fn prepare_k8s(root: &Path, out: &Path) {
    println!("cargo:rerun-if-changed={}", root.display());
    println!("cargo:rerun-if-changed=src/validate/strict.rs");
    for version in entries(root) {
        println!("cargo:rerun-if-changed={}", version.path().display());
        for file in entries(&version.path()) {
            let name = file.file_name();
            if Path::new(&name).extension().is_some_and(|ext| ext == "json") {
                prepare(&file.path(), &out.join(version.file_name()).join(&name), false);
            }
        }
    }
}

/// `const CRDS: &[(apiVersion, lower-case kind, schema text)]`, the texts prepared into `out`.
fn crds(root: &Path, out: &Path) -> String {
    println!("cargo:rerun-if-changed={}", root.display());
    let mut rows = Vec::new();
    for group in entries(root) {
        println!("cargo:rerun-if-changed={}", group.path().display());
        for file in entries(&group.path()) {
            let name = file.file_name().to_string_lossy().into_owned();
            let Some((kind, version)) = name.strip_suffix(".json").and_then(|stem| stem.rsplit_once('_')) else {
                continue;
            };
            let prepared = out.join(group.file_name()).join(&name);
            prepare(&file.path(), &prepared, true);
            rows.push((
                format!("{}/{version}", group.file_name().to_string_lossy()),
                kind.to_owned(),
                absolute(&prepared),
            ));
        }
    }
    rows.sort();
    let mut out =
        String::from("/// `(apiVersion, lower-case kind, schema text)` of every file under `schemas/crds/`.\n");
    out.push_str("const CRDS: &[(&str, &str, &str)] = &[\n");
    for (api_version, kind, path) in &rows {
        let _ = writeln!(out, "    ({api_version:?}, {kind:?}, include_str!({path:?})),");
    }
    out.push_str("];\n");
    out
}

/// `pub const FILES: &[(pseudo-path, text)]`: every `.kdl` file under `stdlib/`, sorted by
/// pseudo-path (`<stdlib/targets/eks.kdl>`).
fn stdlib(workspace: &Path) -> String {
    let mut rows = Vec::new();
    let mut dirs = vec![workspace.join("stdlib")];
    while let Some(dir) = dirs.pop() {
        println!("cargo:rerun-if-changed={}", dir.display());
        for entry in entries(&dir) {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|ext| ext == "kdl") {
                let relative = path.strip_prefix(workspace).unwrap_or(&path).to_string_lossy().replace('\\', "/");
                rows.push((format!("<{relative}>"), absolute(&path)));
            }
        }
    }
    rows.sort();
    let mut out = String::from("/// Every stdlib file as `(pseudo-path, text)`, sorted by pseudo-path.\n");
    out.push_str("///\n/// The pseudo-path is the file's path under the workspace root in angle brackets, so it\n");
    out.push_str("/// can never collide with a real file given on the command line.\n");
    out.push_str("pub const FILES: &[(&str, &str)] = &[\n");
    for (pseudo, path) in &rows {
        let _ = writeln!(out, "    ({pseudo:?}, include_str!({path:?})),");
    }
    out.push_str("];\n");
    out
}
