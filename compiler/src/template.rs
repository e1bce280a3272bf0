//! Library templates: the text templates that backing-service realisations and identity
//! facts are written in (minijinja, Jinja2 syntax).
//!
//! In: a template text from a library file and a context. Out: a string, or a short
//! reason that the caller turns into a spanned diagnostic. Two flavours:
//!
//! - [`render_text`]: plain text (names, values, annotations). The result goes into one
//!   structured field, so nothing can escape into the surrounding document.
//! - [`render_object`]: a YAML document with JSON auto-escaping, so every `{{ expr }}`
//!   prints a JSON literal (`"orders-db"`, `20`, `true`) and no value, however odd, can
//!   change the structure of the object; the text is then parsed into a JSON value.
//!
//! Printing an undefined variable is an error (a typo in a library is found at once);
//! testing it in `{% if %}` is not, so optional params can be checked. Shared by resolve
//! (bind values, identities) and emit (objects); it knows nothing of either.

mod guard;

use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

/// Instructions one render may run (minijinja's fuel): far above any stdlib template
/// (the largest uses a few hundred), far below a spec that nests loops to run for
/// seconds. docs/language.md, "Limits".
pub const FUEL: u64 = 50_000;

/// Characters one render may produce.
pub const MAX_OUTPUT: usize = 64 * 1024;

/// Render a plain-text template.
pub fn render_text(source: &str, context: &serde_json::Value) -> Result<String, String> {
    static ENV: OnceLock<Mutex<Environment<'static>>> = OnceLock::new();
    render(ENV.get_or_init(|| Mutex::new(environment(AutoEscape::None))), &SyntaxConfig::default(), source, context)
}

/// Render a pipeline file template: plain text in the pipeline syntax, whose delimiters
/// (`[= expr =]`, `[% block %]`, `[# comment #]`) never clash with what CI files are
/// full of: GitHub's `${{ }}`, shell and GitLab's `${VAR}` and `${#VAR}`, Tekton's
/// `$(params.x)`, Groovy's `${x}`. Values are printed as they are: the pipeline emitter
/// puts only checked names and paths in the context, and `|tojson` quotes a value for
/// YAML.
pub fn render_pipeline(source: &str, context: &serde_json::Value) -> Result<String, String> {
    render_bracket(source, context)
}

/// Render a monitoring template (a ServiceMonitor, PodMonitor, PrometheusRule or Grafana
/// dashboard) in the pipeline syntax: `[= expr =]` never clashes with what these
/// are full of, Prometheus' alert templates `{{ $labels.x }}`, Argo's `{{args.x}}` and
/// Grafana's `${var}`. Values are printed as they are: the monitoring emitter puts only
/// checked names and numbers in the context, and `|tojson` quotes a value.
pub fn render_monitoring(source: &str, context: &serde_json::Value) -> Result<String, String> {
    render_bracket(source, context)
}

/// Render in the `[= =]` syntax, shared by pipeline and monitoring templates.
fn render_bracket(source: &str, context: &serde_json::Value) -> Result<String, String> {
    static ENV: OnceLock<Mutex<Environment<'static>>> = OnceLock::new();
    let syntax = bracket_syntax()?;
    let env = ENV.get_or_init(|| Mutex::new(file_environment(FUEL)));
    render(env, &syntax, source, context)
}

/// The `[= expr =]`, `[% block %]`, `[# comment #]` syntax of whole-file templates:
/// Helm's and CI systems' `{{ }}` stay plain text. Built once per process (building
/// compiles the delimiters' matcher, which cost more than a small template's render);
/// clones share it.
pub fn bracket_syntax() -> Result<SyntaxConfig, String> {
    static SYNTAX: OnceLock<Result<SyntaxConfig, String>> = OnceLock::new();
    SYNTAX
        .get_or_init(|| {
            SyntaxConfig::builder()
                .block_delimiters("[%", "%]")
                .variable_delimiters("[=", "=]")
                .comment_delimiters("[#", "#]")
                .build()
                .map_err(|error| describe(&error))
        })
        .clone()
}

/// An environment for whole-file templates in the [`bracket_syntax`], values printed as
/// they are, at most `fuel` instructions a render. The chart emitter adds its filters and
/// renders with [`render_with`].
pub fn file_environment(fuel: u64) -> Environment<'static> {
    let mut env = environment(AutoEscape::None);
    env.set_fuel(Some(fuel));
    if let Ok(syntax) = bracket_syntax() {
        env.set_syntax(syntax);
    }
    env
}

/// Render a YAML object template and parse it; the result is one mapping.
pub fn render_object(source: &str, context: &serde_json::Value) -> Result<serde_json::Value, String> {
    render_optional_object(source, context)?.ok_or_else(|| {
        "the rendered template is empty, not one YAML mapping (an object with apiVersion, kind, metadata)".to_owned()
    })
}

