//! Tidy: the architecture rules of ARCHITECTURE.md and CONTRIBUTING.md, checked on the
//! source of `compiler/src` (as rust-analyzer's `tidy` test does), so they are enforced
//! and not only written down.
//!
//! Rules (each names its own violations with file and line):
//! - `kdl`: only `syntax` and `model` import the `kdl` crate.
//! - `emitters`: an emitter (`emit/<name>`) never imports another emitter; shared helpers
//!   live in `emit::common`.
//! - `vendor`: no cloud or vendor name (see [`VENDORS`]) in identifiers or strings of
//!   non-test code; per-cloud facts are stdlib data. Comments and tests may name them.
//! - `panics`: no `.unwrap()`, `.expect(..)`, `panic!`, `todo!`, `unimplemented!` in
//!   non-test code.
//! - `did-you-mean`: string similarity (`strsim`) only in `diag`, whose `closest` is the
//!   one did-you-mean rule and `did_you_mean` the one help built on it; the words
//!   "did you mean" appear in a string only in `diag` (`diag::meant` is the one wording,
//!   which the language server's quick fix reads back), so no stage writes its own helper.
//! - `file-length`: no file over [`MAX_FILE_LINES`] lines.
//! - `function-length`: no function over [`MAX_FN_LINES`] lines (signature to closing brace).
//!
//! Test code is an item under `#[cfg(test)]` or a `#[test]` function. Source is parsed with
//! `syn`, so comments, doc comments and attributes never count as code.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::ToTokens;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// Cloud providers, distributions and vendors whose facts belong in stdlib data. Matched
/// as whole words of identifiers and strings (split at `_`, `-`, `.`, `/` and case).
pub const VENDORS: &[&str] = &[
    "eks",
    "gke",
    "aks",
    "openshift",
    "cilium",
    "calico",
    "istio",
    "aws",
    "amazon",
    "gcp",
    "google",
    "azure",
    "microsoft",
    "redhat",
    "rancher",
    "rke",
    "k3s",
    "tanzu",
    "digitalocean",
];

/// Longest file allowed in `compiler/src`.
pub const MAX_FILE_LINES: usize = 800;
/// Longest function allowed in `compiler/src`.
pub const MAX_FN_LINES: usize = 120;

/// Known violations not fixed yet: (file, rule, how many). A ratchet: more violations of a
/// listed rule in a listed file fail, and so do fewer (lower the count or remove the entry,
/// so a fixed rule stays fixed). Every entry is debt with a plan in its comment. Empty:
/// every rule holds everywhere; keep it so.
const KNOWN: &[(&str, &str, usize)] = &[];

/// Modules of `emit` that are shared by emitters, not emitters themselves.
const EMIT_SHARED: &[&str] = &["artifact", "common", "errors"];

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Rule name: `kdl`, `emitters`, `vendor`, `panics`, `file-length`, `function-length`.
    pub rule: &'static str,
    /// Path relative to `compiler/src`.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "compiler/src/{}:{}: [{}] {}", self.file, self.line, self.rule, self.message)
    }
}

/// What the rules need to know about the whole source tree.
#[derive(Debug, Default)]
pub struct Tree {
    /// The emitter modules of `emit` (see [`emitters`]).
    pub emitters: Vec<String>,
    /// Files that are test modules (`#[cfg(test)] mod tests;`), relative to `compiler/src`.
    pub test_files: BTreeSet<String>,
}

/// Check one source file; `file` is its path relative to `compiler/src` (with `/`).
pub fn check_file(tree: &Tree, file: &str, text: &str) -> Vec<Violation> {
    let mut out = Vec::new();
    let lines = text.lines().count();
    if lines > MAX_FILE_LINES {
        out.push(Violation {
            rule: "file-length",
            file: file.to_owned(),
            line: 1,
            message: format!("{lines} lines; split the file (at most {MAX_FILE_LINES})"),
        });
    }
    let syntax = match syn::parse_file(text) {
        Ok(syntax) => syntax,
        Err(error) => {
            let line = error.span().start().line;
            out.push(Violation { rule: "parse", file: file.to_owned(), line, message: error.to_string() });
            return out;
        }
    };
    if tree.test_files.contains(file) {
        return out;
    }
    let module = module_path(file);
    let mut visitor = Checker { file, module: &module, emitters: &tree.emitters, out: &mut out };
    visitor.visit_file(&syntax);
    out.sort_by(|a, b| (a.line, a.rule).cmp(&(b.line, b.rule)));
    out
}

