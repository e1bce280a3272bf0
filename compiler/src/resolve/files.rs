//! `files` directories as the emitter needs them: mode defaulted, files split by source.

use super::types::{ResolvedFiles, ResolvedSecretFile};
use crate::model::{FileDir, FileSource};

/// Mode of mounted files unless `mode=` says otherwise: the owner and the pod's group
/// (`fsGroup`, which the kubelet gives the files) may read, nobody may write.
const DEFAULT_MODE: i32 = 0o440;

/// The resolved directories, in declaration order.
pub(super) fn files(dirs: &[FileDir]) -> Vec<ResolvedFiles> {
    dirs.iter()
        .map(|dir| {
            let mut resolved = ResolvedFiles {
                path: dir.path.value.clone(),
                mode: dir.mode.as_ref().map_or(DEFAULT_MODE, |m| m.value),
                secrets: Vec::new(),
                config: std::collections::BTreeMap::new(),
                span: dir.span,
            };
            for file in &dir.files {
                match &file.source {
                    FileSource::Secret { key, property } => resolved.secrets.push(ResolvedSecretFile {
                        file: file.name.value.clone(),
                        key: key.value.clone(),
                        property: property.as_ref().map(|p| p.value.clone()),
                    }),
                    FileSource::Config(content) => {
                        resolved.config.insert(file.name.value.clone(), content.value.clone());
                    }
                }
            }
            resolved
        })
        .collect()
}
