//! Generates the table of bundled CRD schemas from the files under `schemas/crds/`
//! (`<group>/<lower-case kind>_<version>.json`, see `schemas/README.md`), so the table and
//! the folder cannot drift apart and no group name is written in `compiler/src`.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/crds");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut rows = Vec::new();
    let groups = std::fs::read_dir(&root).map(|dir| dir.flatten().collect::<Vec<_>>()).unwrap_or_default();
    for group in groups {
        println!("cargo:rerun-if-changed={}", group.path().display());
        let files = std::fs::read_dir(group.path()).map(|dir| dir.flatten().collect::<Vec<_>>()).unwrap_or_default();
        for file in files {
            let name = file.file_name().to_string_lossy().into_owned();
            let Some((kind, version)) = name.strip_suffix(".json").and_then(|stem| stem.rsplit_once('_')) else {
                continue;
            };
            let path = file.path().canonicalize().unwrap_or_else(|_| file.path());
            rows.push((
                format!("{}/{version}", group.file_name().to_string_lossy()),
                kind.to_owned(),
                path.display().to_string(),
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
    let target = Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("crds.rs");
    if let Err(error) = std::fs::write(&target, out) {
        println!("cargo:warning=cannot write {}: {error}", target.display());
    }
}
