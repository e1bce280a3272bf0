//! CI-native reports: the SARIF log of a failing spec validates against the official
//! SARIF 2.1.0 schema, and the SARIF and GitHub workflow-command renderings of a small
//! failing fixture are snapshotted.

use berth::driver::{Compilation, Inputs, Options, compile};
use berth::output::report::{ReportFormat, render};
use serde_json::Value;
use std::path::Path;

/// Compile `tests/fixtures/reports/<name>.kdl`, named as a CLI user would give it.
fn compile_fixture(name: &str) -> Compilation {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/reports").join(format!("{name}.kdl"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    compile(&Inputs::spec(format!("tests/fixtures/reports/{name}.kdl"), text), &Options::default())
}

/// The official OASIS SARIF 2.1.0 schema (errata01) is JSON Schema draft-04, as its
/// `$schema` says; the validator is told so explicitly rather than guessing.
fn sarif_validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/formats/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let schema: Value = serde_json::from_str(&text).expect("the SARIF schema is JSON");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-04/schema#");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid_sarif(text: &str) -> Value {
    let log: Value = serde_json::from_str(text).expect("SARIF output is JSON");
    let errors: Vec<String> =
        sarif_validator().iter_errors(&log).map(|error| format!("{error} at {}", error.instance_path())).collect();
    assert!(errors.is_empty(), "{}\n{text}", errors.join("\n"));
    log
}

/// A spec with several errors, plus a warning pushed into the same file (a spec with
/// errors stops before emit, which is where today's warnings come from).
#[test]
fn sarif_of_errors_and_a_warning_validates_against_the_sarif_schema() {
    let mut compilation = compile_fixture("several-errors");
    assert!(compilation.diagnostics.error_count() >= 3);
    let file = compilation.sources.iter().find(|(_, file)| file.name.ends_with("several-errors.kdl")).map(|(id, _)| id);
    let warning = miette::MietteDiagnostic::new("a warning for the report test")
        .with_code("test::warning")
        .with_severity(miette::Severity::Warning)
        .with_label(miette::LabeledSpan::at(0..10, "here"));
    compilation.diagnostics.push(file, warning);
    let text = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Sarif, false);
    let log = assert_valid_sarif(&text);
    let run = &log["runs"][0];
    let rule_ids: Vec<&str> =
        run["tool"]["driver"]["rules"].as_array().unwrap().iter().map(|rule| rule["id"].as_str().unwrap()).collect();
    assert_eq!(rule_ids, ["model::invalid_name", "model::unknown_property", "model::wrong_type", "test::warning"]);
    let levels: Vec<&str> = run["results"].as_array().unwrap().iter().map(|r| r["level"].as_str().unwrap()).collect();
    assert_eq!(levels.iter().filter(|level| **level == "error").count(), 3, "{levels:?}");
    assert_eq!(levels.iter().filter(|level| **level == "warning").count(), 1, "{levels:?}");
    for result in run["results"].as_array().unwrap() {
        let rule = &run["tool"]["driver"]["rules"][result["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], result["ruleId"]);
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "tests/fixtures/reports/several-errors.kdl");
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn sarif_of_a_real_warning_validates() {
    let compilation = compile_fixture("egress-warning");
    assert!(!compilation.has_errors());
    assert_eq!(compilation.diagnostics.warning_count(), 1);
    let log = assert_valid_sarif(&render(&compilation.sources, &compilation.diagnostics, ReportFormat::Sarif, false));
    assert_eq!(log["runs"][0]["results"][0]["level"], "warning");
    assert_eq!(log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"], 19);
}

#[test]
fn sarif_of_a_clean_spec_has_no_results() {
    let compilation = compile_fixture("egress-warning");
    let clean = berth::diag::Diagnostics::default();
    let log = assert_valid_sarif(&render(&compilation.sources, &clean, ReportFormat::Sarif, false));
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
    // The validator does reject a log SARIF does not allow.
    let mut broken = log;
    broken["runs"][0]["results"] = serde_json::json!([{"message": {"text": "x"}, "level": "fatal"}]);
    assert!(!sarif_validator().is_valid(&broken));
}

/// The version changes with every release; the snapshot should not.
fn without_version(text: &str) -> String {
    text.replace(&format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION")), "\"version\": \"[version]\"")
}

#[test]
fn sarif_snapshot() {
    let compilation = compile_fixture("several-errors");
    let text = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Sarif, false);
    insta::assert_snapshot!("report-sarif-several-errors", without_version(&text));
}

#[test]
fn github_snapshot() {
    let mut text = String::new();
    for name in ["several-errors", "egress-warning"] {
        let compilation = compile_fixture(name);
        text.push_str(&render(&compilation.sources, &compilation.diagnostics, ReportFormat::Github, false));
    }
    insta::assert_snapshot!("report-github", text);
}

/// Workflow commands end at a newline and split properties at `,` and `:`, so those
/// (and `%`) are escaped; nothing else is.
#[test]
fn github_commands_escape_what_the_runner_requires() {
    let mut compilation = compile_fixture("egress-warning");
    let file = compilation.sources.iter().find(|(_, file)| file.name.ends_with("egress-warning.kdl")).map(|(id, _)| id);
    let note = miette::MietteDiagnostic::new("100% sure\r\nsecond line")
        .with_code("a::b,c")
        .with_severity(miette::Severity::Advice)
        .with_label(miette::LabeledSpan::at(0..2, "here"));
    compilation.diagnostics.push(file, note);
    let text = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Github, false);
    let line = text.lines().find(|line| line.starts_with("::notice")).expect("advice becomes a notice");
    assert_eq!(
        line,
        "::notice file=tests/fixtures/reports/egress-warning.kdl,line=1,col=1,endLine=1,endColumn=2,title=a%3A%3Ab%2Cc::100%25 sure%0D%0Asecond line"
    );
}