/// [`render_object`], where a template that renders only whitespace (its whole text inside
/// a false `{% if %}`) is `None`: a backing realisation's object that only some
/// declarations need (an init-SQL ConfigMap).
pub fn render_optional_object(source: &str, context: &serde_json::Value) -> Result<Option<serde_json::Value>, String> {
    static ENV: OnceLock<Mutex<Environment<'static>>> = OnceLock::new();
    let env = ENV.get_or_init(|| Mutex::new(environment(AutoEscape::Json)));
    let text = render(env, &SyntaxConfig::default(), source, context)?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    parse_object(&text).map(Some)
}

/// Parse a rendered YAML object; the result is one mapping.
pub fn parse_object(text: &str) -> Result<serde_json::Value, String> {
    let value: serde_json::Value = serde_saphyr::from_str(text)
        .map_err(|error| format!("the rendered template is not YAML: {}", first_line(&error.to_string())))?;
    if !value.is_object() {
        return Err(
            "the rendered template is not one YAML mapping (an object with apiVersion, kind, metadata)".to_owned()
        );
    }
    Ok(value)
}

/// Render `source`, compiled once per process: the same library template is rendered
/// for every declaration on every view, and compiling costs more than rendering. The
/// template first passes [`guard::check`] for this size of context (once per size class),
/// and renders into a writer that stops at [`MAX_OUTPUT`].
fn render(
    env: &Mutex<Environment<'static>>,
    syntax: &SyntaxConfig,
    source: &str,
    context: &serde_json::Value,
) -> Result<String, String> {
    let context_bytes = u64::try_from(serde_json::to_string(context).map_or(0, |text| text.len())).unwrap_or(u64::MAX);
    let class = context_bytes.checked_next_power_of_two().unwrap_or(u64::MAX);
    render_with(env, syntax, source, context, class, MAX_OUTPUT)
}

/// [`render`] with the guard's context size (`class`) and the output limit given: for
/// templates whose context is Berth's own data of any size (a chart's values), judged as
/// if every context value were at most `class` bytes.
pub fn render_with(
    env: &Mutex<Environment<'static>>,
    syntax: &SyntaxConfig,
    source: &str,
    context: &serde_json::Value,
    class: u64,
    max_output: usize,
) -> Result<String, String> {
    static GUARDED: OnceLock<Mutex<Verdicts>> = OnceLock::new();
    let guarded = GUARDED.get_or_init(Mutex::default);
    let key = (source.to_owned(), class);
    let verdict = guarded.lock().unwrap_or_else(PoisonError::into_inner).get(&key).cloned();
    let verdict = verdict.unwrap_or_else(|| {
        let verdict = guard::check(source, syntax.clone(), class);
        guarded.lock().unwrap_or_else(PoisonError::into_inner).insert(key, verdict.clone());
        verdict
    });
    verdict?;
    let mut env = env.lock().unwrap_or_else(PoisonError::into_inner);
    if env.get_template(source).is_err() {
        // The source is its own name; a template that does not compile is not kept.
        env.add_template_owned(source.to_owned(), source.to_owned()).map_err(|error| describe(&error))?;
    }
    let template = env.get_template(source).map_err(|error| describe(&error))?;
    let mut out = Capped(Vec::new(), max_output);
    match template.render_captured_to(Value::from_serialize(context), &mut out) {
        Ok(_) => {}
        Err(error) if error.kind() == minijinja::ErrorKind::WriteFailure => {
            return Err(format!("the template renders more than the limit of {max_output} bytes"));
        }
        Err(error) => return Err(describe_in(&error, source)),
    }
    String::from_utf8(out.0).map_err(|_| "the template renders text that is not UTF-8".to_owned())
}

/// The guard's verdict per (template source, context size class).
type Verdicts = HashMap<(String, u64), Result<(), String>>;

/// A buffer that refuses to grow past its limit: the render stops there.
struct Capped(Vec<u8>, usize);