/// Every `.rs` file under `root`, as (path relative to `root` with `/`, absolute path).
pub fn rust_files(root: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
                out.push((relative, path));
            }
        }
    }
    out.sort();
    out
}

/// The emitters: the child modules of `emit` (files and folders) other than the shared
/// ones ([`EMIT_SHARED`]).
pub fn emitters(emit_dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(emit_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let path = entry.path();
            let stem = path.file_stem()?.to_str()?.to_owned();
            (path.is_dir() || path.extension().is_some_and(|e| e == "rs")).then_some(stem)
        })
        .filter(|name| name != "mod" && !EMIT_SHARED.contains(&name.as_str()))
        .collect();
    out.sort();
    out
}

/// The files declared as test modules (`#[cfg(test)] mod name;`) in `files`.
pub fn test_files(files: &[(String, String)]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (file, text) in files {
        let Ok(syntax) = syn::parse_file(text) else { continue };
        let dir = match file.rsplit_once('/') {
            Some((dir, "mod.rs" | "lib.rs" | "main.rs")) => dir.to_owned(),
            None if matches!(file.as_str(), "mod.rs" | "lib.rs" | "main.rs") => String::new(),
            _ => file.trim_end_matches(".rs").to_owned(),
        };
        for item in &syntax.items {
            if let syn::Item::Mod(module) = item
                && module.content.is_none()
                && is_test(&module.attrs)
            {
                let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
                out.insert(format!("{prefix}{}.rs", module.ident));
                out.insert(format!("{prefix}{}/mod.rs", module.ident));
            }
        }
    }
    out
}

/// The module path of a file: `emit/k8s/mod.rs` is `["emit", "k8s"]`, `lib.rs` is `[]`.
fn module_path(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file.trim_end_matches(".rs").split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|last| last == "mod" || last == "lib" || last == "main") {
        parts.pop();
    }
    parts
}

struct Checker<'a> {
    file: &'a str,
    module: &'a [String],
    emitters: &'a [String],
    out: &'a mut Vec<Violation>,
}

