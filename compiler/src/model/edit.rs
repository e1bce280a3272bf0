//! `berth set-image`: record a new image digest in the spec, in place.
//!
//! In: the spec text and an [`ImageEdit`]. Out: the edited text. Like `kustomize edit set
//! image`, it changes only what it must: the `digest=` (and `tag=`) of one workload's
//! `image` node, located through the spans kdl-rs gives every node and entry, so
//! comments, blank lines and the layout of everything else are the bytes they were.
//! Without `env`, the workload's own `image` is edited; with it, the `image` of its
//! `in "<env>"` block, which is added (a copy of the base image with the new digest)
//! when the block or its `image` is missing.

use super::check::{is_digest, is_image_tag};
use crate::diag::{Diagnostics, SourceFile, Sources};
use kdl::{KdlDocument, KdlNode};

/// What to record.
#[derive(Debug, Clone, Copy)]
pub struct ImageEdit<'a> {
    /// Domain of the workload.
    pub domain: &'a str,
    /// Workload name.
    pub workload: &'a str,
    /// The `in "<env>"` block to edit; `None` edits the workload's own image.
    pub env: Option<&'a str>,
    /// `sha256:` and 64 hex digits.
    pub digest: &'a str,
    /// A new tag, when the build also names one.
    pub tag: Option<&'a str>,
}

/// Why an edit could not be made: a message and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditError {
    /// What is wrong.
    pub message: String,
    /// What to write instead.
    pub help: String,
}

fn error(message: impl Into<String>, help: impl Into<String>) -> EditError {
    EditError { message: message.into(), help: help.into() }
}

/// Apply `edit` to `text`; the result differs only where the image is recorded.
pub fn set_image(text: &str, edit: &ImageEdit<'_>) -> Result<String, EditError> {
    if !is_digest(edit.digest) {
        return Err(error(
            format!("`{}` is not an image digest", edit.digest),
            "pass `--digest sha256:` followed by 64 lowercase hex digits (the registry's digest of the pushed image)",
        ));
    }
    if let Some(tag) = edit.tag
        && !is_image_tag(tag)
    {
        return Err(error(
            format!("`{tag}` is not an image tag"),
            "a tag is letters, digits, `_`, `.` and `-`, at most 128 characters",
        ));
    }
    let mut sources = Sources::default();
    let source = SourceFile { name: "spec".to_owned(), text: text.to_owned() };
    let file = sources.add(source.clone());
    let mut diags = Diagnostics::default();
    let Some(parsed) = crate::syntax::parse(&mut diags, file, &source) else {
        return Err(error("the spec does not parse", "run `berth check` on it and fix what it reports first"));
    };
    let workload = find_workload(&parsed.document, edit.domain, edit.workload)?;
    let base = child(workload, "image", None).ok_or_else(|| {
        error(
            format!("`{}/{}` has no `image`", edit.domain, edit.workload),
            "give the workload an `image \"<name>\"` before recording a digest for it",
        )
    })?;
    let splices = match edit.env {
        None => entry_splices(text, base, edit)?,
        Some(env) => env_splices(text, workload, base, env, edit)?,
    };
    Ok(apply(text, splices))
}

/// `(offset, removed length, inserted text)`.
type Splice = (usize, usize, String);

fn apply(text: &str, mut splices: Vec<Splice>) -> String {
    let mut out = text.to_owned();
    splices.sort_by_key(|splice| std::cmp::Reverse(splice.0));
    for (offset, len, insert) in splices {
        out.replace_range(offset..offset + len, &insert);
    }
    out
}

fn find_workload<'d>(document: &'d KdlDocument, domain: &str, workload: &str) -> Result<&'d KdlNode, EditError> {
    let domain_node =
        document.nodes().iter().find(|n| n.name().value() == "domain" && first_arg(n) == Some(domain)).ok_or_else(
            || {
                error(
                    format!("the spec has no domain `{domain}`"),
                    "name the workload as `<domain>/<workload>`, both as declared in the spec",
                )
            },
        )?;
    domain_node
        .children()
        .into_iter()
        .flat_map(KdlDocument::nodes)
        .find(|n| matches!(n.name().value(), "service" | "worker" | "job") && first_arg(n) == Some(workload))
        .ok_or_else(|| {
            error(
                format!("domain `{domain}` has no service, worker or job `{workload}`"),
                "name the workload as `<domain>/<workload>`, both as declared in the spec",
            )
        })
}

