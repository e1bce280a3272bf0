//! Text artifacts of a known format: each parses as its syntax says, and a document with
//! a bundled JSON Schema (a GitHub workflow, a GitLab CI file, a Helm `Chart.yaml`, a `kustomization.yaml`)
//! matches it. The schemas are copies from `../shared/schemas/formats/` (sources and
//! licences in `schemas/README.md`), embedded with `include_str!`.

use crate::emit::Format;

/// The bundled JSON Schema of a format: its name in messages and its text.
pub fn schema(format: Format) -> Option<(&'static str, &'static str)> {
    match format {
        Format::GithubWorkflow => {
            Some(("GitHub workflow", include_str!("../../../schemas/formats/github-workflow.json")))
        }
        Format::GitlabCi => Some(("GitLab CI", include_str!("../../../schemas/formats/gitlab-ci.json"))),
        Format::HelmChart => Some(("Helm Chart.yaml", include_str!("../../../schemas/formats/helm-chart.json"))),
        Format::Kustomization => {
            Some(("kustomization.yaml", include_str!("../../../schemas/formats/kustomization.json")))
        }
        Format::Yaml | Format::Json | Format::Markdown | Format::Jenkinsfile | Format::HelmTemplate => None,
    }
}

/// The text as a JSON value, for the formats `validate` can parse; `Ok(None)` for the
/// others (Markdown, Groovy, Helm template text: the external checks judge them).
pub fn parse(format: Format, text: &str) -> Result<Option<serde_json::Value>, String> {
    if format == Format::Json {
        return serde_json::from_str(text).map(Some).map_err(|error| error.to_string());
    }
    if format.is_yaml() {
        return serde_saphyr::from_str(text).map(Some).map_err(|error| error.to_string());
    }
    Ok(None)
}