impl std::io::Write for Capped {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + bytes.len() > self.1 {
            return Err(std::io::Error::other("output limit"));
        }
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn environment(escape: AutoEscape) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_fuel(Some(FUEL));
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_auto_escape_callback(move |_| escape);
    env.add_filter("gib", |quantity: &str| {
        bytes(quantity).map(|b| b.div_ceil(1 << 30)).ok_or_else(|| bad_quantity(quantity))
    });
    env.add_filter("mib", |quantity: &str| {
        bytes(quantity).map(|b| b.div_ceil(1 << 20)).ok_or_else(|| bad_quantity(quantity))
    });
    // Whole CPUs a CPU quantity needs, rounded up (`500m` -> 1, `2` -> 2, `2500m` -> 3):
    // what an instance class or machine tier is chosen by.
    env.add_filter("vcpus", |quantity: &str| {
        millicores(quantity).map(|m| m.div_ceil(1000).max(1)).ok_or_else(|| bad_quantity(quantity))
    });
    // A name as a DNS label of at most `max` characters (an object whose name a
    // controller prefixes, such as Tekton's `el-<EventListener>`, needs less than 63).
    env.add_filter("dns_label", |name: &str, max: usize| {
        if !(MIN_LABEL..=63).contains(&max) {
            let reason = format!("`dns_label({max})`: the length is {MIN_LABEL} to 63 characters");
            return Err(minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, reason));
        }
        Ok(dns_label(name, max))
    });
    env
}

/// The shortest `max` [`dns_label`] accepts: room for a character, `-` and the hash.
const MIN_LABEL: usize = 10;

/// `name` as a DNS label of at most `max` (>= [`MIN_LABEL`]) characters: lower case, every
/// character other than a letter, digit or `-` as `-`, no `-` at either end. A longer one
/// is cut and ends in `-` and eight hex digits of a hash of the whole name, the way
/// `emit::common::fit_label_value` fits label values, so two long names that share a
/// prefix still differ and one name always gives the same label.
fn dns_label(name: &str, max: usize) -> String {
    let mapped: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c.to_ascii_lowercase() } else { '-' })
        .collect();
    let label = mapped.trim_matches('-');
    if label.len() <= max && !label.is_empty() {
        return label.to_owned();
    }
    // 64-bit FNV-1a, as emit::common's: stable across platforms and releases.
    let hash = name
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3));
    let hash = format!("{:08x}", hash & 0xffff_ffff);
    let prefix = label.get(..max - hash.len() - 1).unwrap_or(label).trim_end_matches('-');
    if prefix.is_empty() { hash } else { format!("{prefix}-{hash}") }
}

fn bad_quantity(quantity: &str) -> minijinja::Error {
    minijinja::Error::new(
        minijinja::ErrorKind::InvalidOperation,
        format!("`{quantity}` is not a quantity such as `20Gi` or `500m`"),
    )
}

/// Millicores in a CPU quantity (`250m`, `2`, `0.5`).
fn millicores(quantity: &str) -> Option<u64> {
    if let Some(milli) = quantity.strip_suffix('m').and_then(|milli| milli.parse().ok()) {
        return Some(milli);
    }
    // Any other quantity the spec accepts (`0.5`, `1e3`, `2k`, `1500000u`), rounded up.
    let cores = quantity.parse::<f64>().ok().or_else(|| crate::model::quantity_value(quantity))?;
    (0.0..1e12).contains(&cores).then(|| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let milli = (cores * 1000.0).ceil() as u64;
        milli
    })
}

/// Bytes in a Kubernetes quantity with a whole number (`20Gi`, `512Mi`, `100G`, `4096`).
fn exact_bytes(quantity: &str) -> Option<u64> {
    let digits = quantity.find(|c: char| !c.is_ascii_digit()).unwrap_or(quantity.len());
    let (number, suffix) = quantity.split_at(digits);
    let number: u64 = number.parse().ok()?;
    let factor: u64 = match suffix {
        "" => 1,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        "Pi" => 1 << 50,
        "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        _ => return None,
    };
    number.checked_mul(factor)
}

/// Bytes in any quantity the spec accepts, rounded up: the whole-number forms exactly
/// ([`exact_bytes`]), the others (`1.5Gi`, `1e10`, `500m`) through their value, so a
/// user's valid size never fails a stdlib template.
fn bytes(quantity: &str) -> Option<u64> {
    exact_bytes(quantity).or_else(|| {
        let value = crate::model::quantity_value(quantity)?;
        (0.0..=crate::model::MAX_QUANTITY).contains(&value).then(|| {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let bytes = value.ceil() as u64;
            bytes
        })
    })
}

/// One line: what went wrong and where in the template.
fn describe(error: &minijinja::Error) -> String {
    describe_in(error, "")
}