fn first_arg(node: &KdlNode) -> Option<&str> {
    node.entries().iter().find(|e| e.name().is_none())?.value().as_string()
}

/// The first child named `name` (with first argument `arg`, when given).
fn child<'n>(node: &'n KdlNode, name: &str, arg: Option<&str>) -> Option<&'n KdlNode> {
    node.children()?.nodes().iter().find(|n| n.name().value() == name && arg.is_none_or(|a| first_arg(n) == Some(a)))
}

/// Set `digest=` (and `tag=`) on an existing `image` node: replace each property where it
/// is written, or append it after the node's last entry.
fn entry_splices(text: &str, image: &KdlNode, edit: &ImageEdit<'_>) -> Result<Vec<Splice>, EditError> {
    if first_arg(image).is_some_and(|name| name.contains('@')) {
        return Err(error(
            "the image name carries its digest (`name@sha256:...`)",
            "write the digest as a property, `image \"<name>\" digest=\"sha256:...\"`, so it can be replaced",
        ));
    }
    let end = image.entries().last().map_or_else(
        || image.name().span().offset() + image.name().span().len(),
        |e| e.span().offset() + e.span().len(),
    );
    let mut splices = Vec::new();
    let mut properties = vec![("digest", edit.digest)];
    if let Some(tag) = edit.tag {
        if first_arg(image).is_some_and(|name| name.rsplit('/').next().is_some_and(|last| last.contains(':'))) {
            return Err(error(
                "the image name carries its tag (`name:tag`)",
                "write the tag as a property, `image \"<name>\" tag=\"...\"`, so it can be replaced",
            ));
        }
        properties.insert(0, ("tag", tag));
    }
    for (key, value) in properties {
        let written = format!("{key}={}", quoted(value));
        match image.entries().iter().find(|e| e.name().is_some_and(|n| n.value() == key)) {
            Some(entry) => {
                let span = entry.span();
                // The entry's span may include the whitespace before it; keep that.
                let raw = text.get(span.offset()..span.offset() + span.len()).unwrap_or("");
                let lead = raw.len() - raw.trim_start().len();
                splices.push((span.offset() + lead, span.len() - lead, written));
            }
            None => splices.push((end, 0, format!(" {written}"))),
        }
    }
    Ok(splices)
}

/// Edit (or add) the `image` of the workload's `in "<env>"` block.
fn env_splices(
    text: &str,
    workload: &KdlNode,
    base: &KdlNode,
    env: &str,
    edit: &ImageEdit<'_>,
) -> Result<Vec<Splice>, EditError> {
    if let Some(block) = child(workload, "in", Some(env)) {
        if let Some(image) = child(block, "image", None) {
            return entry_splices(text, image, edit);
        }
        // The block exists: its first line gets the image.
        let line = image_line(base, edit)?;
        let Some(first) = block.children().and_then(|c| c.nodes().first()) else {
            return Err(error(
                format!("the `in \"{env}\"` block of the workload is empty"),
                "write `image \"<name>\"` inside it, or remove the empty block",
            ));
        };
        let at = line_start(text, first.span().offset());
        let indent = indentation(text, first.span().offset());
        return Ok(vec![(at, 0, format!("{indent}{line}\n"))]);
    }
    // No block: a new one after the workload's last child, indented like it.
    let Some(last) = workload.children().and_then(|c| c.nodes().last()) else {
        return Err(error(
            "the workload has no block",
            "write the workload's settings in a block before recording a per-environment digest",
        ));
    };
    let indent = indentation(text, last.span().offset());
    let line = image_line(base, edit)?;
    let at = line_end(text, last.span().offset() + last.span().len());
    let inner = if indent.contains('\t') { format!("{indent}\t") } else { format!("{indent}    ") };
    Ok(vec![(at, 0, format!("{indent}in {} {{\n{inner}{line}\n{indent}}}\n", quoted(env)))])
}

