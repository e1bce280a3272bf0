//! The standard library: cloud profiles, backing-service kinds and workload defaults,
//! embedded in the binary as Berth source text.
//!
//! In: the `.kdl` files under `stdlib/` at the workspace root, read at compile time with
//! `include_str!`. Out: [`FILES`], `(pseudo-path, text)` pairs sorted by path. The driver
//! turns each pair into a `SourceFile` and runs it through the same `syntax` and `model`
//! stages as a spec, so stdlib diagnostics read `<stdlib/targets/eks.kdl>:12:5`.
//! A user library folder (`berth build --lib DIR`) is read after these files, and a later
//! `cloud`, `backing-kind` or `defaults` with the same name replaces the stdlib one.
//!
//! This module holds data only: no parsing, no filesystem access at run time.

/// Every stdlib file as `(pseudo-path, text)`, sorted by pseudo-path.
///
/// The pseudo-path is the file's path under the workspace root in angle brackets, so it
/// can never collide with a real file given on the command line.
pub const FILES: &[(&str, &str)] = &[
    ("<stdlib/defaults.kdl>", include_str!("../../stdlib/defaults.kdl")),
    ("<stdlib/kinds/bucket.kdl>", include_str!("../../stdlib/kinds/bucket.kdl")),
    ("<stdlib/kinds/kafka.kdl>", include_str!("../../stdlib/kinds/kafka.kdl")),
    ("<stdlib/kinds/mongodb.kdl>", include_str!("../../stdlib/kinds/mongodb.kdl")),
    ("<stdlib/kinds/postgres.kdl>", include_str!("../../stdlib/kinds/postgres.kdl")),
    ("<stdlib/kinds/rabbitmq.kdl>", include_str!("../../stdlib/kinds/rabbitmq.kdl")),
    ("<stdlib/kinds/redis.kdl>", include_str!("../../stdlib/kinds/redis.kdl")),
    ("<stdlib/targets/aks.kdl>", include_str!("../../stdlib/targets/aks.kdl")),
    ("<stdlib/targets/eks.kdl>", include_str!("../../stdlib/targets/eks.kdl")),
    ("<stdlib/targets/gke.kdl>", include_str!("../../stdlib/targets/gke.kdl")),
    ("<stdlib/targets/onprem.kdl>", include_str!("../../stdlib/targets/onprem.kdl")),
    ("<stdlib/targets/openshift.kdl>", include_str!("../../stdlib/targets/openshift.kdl")),
];

#[cfg(test)]
mod tests {
    use super::FILES;
    use std::path::{Path, PathBuf};

    #[test]
    fn files_are_non_empty_and_sorted() {
        for (path, text) in FILES {
            assert!(!text.trim().is_empty(), "{path} is empty");
        }
        let paths: Vec<&str> = FILES.iter().map(|(path, _)| *path).collect();
        let mut sorted = paths.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(paths, sorted, "stdlib::FILES must be sorted by path, without duplicates");
    }

    /// Every `.kdl` file under `stdlib/` must be listed, so a new file cannot be forgotten.
    #[test]
    fn every_stdlib_file_is_listed() {
        fn collect(dir: &Path, root: &Path, out: &mut Vec<String>) {
            let entries = std::fs::read_dir(dir).expect("stdlib dir is readable");
            for entry in entries {
                let path = entry.expect("dir entry").path();
                if path.is_dir() {
                    collect(&path, root, out);
                } else if path.extension().is_some_and(|ext| ext == "kdl") {
                    let relative = path.strip_prefix(root).expect("under the workspace root");
                    let relative = relative.to_string_lossy().replace('\\', "/");
                    out.push(format!("<{relative}>"));
                }
            }
        }
        let root: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut on_disk = Vec::new();
        collect(&root.join("stdlib"), &root, &mut on_disk);
        on_disk.sort_unstable();
        let listed: Vec<String> = FILES.iter().map(|(path, _)| (*path).to_owned()).collect();
        assert_eq!(listed, on_disk, "stdlib::FILES and the .kdl files under stdlib/ differ");
    }
}