impl Checker<'_> {
    fn push(&mut self, rule: &'static str, line: usize, message: String) {
        self.out.push(Violation { rule, file: self.file.to_owned(), line, message });
    }

    fn in_module(&self, top: &str) -> bool {
        self.module.first().is_some_and(|first| first == top)
    }

    /// Scan the tokens of one non-test item (attributes skipped).
    fn tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            match &trees[i] {
                // `#[...]` and `#![...]`: attributes, doc comments included.
                TokenTree::Punct(p) if p.as_char() == '#' => {
                    let mut j = i + 1;
                    if matches!(trees.get(j), Some(TokenTree::Punct(bang)) if bang.as_char() == '!') {
                        j += 1;
                    }
                    if matches!(trees.get(j), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Bracket) {
                        i = j + 1;
                        continue;
                    }
                }
                TokenTree::Group(group) => self.tokens(group.stream()),
                TokenTree::Ident(ident) => {
                    let name = ident.to_string();
                    let line = ident.span().start().line;
                    let dot_before = i > 0 && matches!(&trees[i - 1], TokenTree::Punct(p) if p.as_char() == '.');
                    let call_after = matches!(trees.get(i + 1), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis);
                    let bang_after = matches!(trees.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!');
                    if dot_before && call_after && (name == "unwrap" || name == "expect") {
                        self.push("panics", line, format!("`.{name}()` in non-test code; return or report the error"));
                    }
                    if bang_after && matches!(name.as_str(), "panic" | "todo" | "unimplemented") {
                        self.push("panics", line, format!("`{name}!` in non-test code; return or report the error"));
                    }
                    if let Some(vendor) = vendor_word(&name) {
                        self.push(
                            "vendor",
                            line,
                            format!("identifier `{name}` names `{vendor}`; move the fact to stdlib data"),
                        );
                    }
                    if name == "kdl"
                        && path_sep_after(&trees, i)
                        && !self.in_module("syntax")
                        && !self.in_module("model")
                    {
                        self.push("kdl", line, "the `kdl` crate is used outside `syntax` and `model`".to_owned());
                    }
                    if name == "strsim" && path_sep_after(&trees, i) && self.file != "diag.rs" {
                        self.push(
                            "did-you-mean",
                            line,
                            "`strsim` outside `diag`; suggest names with `diag::did_you_mean` (or `diag::closest`)"
                                .to_owned(),
                        );
                    }
                    if let Some(other) = self.emitter_reference(&trees, i) {
                        let own = self.module.get(1).cloned().unwrap_or_default();
                        self.push(
                            "emitters",
                            line,
                            format!(
                                "emitter `{own}` refers to emitter `{other}`; move the shared code to `emit::common`"
                            ),
                        );
                    }
                }
                TokenTree::Literal(literal) => {
                    let text = literal.to_string();
                    let is_string = text.starts_with('"') || text.starts_with("r\"") || text.starts_with("r#");
                    if is_string && self.file != "diag.rs" && text.to_lowercase().contains("did you mean") {
                        self.push(
                            "did-you-mean",
                            literal.span().start().line,
                            "a did-you-mean text outside `diag`; use `diag::did_you_mean` (or `diag::meant`)"
                                .to_owned(),
                        );
                    }
                    if is_string && let Some(vendor) = vendor_word(&text) {
                        let line = literal.span().start().line;
                        self.push(
                            "vendor",
                            line,
                            format!("string {text} names `{vendor}`; move the fact to stdlib data"),
                        );
                    }
                }
                TokenTree::Punct(_) => {}
            }
            i += 1;
        }
    }

    /// When the path starting at `trees[i]` (`crate::emit::X` or `super::...::X`) names an
    /// emitter other than this file's own, that emitter's name.
    fn emitter_reference(&self, trees: &[TokenTree], i: usize) -> Option<String> {
        if !self.in_module("emit") || self.module.len() < 2 {
            return None;
        }
        // Only the start of a path.
        if i >= 2 && path_sep_at(trees, i - 2) {
            return None;
        }
        let mut segments = vec![ident_at(trees, i)?];
        let mut j = i;
        while path_sep_after(trees, j) {
            let Some(next) = ident_at(trees, j + 3) else { break };
            segments.push(next);
            j += 3;
        }
        let resolved: Vec<String> = match segments.first().map(String::as_str) {
            Some("crate") => segments[1..].to_vec(),
            Some("super") => {
                let mut base = self.module.to_vec();
                let mut rest = segments.as_slice();
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                base.extend(rest.iter().cloned());
                base
            }
            _ => return None,
        };
        let (Some(first), Some(emitter)) = (resolved.first(), resolved.get(1)) else { return None };
        let own = self.module.get(1)?;
        (first == "emit" && emitter != own && self.emitters.contains(emitter)).then(|| emitter.clone())
    }

    fn check_fn_length(&mut self, name: &str, start: usize, end: usize) {
        let lines = end + 1 - start;
        if lines > MAX_FN_LINES {
            self.push(
                "function-length",
                start,
                format!("function `{name}` has {lines} lines; split it (at most {MAX_FN_LINES})"),
            );
        }
    }
}

