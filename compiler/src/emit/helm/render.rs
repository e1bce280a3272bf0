//! The chart files from the library's `chart-template`s (stdlib `charts.kdl`, replaceable in
//! a `--lib` folder): Berth builds each file's context (what values exist, their paths and
//! each environment's value, the objects' templates), the library template writes the file.
//!
//! Templates use `[= expr =]`, `[% block %]` and `[# comment #]`, so Helm's `{{ }}` is plain
//! text in them. Besides minijinja's own, they have these filters (docs/helm.md):
//! `yaml` (a scalar as YAML that reads back as itself), `go_string` (a Go template string
//! constant), `helm_text` (text for `NOTES.txt` that Helm never reads as template code),
//! `md_cell` (one Markdown table cell) and `value_ref` (a values path as
//! `(index .Values "a" "b")`).

use super::yaml;
use crate::diag::{Diagnostics, Span, Spanned};
use crate::emit::errors::EmitError;
use minijinja::Environment;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, OnceLock};

/// Instructions one chart file may run: a README loops over every value of a domain, so
/// far more than a backing-service template, still bounded.
const FUEL: u64 = 20_000_000;

/// Bytes one chart file may have.
const MAX_OUTPUT: usize = 64 << 20;

/// The context size the template guard judges a chart template by
/// ([`crate::template::render_with`]): a chart's context is Berth's own data and can be
/// megabytes (a domain's values), so the guard asks what a template builds from values of
/// this size rather than refusing to print a large one; a `*` by a count or a string
/// doubled in a loop is refused as in every library template.
const GUARD_CLASS: u64 = 32 << 10;

fn environment() -> &'static Mutex<Environment<'static>> {
    static ENV: OnceLock<Mutex<Environment<'static>>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = crate::template::file_environment(FUEL);
        env.add_filter("yaml", |value: minijinja::Value| {
            serde_json::to_value(&value).map(|json| yaml::scalar(&json)).map_err(|error| {
                minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, format!("not a YAML value: {error}"))
            })
        });
        env.add_filter("go_string", |text: &str| yaml::go_string(text));
        env.add_filter("helm_text", |text: &str| yaml::helm_text(text));
        env.add_filter("md_cell", |text: &str| text.replace('|', "\\|").replace(['\n', '\r'], " "));
        env.add_filter("value_ref", |path: Vec<String>| yaml::value_ref(&path));
        Mutex::new(env)
    })
}

/// The chart templates of an estate, and the ones already reported broken (each once).
pub struct Templates<'a> {
    templates: &'a BTreeMap<String, Spanned<String>>,
    /// The platform's node, where a missing template is reported.
    origin: Option<Span>,
    failed: BTreeSet<String>,
}

impl<'a> Templates<'a> {
    pub fn new(templates: &'a BTreeMap<String, Spanned<String>>, origin: Option<Span>) -> Self {
        Self { templates, origin, failed: BTreeSet::new() }
    }

    /// Render chart file `name` for `subject` (` for chart order on target aws`): the text
    /// with exactly one newline at its end, or `None` after a diagnostic.
    pub fn render(&mut self, diags: &mut Diagnostics, name: &str, subject: &str, context: &Value) -> Option<String> {
        if self.failed.contains(name) {
            return None;
        }
        let Some(template) = self.templates.get(name) else {
            self.failed.insert(name.to_owned());
            if let Some(span) = self.origin {
                diags.at(span, EmitError::MissingChartTemplate { name: name.to_owned(), span });
            }
            return None;
        };
        let rendered = crate::template::bracket_syntax().and_then(|syntax| {
            crate::template::render_with(environment(), &syntax, &template.value, context, GUARD_CLASS, MAX_OUTPUT)
        });
        match rendered {
            Ok(text) => Some(format!("{}\n", text.trim_end_matches('\n'))),
            Err(reason) => {
                self.failed.insert(name.to_owned());
                let error = EmitError::ChartTemplate {
                    name: name.to_owned(),
                    subject: subject.to_owned(),
                    reason,
                    span: template.span,
                };
                diags.at(template.span, error);
                None
            }
        }
    }
}
