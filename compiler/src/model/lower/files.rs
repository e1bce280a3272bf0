//! `files`: secret and config values mounted as read-only files.

use super::values::{Ctx, args, children};
use crate::diag::Spanned;
use crate::model::files::{FileDir, FileEntry, FileSource};
use kdl::KdlNode;

/// `files "/dir" mode="0440" { secret "f" key=".."; config "f" "content" }`.
pub(super) fn files(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<FileDir> {
    cx.shape(node, &["mode"], 1, "the directory");
    let path = match args(node).next() {
        Some(entry) => cx.string(entry, "the directory"),
        None => {
            cx.missing(node, "a directory", "write `files \"/etc/app\" { config \"app.yaml\" \"...\" }`");
            None
        }
    };
    if let Some(path) = &path {
        super::workload::absolute_path(cx, path, "`files` directory");
    }
    let mode = cx.string_prop(node, "mode").and_then(|mode| {
        let parsed =
            i32::from_str_radix(&mode.value, 8).ok().filter(|m| (0o400..=0o777).contains(m) && mode.value.len() <= 4);
        if parsed.is_none() {
            cx.invalid_value(
                mode.span,
                "file mode",
                &mode.value,
                "not an octal mode from `0400` to `0777`",
                "write the mode as an octal string, such as `mode=\"0440\"`",
            );
        }
        parsed.map(|m| Spanned::new(m, mode.span))
    });
    let mut files: Vec<FileEntry> = Vec::new();
    for child in children(node) {
        let Some(entry) = file_entry(cx, child) else { continue };
        if let Some(first) = files.iter().find(|f| f.name.value == entry.name.value) {
            let first = first.name.span;
            cx.duplicate_setting(&entry.name.value, "files", entry.name.span, first);
            continue;
        }
        files.push(entry);
    }
    if files.is_empty() && children(node).next().is_none() {
        cx.missing(
            node,
            "at least one file",
            "add `secret \"<file>\" key=\"path/in/store\"` or `config \"<file>\" \"<content>\"` in a block",
        );
    }
    Some(FileDir { path: path?, mode, files, span: cx.span_of(node) })
}

pub(super) fn file_entry(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<FileEntry> {
    let kind = node.name().value();
    if kind != "secret" && kind != "config" {
        cx.unknown_node(
            node,
            "in `files`",
            "a `files` block takes `secret \"<file>\" key=...` and `config \"<file>\" \"<content>\"`".to_owned(),
        );
        return None;
    }
    if kind == "secret" {
        cx.shape(node, &["key", "property"], 1, "the file name");
    } else {
        cx.shape(node, &[], 2, "the file name and its content");
    }
    cx.no_children(node);
    let mut values = args(node);
    let name = match values.next() {
        Some(entry) => cx.string(entry, "the file name")?,
        None => {
            cx.missing(node, "a file name", &format!("write `{kind} \"<file>\" ...`"));
            return None;
        }
    };
    let valid = !name.value.is_empty()
        && name.value.len() <= 253
        && name.value != "."
        && name.value != ".."
        && name.value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !valid {
        cx.invalid_value(
            name.span,
            "file name",
            &name.value,
            "not a single file name",
            "use letters, digits, `.`, `_` and `-`, such as `tls.crt`",
        );
    }
    let source = if kind == "secret" {
        let key =
            cx.required_string_prop(node, "key", "write `key=\"path/in/store\"`: a reference, never the value")?;
        FileSource::Secret { key, property: cx.string_prop(node, "property") }
    } else {
        match values.next() {
            Some(entry) => FileSource::Config(cx.string(entry, "the file content")?),
            None => {
                cx.missing(node, "the file content", "write `config \"<file>\" \"<content>\"`");
                return None;
            }
        }
    };
    Some(FileEntry { name, source })
}
