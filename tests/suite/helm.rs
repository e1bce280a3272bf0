//! Helm charts (`platform { helm "..." }`, docs/helm.md): `berth diff` shows chart changes,
//! a `--lib` `chart-template` replaces a chart file (and a broken one is a spanned
//! diagnostic), and, with the real helm, hostile values cannot inject YAML and the values
//! schema rejects a misspelled key and a wrong type.
//!
//! The helm tests need the helm binary `../shared/tools/check-helm` installs
//! (`~/.cache/platform-oracles/bin/helm`, or `$BERTH_HELM`); without it they say so and pass.
//! `.ci/run` runs them again once the oracles are installed, with `BERTH_REQUIRE_HELM=1`
//! (a missing helm then fails), and `.ci/helm-check` runs the same helm on every example.

use berth::diag::SourceFile;
use berth::driver::{Compilation, Inputs, Options, compile};
use berth::output::report::{ReportFormat, render};
use berth::output::{diff, file, review};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A spec whose config differs between environments (a `config.GREETING` value) and whose
/// prod has more replicas.
const SPEC: &str = r#"
platform "shop" {
    helm "1.2.3"
}
target "onprem" cloud="onprem" {
    dns "apps.example.internal"
}
environment "dev" target="onprem"
environment "prod" target="onprem"
domain "greeting" {
    service "hello-api" {
        image "registry.example.internal/hello-api" tag="1.0.0"
        port "http" 8080
        health "/healthz"
        config GREETING="hello"
        in "prod" {
            replicas REPLICAS
            config GREETING="hello, prod"
        }
    }
}
"#;

fn build(replicas: u32) -> Compilation {
    let text = SPEC.replace("REPLICAS", &replicas.to_string());
    let compilation = compile(&Inputs::spec("spec.kdl", text), &Options::default());
    assert!(!compilation.has_errors(), "{:?}", compilation.diagnostics);
    compilation
}

/// A change of prod's replicas shows in the chart's `values-prod.yaml`, as a text diff.
#[test]
fn berth_diff_shows_chart_changes() {
    let old = build(2);
    let new = build(3);
    let changes = diff::diff(&old.tree, &new.tree);
    let paths: Vec<&str> = changes.resources.iter().map(|r| r.path.as_str()).collect();
    assert!(paths.contains(&"charts/onprem/greeting/values-prod.yaml"), "{paths:#?}");
    assert!(paths.contains(&"prod/onprem/greeting/deployment-hello-api.yaml"), "{paths:#?}");
    let values = changes.resources.iter().find(|r| r.path == "charts/onprem/greeting/values-prod.yaml");
    let text = values.map(|r| r.text.clone()).unwrap_or_default();
    assert!(text.contains("-  replicas: 2") && text.contains("+  replicas: 3"), "{text}");
    let terminal = review::render_terminal(&review::Review { diff: changes, risks: Vec::new() }, false);
    assert!(terminal.contains("charts/onprem/greeting/values-prod.yaml"), "{terminal}");
}

/// The spec built with a `--lib` file.
fn build_with_library(library: &str) -> Compilation {
    let mut inputs = Inputs::spec("spec.kdl", SPEC.replace("REPLICAS", "2"));
    inputs.libraries.push(SourceFile { name: "lib/charts.kdl".to_owned(), text: library.to_owned() });
    compile(&inputs, &Options::default())
}

/// A chart file's text.
fn chart_file(compilation: &Compilation, path: &str) -> String {
    match compilation.tree.get(&format!("charts/onprem/greeting/{path}")).map(|a| &a.body) {
        Some(berth::emit::Body::Text { text, .. }) => text.clone(),
        other => panic!("no text at {path}: {other:?}"),
    }
}