/// [`describe`], naming the expression of `source` that failed: `props.sise` is undefined.
fn describe_in(error: &minijinja::Error, source: &str) -> String {
    if error.kind() == minijinja::ErrorKind::OutOfFuel {
        return "the template runs out of steps (nested loops?); simplify it".to_owned();
    }
    let failed = error.range().and_then(|range| source.get(range)).map(str::trim).filter(|text| !text.is_empty());
    let detail = match (error.kind(), failed) {
        (minijinja::ErrorKind::UndefinedError, Some(expression)) => {
            format!("`{expression}` is undefined")
        }
        _ => error.detail().map_or_else(|| error.kind().to_string(), str::to_owned),
    };
    match error.line() {
        Some(line) => format!("{detail} (line {line} of the template)"),
        None => detail,
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_escape_every_value_as_json() {
        let context = json!({ "name": "a: b\n- c", "size": "20Gi" });
        let object =
            render_object("kind: X\nmetadata:\n  name: {{ name }}\nspec: {size: {{ size|gib }}}\n", &context).unwrap();
        assert_eq!(object["metadata"]["name"], "a: b\n- c");
        assert_eq!(object["spec"]["size"], 20);
    }

    #[test]
    fn an_undefined_value_is_named_with_its_line() {
        let error = render_text("ok\n{{ props.sise }}", &json!({"props": {"size": 1}})).unwrap_err();
        assert_eq!(error, "`props.sise` is undefined (line 2 of the template)");
    }

    #[test]
    fn printing_an_undefined_value_is_an_error_testing_it_is_not() {
        let context = json!({ "params": {} });
        assert_eq!(render_text("{% if params.zone %}x{% endif %}ok", &context).unwrap(), "ok");
        let error = render_text("{{ params.zone }}", &context).unwrap_err();
        assert!(error.contains("undefined"), "{error}");
    }

    #[test]
    fn pipeline_templates_leave_ci_expressions_alone() {
        let source = "run: echo ${{ github.sha }} ${#A} $(params.x) ${X}[% if ok %] [= name =][% endif %][# note #]\n";
        let text = render_pipeline(source, &json!({ "ok": true, "name": "order-api" })).unwrap();
        assert_eq!(text, "run: echo ${{ github.sha }} ${#A} $(params.x) ${X} order-api");
    }

    #[test]
    fn quantities_round_up() {
        assert_eq!(bytes("512Mi").map(|b| b.div_ceil(1 << 30)), Some(1));
        assert_eq!(bytes("1Ti").map(|b| b.div_ceil(1 << 30)), Some(1024));
        // Every quantity the spec accepts has a size, rounded up to the next byte/millicore.
        assert_eq!(bytes("1.5Gi"), Some(3 << 29));
        assert_eq!(render_text("{{ '1.5Gi'|gib }} {{ '1e10'|gib }} {{ '500m'|mib }}", &json!({})).unwrap(), "2 10 1");
        assert_eq!(
            render_text("{{ '0.5'|vcpus }} {{ '2500m'|vcpus }} {{ '1e3'|vcpus }}", &json!({})).unwrap(),
            "1 3 1000"
        );
        let error = render_text("{{ 'vault'|gib }}", &json!({})).unwrap_err();
        assert!(error.contains("not a quantity"), "{error}");
    }

    #[test]
    fn dns_labels_fit_their_length() {
        assert_eq!(dns_label("berth-Ledger_v2.core", 60), "berth-ledger-v2-core");
        let long = format!("berth-{}", "a".repeat(70));
        let fitted = dns_label(&long, 60);
        assert_eq!(fitted.len(), 60);
        assert!(fitted.starts_with("berth-aaa") && fitted.as_bytes()[51] == b'-', "{fitted}");
        assert_ne!(fitted, dns_label(&format!("{long}b"), 60), "a hash of the whole name");
        assert_eq!(dns_label(&long, 60), fitted, "deterministic");
        assert_eq!(dns_label("___", 63).len(), 8);
        let text = render_pipeline("[= ('deploy-' ~ env)|dns_label(63) =]", &json!({ "env": "x".repeat(60) }));
        assert_eq!(text.map(|t| t.len()), Ok(63));
        assert!(render_pipeline("[= 'a'|dns_label(5) =]", &json!({})).is_err());
    }

    #[test]
    fn nested_loops_run_out_of_fuel() {
        let source = "{% for a in range(1000) %}{% for b in range(1000) %}{{ a }}{% endfor %}{% endfor %}";
        let error = render_text(source, &json!({})).unwrap_err();
        assert!(error.contains("steps"), "{error}");
        let error = render_text("{{ 'x' * 100000 }}", &json!({})).unwrap_err();
        assert!(error.contains("limit"), "{error}");
    }

    #[test]
    fn non_mapping_output_is_rejected() {
        assert!(render_object("- a\n- b\n", &json!({})).is_err());
        assert!(render_object("a: [\n", &json!({})).is_err());
        assert!(render_object("{% if false %}kind: X{% endif %}\n", &json!({})).is_err());
        assert_eq!(render_optional_object("{% if false %}\nkind: X\n{% endif %}\n", &json!({})), Ok(None));
        let object = render_optional_object("{% if true %}\nkind: X\n{% endif %}\n", &json!({}));
        assert_eq!(object, Ok(Some(json!({"kind": "X"}))));
    }
}
