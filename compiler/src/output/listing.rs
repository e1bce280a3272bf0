//! The whole artifact tree as one text: each file's path as a heading, then its bytes.
//! This is what emit and example snapshots show, so a reviewer reads exactly the files.

use crate::emit::ArtifactTree;
use crate::output::file;

/// Render every artifact, in path order, under a `── path ──` heading.
pub fn listing(tree: &ArtifactTree) -> String {
    let mut text = String::new();
    for (path, artifact) in tree {
        text.push_str("── ");
        text.push_str(path);
        text.push_str(" ──\n");
        text.push_str(&file::render(artifact));
    }
    text
}
