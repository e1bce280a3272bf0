//! Model types of `files`: secret and config values mounted as files in one directory.

use crate::diag::{Span, Spanned};

/// `files "/etc/keys" mode="0440" { secret "private.pem" key="..."; config "app.yaml" "..." }`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FileDir {
    /// Absolute directory the files appear in (read-only).
    pub path: Spanned<String>,
    /// File mode (`mode="0440"`, octal), for every file of the directory.
    pub mode: Option<Spanned<i32>>,
    /// The files, in order.
    pub files: Vec<FileEntry>,
    /// The whole node.
    pub span: Span,
}

/// One file of a `files` directory.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FileEntry {
    /// File name within the directory.
    pub name: Spanned<String>,
    /// Where its content comes from.
    pub source: FileSource,
}

/// The content of a mounted file.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum FileSource {
    /// `secret "tls.key" key="path/in/store" property="field"`: from the secret store.
    Secret {
        /// Key (path) in the store.
        key: Spanned<String>,
        /// Property within the key.
        property: Option<Spanned<String>>,
    },
    /// `config "application.yaml" "..."`: plain text, kept in a ConfigMap.
    Config(Spanned<String>),
}