impl<'ast> Visit<'ast> for Checker<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        if is_test(item_attrs(item)) {
            return;
        }
        match item {
            // Walk into modules, impls and traits item by item, so test items inside them
            // are skipped; everything else is scanned whole.
            syn::Item::Mod(_) | syn::Item::Impl(_) | syn::Item::Trait(_) => {
                self.scan_header(item);
                syn::visit::visit_item(self, item);
            }
            syn::Item::Fn(function) => {
                let start = function.sig.fn_token.span.start().line;
                let end = function.block.brace_token.span.close().end().line;
                self.check_fn_length(&function.sig.ident.to_string(), start, end);
                self.tokens(item.to_token_stream());
            }
            _ => self.tokens(item.to_token_stream()),
        }
    }

    fn visit_impl_item(&mut self, item: &'ast syn::ImplItem) {
        let attrs = match item {
            syn::ImplItem::Fn(f) => &f.attrs,
            syn::ImplItem::Const(c) => &c.attrs,
            syn::ImplItem::Type(t) => &t.attrs,
            _ => return self.tokens(item.to_token_stream()),
        };
        if is_test(attrs) {
            return;
        }
        if let syn::ImplItem::Fn(function) = item {
            let start = function.sig.fn_token.span.start().line;
            let end = function.block.brace_token.span.close().end().line;
            self.check_fn_length(&function.sig.ident.to_string(), start, end);
        }
        self.tokens(item.to_token_stream());
    }

    fn visit_trait_item(&mut self, item: &'ast syn::TraitItem) {
        if let syn::TraitItem::Fn(function) = item {
            if is_test(&function.attrs) {
                return;
            }
            if let Some(block) = &function.default {
                let start = function.sig.fn_token.span.start().line;
                let end = block.brace_token.span.close().end().line;
                self.check_fn_length(&function.sig.ident.to_string(), start, end);
            }
        }
        self.tokens(item.to_token_stream());
    }
}

impl Checker<'_> {
    /// The part of a module, impl or trait before its items (`impl Foo for Bar`).
    fn scan_header(&mut self, item: &syn::Item) {
        let mut header = TokenStream::new();
        match item {
            syn::Item::Impl(imp) => {
                imp.generics.to_tokens(&mut header);
                if let Some((_, path, _)) = &imp.trait_ {
                    path.to_tokens(&mut header);
                }
                imp.self_ty.to_tokens(&mut header);
            }
            syn::Item::Trait(tr) => {
                tr.ident.to_tokens(&mut header);
                tr.generics.to_tokens(&mut header);
                tr.supertraits.to_tokens(&mut header);
            }
            syn::Item::Mod(module) if module.content.is_none() => module.ident.to_tokens(&mut header),
            syn::Item::Mod(module) => module.ident.to_tokens(&mut header),
            _ => {}
        }
        self.tokens(header);
    }
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(i) => &i.attrs,
        syn::Item::Enum(i) => &i.attrs,
        syn::Item::ExternCrate(i) => &i.attrs,
        syn::Item::Fn(i) => &i.attrs,
        syn::Item::ForeignMod(i) => &i.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Macro(i) => &i.attrs,
        syn::Item::Mod(i) => &i.attrs,
        syn::Item::Static(i) => &i.attrs,
        syn::Item::Struct(i) => &i.attrs,
        syn::Item::Trait(i) => &i.attrs,
        syn::Item::TraitAlias(i) => &i.attrs,
        syn::Item::Type(i) => &i.attrs,
        syn::Item::Union(i) => &i.attrs,
        syn::Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

/// `#[test]`, or `#[cfg(test)]` / `#[cfg(all(test, ...))]`.
fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        if attr.path().is_ident("test") {
            return true;
        }
        if !attr.path().is_ident("cfg") {
            return false;
        }
        let Ok(list) = attr.meta.require_list() else { return false };
        let tokens = list.tokens.to_string();
        tokens == "test" || tokens.starts_with("all (test") || tokens.starts_with("all(test")
    })
}

fn ident_at(trees: &[TokenTree], i: usize) -> Option<String> {
    match trees.get(i) {
        Some(TokenTree::Ident(ident)) => Some(ident.to_string()),
        _ => None,
    }
}

/// Whether `trees[i]` and `trees[i + 1]` are `::`.
fn path_sep_at(trees: &[TokenTree], i: usize) -> bool {
    matches!(
        (trees.get(i), trees.get(i + 1)),
        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
            if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':'
    )
}

/// Whether `::` follows the token at `i`.
fn path_sep_after(trees: &[TokenTree], i: usize) -> bool {
    path_sep_at(trees, i + 1)
}