/// The chart files are library templates (`stdlib/charts/`): a `--lib` file's
/// `chart-template` replaces the stdlib one, and only that file changes.
#[test]
fn a_library_chart_template_replaces_the_stdlib_one() {
    let stdlib = build(2);
    let library = r##"
// Acme's notes: where to ask, then the environment.
chart-template "notes" #"""
    Ask #platform about [= chart =] ({{ .Values.environmentName }}, [= environments|join(" -> ") =]).
    """#

// Every object template says where it comes from.
chart-template "object" #"""
    # [= kind =] [= key =] of [= owner =], from Acme's template
    [% if enabled %]
    {{- if [= enabled|value_ref =] }}
    [= body =]{{- end }}
    [% else %]
    [= body =]
    [% endif %]
    """#
"##;
    let acme = build_with_library(library);
    let report = render(&acme.sources, &acme.diagnostics, ReportFormat::Plain, false);
    assert!(!acme.has_errors(), "{report}");
    assert_eq!(
        chart_file(&acme, "templates/NOTES.txt"),
        "Ask #platform about greeting ({{ .Values.environmentName }}, dev -> prod).\n"
    );
    assert!(chart_file(&stdlib, "templates/NOTES.txt").contains("is installed for environment"));
    let deployment = chart_file(&acme, "templates/deployment-hello-api.yaml");
    let original = chart_file(&stdlib, "templates/deployment-hello-api.yaml");
    assert_eq!(deployment, format!("# Deployment deployment-hello-api of hello-api, from Acme's template\n{original}"));
    for path in ["Chart.yaml", "values.yaml", "values-prod.yaml", "templates/_helpers.tpl", "README.md"] {
        assert_eq!(chart_file(&acme, path), chart_file(&stdlib, path), "{path} changed");
    }
}

/// A library chart template that does not compile, or reads a value the context lacks, is
/// an error at the template in the library file (once, not once per object), and nothing
/// is written.
#[test]
fn a_broken_library_chart_template_is_a_spanned_error() {
    for (template, reason) in [("[% for object in %]", "unexpected"), ("[= objects.first =]", "undefined")] {
        let library = format!("chart-template \"object\" #\"{template}\"#\n");
        let compilation = build_with_library(&library);
        assert!(compilation.has_errors(), "{template}");
        assert!(compilation.tree.is_empty(), "{template}: nothing is written");
        let json = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Json, false);
        let items: Value = serde_json::from_str(&json).expect("json report");
        let items: Vec<&Value> =
            items.as_array().expect("a list").iter().filter(|item| item["code"] == "emit::chart_template").collect();
        assert_eq!(items.len(), 1, "{json}");
        let item = items[0];
        assert_eq!(item["file"], "lib/charts.kdl", "{json}");
        assert_eq!((item["line"].as_u64(), item["column"].as_u64()), (Some(1), Some(25)), "{json}");
        assert_eq!(item["labels"][0]["len"].as_u64(), Some(template.len() as u64 + 4), "{json}");
        let message = item["message"].as_str().unwrap_or_default();
        assert!(message.contains("`object` chart template") && message.contains(reason), "{message}");
        assert!(item["help"].as_str().is_some_and(|help| help.contains("docs/helm.md")), "{json}");
    }
}

/// The helm binary, or `None` (the test then passes with a message).
fn helm() -> Option<PathBuf> {
    let path = match std::env::var_os("BERTH_HELM") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".cache/platform-oracles/bin/helm"),
    };
    if path.is_file() {
        Some(path)
    } else if std::env::var_os("BERTH_REQUIRE_HELM").is_some() {
        panic!("BERTH_REQUIRE_HELM is set and there is no helm at {}", path.display());
    } else {
        eprintln!("SKIPPED: no helm at {} (../shared/tools/check-helm installs it)", path.display());
        None
    }
}

/// Write the compilation's files under a fresh folder; returns the chart folder.
fn write(compilation: &Compilation, name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("berth-helm-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for (path, text) in file::files(&compilation.tree) {
        let target = root.join(path);
        std::fs::create_dir_all(target.parent().expect("a file has a folder")).expect("mkdir");
        std::fs::write(target, text).expect("write");
    }
    root.join("charts/onprem/greeting")
}

/// `helm template` of the chart with extra values files: the objects, or helm's error.
fn template(helm: &Path, chart: &Path, values: &[(&str, Value)]) -> Result<Vec<Value>, String> {
    let mut command = Command::new(helm);
    command.args(["template", "r"]).arg(chart).args(["--kube-version", "1.33"]);
    let home = chart.join("../../../.helm-home");
    command.env("HELM_CONFIG_HOME", &home).env("HELM_CACHE_HOME", &home).env("HELM_DATA_HOME", &home);
    for (name, value) in values {
        let path = chart.join(name);
        std::fs::write(&path, serde_json::to_string(value).expect("json")).expect("write values");
        command.arg("-f").arg(path);
    }
    let output = command.output().expect("helm runs");
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let mut objects = Vec::new();
    for document in text.split("\n---") {
        let document = document.trim_start_matches("---");
        if document.lines().all(|line| line.trim().is_empty() || line.trim_start().starts_with('#')) {
            continue;
        }
        objects.push(serde_saphyr::from_str::<Value>(document).map_err(|e| format!("{e}: {document}"))?);
    }
    Ok(objects)
}

/// Values that would break a template that pastes text: they come back as the same strings,
/// and no object or key appears.
#[test]
fn hostile_values_cannot_inject_yaml() {
    let Some(helm) = helm() else { return };
    let chart = write(&build(2), "hostile");
    let baseline = template(&helm, &chart, &[]).expect("the chart renders");
    let hostile = [
        "a: b",
        "x\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: evil",
        "{{ .Release.Name }}",
        "}}{{",
        "- item",
        "\"quoted\" 'single' \\back",
        "  leading and trailing  ",
        "yes",
        "#not a comment",
        "",
    ];
    for value in hostile {
        let values = json!({"hello-api": {"config": {"GREETING": value}}});
        let objects =
            template(&helm, &chart, &[("hostile.yaml", values)]).unwrap_or_else(|error| panic!("{value:?}: {error}"));
        assert_eq!(objects.len(), baseline.len(), "{value:?} changed the number of objects");
        let config = objects
            .iter()
            .find(|object| object["kind"] == "ConfigMap")
            .unwrap_or_else(|| panic!("{value:?}: no ConfigMap"));
        assert_eq!(config["data"], json!({"GREETING": value}), "{value:?}");
    }
}

/// The values schema rejects a misspelled key and a wrong type, and accepts `--set`-style
/// numeric image tags.
#[test]
fn the_values_schema_rejects_misspelled_keys_and_wrong_types() {
    let Some(helm) = helm() else { return };
    let chart = write(&build(2), "schema");
    let prod = serde_json::from_str::<Value>("{}").expect("json");
    assert!(template(&helm, &chart, &[("ok.yaml", prod)]).is_ok());
    let misspelled = json!({"hello-api": {"replicaz": 2}});
    let error = template(&helm, &chart, &[("misspelled.yaml", misspelled)]).expect_err("a misspelled key is rejected");
    assert!(error.contains("replicaz"), "{error}");
    let wrong_type = json!({"hello-api": {"replicas": "two"}});
    let error = template(&helm, &chart, &[("type.yaml", wrong_type)]).expect_err("a string for replicas is rejected");
    assert!(error.contains("replicas"), "{error}");
    let out_of_range = json!({"hello-api": {"replicas": -1}});
    assert!(template(&helm, &chart, &[("range.yaml", out_of_range)]).is_err(), "negative replicas are rejected");
    let top = json!({"environmentNam": "dev"});
    assert!(template(&helm, &chart, &[("top.yaml", top)]).is_err(), "a misspelled top-level key is rejected");
    let numeric_tag = json!({"hello-api": {"image": {"tag": 4_215_007}}});
    let objects = template(&helm, &chart, &[("tag.yaml", numeric_tag)]).expect("a numeric tag renders");
    let deployment = objects.iter().find(|object| object["kind"] == "Deployment").expect("a Deployment");
    assert_eq!(
        deployment.pointer("/spec/template/spec/containers/0/image"),
        Some(&json!("registry.example.internal/hello-api:4215007"))
    );
}