/// `image "<base name>" tag="<tag>" digest="<digest>"` for an `in` block: an `image` there
/// replaces the base one whole, so it repeats the name and tag.
fn image_line(base: &KdlNode, edit: &ImageEdit<'_>) -> Result<String, EditError> {
    let name =
        first_arg(base).ok_or_else(|| error("the workload's `image` has no name", "write `image \"<name>\"`"))?;
    if name.contains('@') {
        return Err(error(
            "the image name carries its digest (`name@sha256:...`)",
            "write the digest as a property, `image \"<name>\" digest=\"sha256:...\"`, so it can be replaced",
        ));
    }
    let base_tag = base
        .entries()
        .iter()
        .find(|e| e.name().is_some_and(|n| n.value() == "tag"))
        .and_then(|e| e.value().as_string());
    let mut line = format!("image {}", quoted(name));
    if let Some(tag) = edit.tag.or(base_tag) {
        line.push_str(&format!(" tag={}", quoted(tag)));
    }
    line.push_str(&format!(" digest={}", quoted(edit.digest)));
    Ok(line)
}

/// A KDL string literal (names, tags and digests are checked to need no escapes, but a
/// name from the spec is escaped anyway).
fn quoted(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

fn line_start(text: &str, offset: usize) -> usize {
    text.get(..offset).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1)
}

fn line_end(text: &str, offset: usize) -> usize {
    text.get(offset..).and_then(|t| t.find('\n')).map_or(text.len(), |i| offset + i + 1)
}

fn indentation(text: &str, offset: usize) -> String {
    let start = line_start(text, offset);
    text.get(start..offset).unwrap_or("").chars().take_while(|c| c.is_whitespace()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const SPEC: &str = "platform \"p\"\nenvironment \"dev\"\nenvironment \"prod\"\n\ndomain \"order\" {\n    // the API\n    service \"order-api\" {\n        image \"order-api\" tag=\"1.0\" // pinned by CI\n        port \"http\" 8080\n        in \"prod\" {\n            replicas 3\n        }\n    }\n}\n";

    fn edit(env: Option<&str>) -> ImageEdit<'_> {
        ImageEdit { domain: "order", workload: "order-api", env, digest: DIGEST, tag: None }
    }

    fn changed_lines(a: &str, b: &str) -> usize {
        let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
        if a.len() != b.len() {
            return usize::MAX;
        }
        a.iter().zip(&b).filter(|(x, y)| x != y).count()
    }

    #[test]
    fn adds_then_replaces_the_digest_on_one_line() {
        let once = set_image(SPEC, &edit(None)).unwrap();
        assert_eq!(changed_lines(SPEC, &once), 1);
        assert!(
            once.contains(&format!("image \"order-api\" tag=\"1.0\" digest=\"{DIGEST}\" // pinned by CI\n")),
            "{once}"
        );
        let other = DIGEST.replace("0123", "4567");
        let twice = set_image(&once, &ImageEdit { digest: &other, ..edit(None) }).unwrap();
        assert_eq!(changed_lines(&once, &twice), 1);
        assert!(twice.contains(&other) && !twice.contains(DIGEST));
    }

    #[test]
    fn an_environment_gets_its_own_image_line() {
        let edited = set_image(SPEC, &edit(Some("prod"))).unwrap();
        assert!(edited.contains(&format!("        in \"prod\" {{\n            image \"order-api\" tag=\"1.0\" digest=\"{DIGEST}\"\n            replicas 3\n")), "{edited}");
        let dev = set_image(SPEC, &edit(Some("dev"))).unwrap();
        assert!(dev.contains(&format!("        in \"dev\" {{\n            image \"order-api\" tag=\"1.0\" digest=\"{DIGEST}\"\n        }}\n    }}\n")), "{dev}");
    }

    #[test]
    fn wrong_names_and_digests_are_refused_with_help() {
        let bad = set_image(SPEC, &ImageEdit { digest: "sha256:abc", ..edit(None) }).unwrap_err();
        assert!(bad.message.contains("not an image digest"));
        let missing = set_image(SPEC, &ImageEdit { workload: "order-apx", ..edit(None) }).unwrap_err();
        assert!(missing.message.contains("no service, worker or job `order-apx`"), "{missing:?}");
        let domain = set_image(SPEC, &ImageEdit { domain: "x", ..edit(None) }).unwrap_err();
        assert!(domain.message.contains("no domain `x`"));
        assert!(set_image("domain {", &edit(None)).is_err());
    }
}