/// The vendor named by a word of `text`, if any.
fn vendor_word(text: &str) -> Option<&'static str> {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in text.chars() {
        if !c.is_ascii_alphanumeric() {
            words.push(std::mem::take(&mut current));
            previous_lower = false;
            continue;
        }
        // A camel-case boundary starts a new word.
        if c.is_ascii_uppercase() && previous_lower {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_lowercase());
    }
    words.push(current);
    words.retain(|word| !word.is_empty());
    // Runs of consecutive words too: `OpenShiftRoute` is `open`, `shift`, `route`, and the
    // run `open` + `shift` is `openshift`.
    VENDORS.iter().copied().find(|vendor| {
        (0..words.len()).any(|start| {
            let mut run = String::new();
            words[start..].iter().any(|word| {
                run.push_str(word);
                run == *vendor
            })
        })
    })
}

// ------------------------------------------------------------------------------- tests

fn compiler_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../compiler/src")
}

#[test]
fn compiler_source_keeps_the_architecture_rules() {
    let mut violations = Vec::new();
    let files: Vec<(String, String)> = rust_files(&compiler_src())
        .into_iter()
        .map(|(relative, path)| (relative, std::fs::read_to_string(&path).unwrap_or_default()))
        .collect();
    assert!(files.len() > 20, "compiler/src has Rust files");
    let tree = Tree { emitters: emitters(&compiler_src().join("emit")), test_files: test_files(&files) };
    assert!(tree.emitters.iter().any(|e| e == "k8s") && tree.emitters.iter().any(|e| e == "netpol"), "{tree:?}");
    assert!(tree.test_files.contains("validate/tests.rs"), "{tree:?}");
    for (relative, text) in &files {
        violations.extend(check_file(&tree, relative, text));
    }
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for violation in &violations {
        *counts.entry((violation.file.as_str(), violation.rule)).or_default() += 1;
    }
    let mut report: Vec<String> = Vec::new();
    for &(file, rule, known) in KNOWN {
        let found = counts.remove(&(file, rule)).unwrap_or(0);
        if found < known {
            report
                .push(format!("compiler/src/{file}: [{rule}] {found} left of {known} known; lower the count in KNOWN"));
        }
        if found > known {
            report.extend(violations.iter().filter(|v| v.file == file && v.rule == rule).map(ToString::to_string));
            report.push(format!("compiler/src/{file}: [{rule}] {found} violations, {known} known: fix the new ones"));
        }
    }
    report
        .extend(violations.iter().filter(|v| counts.contains_key(&(v.file.as_str(), v.rule))).map(ToString::to_string));
    assert!(report.is_empty(), "tidy:\n{}", report.join("\n"));
}

fn check(file: &str, text: &str) -> Vec<Violation> {
    let tree = Tree { emitters: ["backing", "k8s", "netpol"].map(str::to_owned).to_vec(), ..Tree::default() };
    check_file(&tree, file, text)
}

fn rules(file: &str, text: &str) -> Vec<&'static str> {
    check(file, text).into_iter().map(|v| v.rule).collect()
}

#[test]
fn kdl_outside_syntax_and_model_fails() {
    let snippet = "use kdl::KdlNode;\nfn f(_: &KdlNode) {}\n";
    assert_eq!(rules("resolve/mod.rs", snippet), ["kdl"]);
    assert_eq!(rules("emit/k8s/mod.rs", "fn f() -> kdl::KdlDocument { todo() }\n"), ["kdl"]);
    assert!(rules("model/lower/mod.rs", snippet).is_empty());
    assert!(rules("syntax/mod.rs", snippet).is_empty());
}

#[test]
fn an_emitter_importing_another_fails() {
    assert_eq!(rules("emit/netpol/mod.rs", "use crate::emit::k8s::labels;\n"), ["emitters"]);
    assert_eq!(rules("emit/k8s/workload.rs", "use super::super::netpol::rules;\n"), ["emitters"]);
    assert_eq!(rules("emit/backing.rs", "fn f() { super::k8s::pod(); }\n"), ["emitters"]);
    // Shared helpers, the emitter's own modules and emit's own items are fine.
    assert!(rules("emit/netpol/mod.rs", "use crate::emit::common::labels;\nuse crate::emit::Artifact;\n").is_empty());
    assert!(rules("emit/k8s/workload.rs", "use super::pod;\nuse crate::emit::k8s::pod::x;\n").is_empty());
    assert!(rules("emit/mod.rs", "use k8s::emit;\nfn f() { netpol::emit(); }\n").is_empty());
    assert!(rules("emit/k8s/mod.rs", "fn f() { crate::emit::origin(); }\n").is_empty());
}

#[test]
fn a_vendor_name_in_code_fails_but_not_in_comments_or_tests() {
    assert_eq!(rules("emit/k8s/mod.rs", "fn f(cni: &str) -> bool { cni == \"cilium\" }\n"), ["vendor"]);
    assert_eq!(rules("emit/k8s/mod.rs", "struct OpenShiftRoute;\n"), ["vendor"]);
    assert_eq!(rules("resolve/mod.rs", "const GROUP: &str = \"route.openshift.io/v1\";\n"), ["vendor"]);
    assert_eq!(rules("resolve/mod.rs", "fn is_eks() {}\n"), ["vendor"]);
    let fine = "// On EKS the CNI is aws-node.\n/// OpenShift routes.\nfn f() {}\n\
                #[cfg(test)]\nmod tests {\n    #[test]\n    fn t() { let _ = \"gke\"; }\n}\n";
    assert!(rules("emit/k8s/mod.rs", fine).is_empty(), "{:?}", check("emit/k8s/mod.rs", fine));
    // Words that merely contain a vendor name are fine.
    assert!(rules("emit/k8s/mod.rs", "fn breaks(tasks: &str) -> bool { tasks == \"makes\" }\n").is_empty());
}

#[test]
fn unwrap_expect_and_panic_in_non_test_code_fail() {
    assert_eq!(rules("driver.rs", "fn f(x: Option<u8>) -> u8 { x.unwrap() }\n"), ["panics"]);
    assert_eq!(rules("driver.rs", "fn f(x: Option<u8>) -> u8 { x.expect(\"set\") }\n"), ["panics"]);
    assert_eq!(rules("driver.rs", "fn f() { panic!(\"no\") }\n"), ["panics"]);
    assert_eq!(rules("driver.rs", "fn f() -> String { format!(\"{}\", g().unwrap()) }\n"), ["panics"]);
    let fine = "fn f(x: Option<u8>) -> u8 { x.unwrap_or(0) }\n// x.unwrap()\n\
                #[cfg(test)]\nmod tests {\n    #[test]\n    fn t() { Some(1).unwrap(); panic!(); }\n}\n";
    assert!(rules("driver.rs", fine).is_empty(), "{:?}", check("driver.rs", fine));
}

#[test]
fn a_second_did_you_mean_fails() {
    assert_eq!(rules("resolve/mod.rs", "fn f(a: &str) -> f64 { strsim::jaro_winkler(a, \"b\") }\n"), ["did-you-mean"]);
    assert!(rules("diag.rs", "fn f(a: &str) -> usize { strsim::damerau_levenshtein(a, \"b\") }\n").is_empty());
    let own_helper = "fn help(c: &str) -> String { format!(\"Did you mean `{c}`?\") }\n";
    assert_eq!(rules("model/check.rs", own_helper), ["did-you-mean"]);
    assert!(rules("diag.rs", own_helper).is_empty());
}

#[test]
fn long_files_and_functions_fail() {
    let long_file = "const A: u8 = 0;\n".repeat(MAX_FILE_LINES + 1);
    assert_eq!(rules("driver.rs", &long_file), ["file-length"]);
    assert!(rules("driver.rs", &"const A: u8 = 0;\n".repeat(MAX_FILE_LINES)).is_empty());

    let body = |n: usize| format!("fn long() {{\n{}}}\n", "    let _ = 1;\n".repeat(n));
    assert_eq!(rules("driver.rs", &body(MAX_FN_LINES - 1)), ["function-length"]);
    assert!(rules("driver.rs", &body(MAX_FN_LINES - 2)).is_empty());
    let method = format!("struct S;\nimpl S {{\n    {}}}\n", body(MAX_FN_LINES).replace('\n', "\n    "));
    assert_eq!(rules("driver.rs", &method), ["function-length"]);
}
