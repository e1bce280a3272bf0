//! Pipelines: the CI files of every example, written where the external checks read
//! them, snapshotted per CI system, and checked for promotion order and approvals.

use crate::examples::{compile_example, example_names};
use berth::emit::Body;
use std::path::{Path, PathBuf};

/// One pipeline file of the output tree.
pub struct PipelineFile {
    pub path: String,
    pub format: String,
    pub origin_label: String,
    pub text: String,
}

/// The pipeline files of one example: the tree's files under `pipelines/`.
pub fn pipeline_files(name: &str) -> Vec<PipelineFile> {
    let compilation = compile_example(name);
    compilation
        .tree
        .values()
        .filter(|artifact| artifact.path.starts_with("pipelines/"))
        .map(|artifact| match &artifact.body {
            Body::Text { format, text } => PipelineFile {
                path: artifact.path.clone(),
                format: format.name().to_owned(),
                origin_label: artifact.origin_label.clone(),
                text: text.clone(),
            },
            Body::Object(_) => panic!("{}: a pipeline file is text", artifact.path),
        })
        .collect()
}

/// Write an example's pipeline files under `target/tmp/pipelines/<example>/` (the
/// external checks in `.ci/run` read the same layout from `berth build`).
pub(crate) fn write(name: &str, files: &[PipelineFile]) -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pipelines").join(name);
    if root.exists() {
        std::fs::remove_dir_all(&root).unwrap();
    }
    for file in files {
        let path = root.join(&file.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &file.text).unwrap();
    }
    root
}

#[test]
fn every_example_writes_its_pipelines() {
    for name in example_names() {
        let files = pipeline_files(&name);
        write(&name, &files);
    }
}

/// The files of one CI system for one workload and for the estate, as one text.
fn flavour(files: &[PipelineFile], system: &str, workload: &str) -> String {
    let prefix = format!("pipelines/{system}/");
    let mut text = String::from("── files ──\n");
    for file in files.iter().filter(|f| f.path.starts_with(&prefix)) {
        text.push_str(&format!("{}  ({}, {})\n", file.path, file.format, file.origin_label));
    }
    for file in files.iter().filter(|f| f.path.starts_with(&prefix)) {
        let estate = file.origin_label.starts_with("platform ") || file.origin_label.starts_with("repository ");
        if estate || file.origin_label.ends_with(&format!("/{workload}")) {
            text.push_str(&format!("── {} ──\n{}", file.path, file.text));
        }
    }
    text
}

/// One snapshot per CI system of examples/enterprise: every path, then the estate's files
/// and order/order-api's (the others differ only in names, build kind and environments).
#[test]
fn enterprise_pipelines_match_snapshots() {
    let files = pipeline_files("enterprise");
    for system in ["github", "gitlab", "jenkins", "tekton"] {
        let text = flavour(&files, system, "order-api");
        assert!(text.contains("── pipelines/"), "{system}: no file");
        insta::assert_snapshot!(format!("enterprise-{system}"), text);
    }
}

/// `(environment, approval group)` of each environment a workload deploys to, in order.
type Promotion = Vec<(&'static str, Option<&'static str>)>;

/// What examples/enterprise declares: dev -> stage -> prod -> dr, prod and dr approved by
/// release-managers; order-archive is disabled in dev, settlement-export in dr.
fn expected_promotions() -> Vec<(&'static str, Promotion)> {
    let all: Promotion =
        vec![("dev", None), ("stage", None), ("prod", Some("release-managers")), ("dr", Some("release-managers"))];
    vec![
        ("portal-web-portal", all.clone()),
        ("portal-portal-bff", all.clone()),
        ("order-order-api", all.clone()),
        ("order-order-projector", all.clone()),
        ("order-order-archive", all[1..].to_vec()),
        ("payment-payment-api", all.clone()),
        ("payment-settlement-export", all[..3].to_vec()),
        ("hr-hr-api", all.clone()),
        ("hr-hr-payroll-sync", all.clone()),
    ]
}

pub(crate) fn file<'f>(files: &'f [PipelineFile], path: &str) -> &'f PipelineFile {
    files.iter().find(|f| f.path == path).unwrap_or_else(|| panic!("no {path}"))
}

pub(crate) fn yaml(file: &PipelineFile) -> serde_json::Value {
    serde_saphyr::from_str(&file.text).unwrap_or_else(|e| panic!("{}: {e}", file.path))
}

pub(crate) fn strings(value: &serde_json::Value) -> Vec<String> {
    value.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

/// GitHub: one `deploy-<env>` job per environment, each needing the image and the
/// previous deploy, in a GitHub environment of that name (where required reviewers are
/// set) and the environment's concurrency group; the approval group is named on the job.
#[test]
fn github_deploys_follow_the_environment_order() {
    let files = pipeline_files("enterprise");
    for (id, promotion) in expected_promotions() {
        let workflow = file(&files, &format!("pipelines/github/.github/workflows/{id}.yml"));
        let jobs = &yaml(workflow)["jobs"];
        let deploys: Vec<&str> = jobs.as_object().unwrap().keys().filter_map(|k| k.strip_prefix("deploy-")).collect();
        assert_eq!(deploys, promotion.iter().map(|(e, _)| *e).collect::<Vec<_>>(), "{id}");
        for (index, (env, approval)) in promotion.iter().enumerate() {
            let job = &jobs[format!("deploy-{env}")];
            let mut needs = vec!["image".to_owned()];
            if index > 0 {
                needs.push(format!("deploy-{}", promotion[index - 1].0));
            }
            assert_eq!(strings(&job["needs"]), needs, "{id} {env}");
            assert_eq!(job["environment"], *env, "{id}");
            assert_eq!(job["concurrency"]["group"], format!("berth-deploy-{env}"), "{id}");
            let block =
                workflow.text.split(&format!("  deploy-{env}:\n")).nth(1).unwrap().split("\n  deploy-").next().unwrap();
            assert_eq!(
                approval.is_some_and(|group| block.contains(&format!("# Waits for `{group}`"))),
                approval.is_some(),
                "{id} {env}"
            );
            assert_eq!(
                job["permissions"]["pull-requests"] == "write",
                *env == "prod" || *env == "dr",
                "{id} {env}: a pull request for production only"
            );
        }
        assert_eq!(yaml(workflow)["permissions"], serde_json::json!({}), "{id}: no default permissions");
    }
}

/// GitLab: the child pipeline's stages end with one `deploy-<env>` per environment, in
/// order; an approval environment is a manual job that blocks the pipeline.
#[test]
fn gitlab_deploys_follow_the_environment_order() {
    let files = pipeline_files("enterprise");
    for (id, promotion) in expected_promotions() {
        let pipeline = yaml(file(&files, &format!("pipelines/gitlab/.gitlab/ci/{id}.gitlab-ci.yml")));
        let stages = strings(&pipeline["stages"]);
        let deploys: Vec<&str> = stages.iter().filter_map(|s| s.strip_prefix("deploy-")).collect();
        assert_eq!(deploys, promotion.iter().map(|(e, _)| *e).collect::<Vec<_>>(), "{id}");
        for (index, (env, approval)) in promotion.iter().enumerate() {
            let job = &pipeline[format!("deploy-{env}")];
            assert_eq!(job["resource_group"], format!("berth-deploy-{env}"));
            let needs = strings(&job["needs"]);
            assert_eq!(
                index > 0 && needs.contains(&format!("deploy-{}", promotion[index - 1].0)),
                index > 0,
                "{id} {env}"
            );
            assert_eq!(job["rules"][0]["when"] == "manual", approval.is_some(), "{id} {env}");
            assert_eq!(job["allow_failure"] == false, approval.is_some(), "{id} {env}");
        }
    }
}

/// GitLab: the cloud registries (EKS, GKE, AKS targets) are logged in with the job's
/// `id_tokens`, each with its cloud's audience, never with a password variable; the
/// on-premises registry keeps its variables; the jobs that push (`build-image`, `sign`)
/// log in, and the SBOM and the scan read the image file, logging in nowhere.
#[test]
fn gitlab_logs_in_to_cloud_registries_by_identity() {
    let files = pipeline_files("enterprise");
    let text = &file(&files, "pipelines/gitlab/.gitlab/ci/order-order-api.gitlab-ci.yml").text;
    let pipeline = yaml(file(&files, "pipelines/gitlab/.gitlab/ci/order-order-api.gitlab-ci.yml"));
    let login = &pipeline[".registry-login"];
    let audiences = [
        ("AWS", "sts.amazonaws.com"),
        ("GCP", "https://iam.googleapis.com/${BERTH_WIF_PROVIDER_GCP}"),
        ("AZURE", "api://AzureADTokenExchange"),
    ];
    for (target, audience) in audiences {
        assert_eq!(login["id_tokens"][format!("BERTH_ID_TOKEN_{target}")]["aud"], audience, "{target}");
        assert!(!text.contains(&format!("BERTH_REGISTRY_PASSWORD_{target}")), "{target}: no password variable");
        let script = strings(&login["before_script"]).join("\n");
        assert!(script.contains(&format!("${{BERTH_ID_TOKEN_{target}}}")), "{target}: the token is exchanged");
    }
    assert_eq!(login["id_tokens"].as_object().unwrap().len(), 3, "no token for the on-premises registry");
    assert!(strings(&login["before_script"]).iter().any(|line| line.contains("$BERTH_REGISTRY_PASSWORD_DC1")));
    for job in ["build-image", "sign"] {
        assert_eq!(pipeline[job]["extends"], ".registry-login", "{job}");
    }
    assert_eq!(pipeline["sign"]["id_tokens"]["SIGSTORE_ID_TOKEN"]["aud"], "sigstore");
    for job in ["sbom", "scan"] {
        assert!(pipeline[job].get("extends").is_none(), "{job}");
        let script = strings(&pipeline[job]["script"]).join("\n");
        assert!(script.contains("image.tar") && !script.contains("REGISTRY"), "{job}: {script}");
    }
}

/// A `stage('name') { ... }` block of a Jenkinsfile: its name and its text.
fn jenkins_stages(text: &str) -> Vec<(String, String)> {
    let mut stages = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("stage('") {
        let after = &rest[at + 7..];
        let name = after[..after.find('\'').unwrap()].to_owned();
        let open = after.find('{').unwrap();
        let mut depth = 0;
        let mut end = open;
        for (offset, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = open + offset;
                break;
            }
        }
        stages.push((name, after[open..=end].to_owned()));
        rest = &after[open + 1..];
    }
    stages
}

/// Jenkins: the declarative structure (no global agent, each stage on its own agent),
/// the stages in order, and an `input` with the group as `submitter` exactly where the
/// spec asks for approval, before the agent is taken (`beforeInput`).
#[test]
fn jenkinsfiles_have_their_stages_agents_and_inputs() {
    let files = pipeline_files("enterprise");
    for (id, promotion) in expected_promotions() {
        let (domain, name) = id.split_once('-').unwrap();
        let jenkinsfile = file(&files, &format!("pipelines/jenkins/{domain}/{name}/Jenkinsfile"));
        let text = &jenkinsfile.text;
        assert!(text.contains("pipeline {\n    agent none\n"), "{id}");
        let stages = jenkins_stages(text);
        let names: Vec<&str> = stages.iter().map(|(n, _)| n.as_str()).collect();
        let mut expected = if id == "hr-hr-api" { vec![] } else { vec!["Test"] };
        expected.extend(["Image", "SBOM and scan", "SBOM", "Scan", "Sign"]);
        let deploys: Vec<String> = promotion.iter().map(|(env, _)| format!("Deploy {env}")).collect();
        expected.extend(deploys.iter().map(String::as_str));
        assert_eq!(names, expected, "{id}");
        for (stage, block) in &stages {
            if stage != "SBOM and scan" {
                assert!(block.contains("agent {"), "{id} {stage}: no agent");
            }
            let approval = promotion.iter().find(|(env, _)| *stage == format!("Deploy {env}")).and_then(|(_, a)| *a);
            match approval {
                Some(group) => {
                    assert!(block.contains(&format!("submitter '{group}'")), "{id} {stage}");
                    assert!(block.contains("beforeInput true"), "{id} {stage}");
                    assert!(block.find("input {") < block.find("agent {"), "{id} {stage}: input before agent");
                }
                None => assert!(!block.contains("input {"), "{id} {stage}: unexpected input"),
            }
            if let Some(env) = stage.strip_prefix("Deploy ") {
                assert!(block.contains(&format!("lock(resource: 'berth-deploy-{env}')")), "{id} {stage}");
            }
        }
    }
}

/// Tekton: deploy tasks chained by `runAfter` in environment order, an approval task
/// before each environment with `approval`, naming the group.
#[test]
fn tekton_deploys_follow_the_environment_order() {
    let files = pipeline_files("enterprise");
    for (id, promotion) in expected_promotions() {
        let pipeline = yaml(file(&files, &format!("pipelines/tekton/{id}/pipeline.yaml")));
        let tasks = pipeline["spec"]["tasks"].as_array().unwrap();
        let by_name = |name: &str| tasks.iter().find(|t| t["metadata"].is_null() && t["name"] == name);
        let mut previous = "verify".to_owned();
        for (env, approval) in &promotion {
            if let Some(group) = approval {
                let approve = by_name(&format!("approve-{env}")).unwrap_or_else(|| panic!("{id}: no approve-{env}"));
                assert_eq!(strings(&approve["runAfter"]), [previous.clone()], "{id} {env}");
                assert_eq!(approve["taskRef"]["name"], "berth-approval");
                assert!(approve["params"].as_array().unwrap().iter().any(|p| p["value"] == *group), "{id} {env}");
                previous = format!("approve-{env}");
            } else {
                assert!(by_name(&format!("approve-{env}")).is_none(), "{id} {env}");
            }
            let deploy = by_name(&format!("deploy-{env}")).unwrap_or_else(|| panic!("{id}: no deploy-{env}"));
            assert_eq!(strings(&deploy["runAfter"]), [previous.clone()], "{id} {env}");
            previous = format!("deploy-{env}");
        }
    }
}

/// Tekton: each workload's Trigger starts its own TriggerTemplate only for pushes to the
/// branch that change its source folder, and the EventListener names every Trigger.
#[test]
fn tekton_triggers_filter_on_the_source_folder() {
    let files = pipeline_files("enterprise");
    let listener = yaml(file(&files, "pipelines/tekton/event-listener.yaml"));
    let refs: Vec<String> = listener["spec"]["triggers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["triggerRef"].as_str().unwrap().to_owned())
        .collect();
    let mut expected = vec!["berth-spec-push".to_owned(), "berth-spec-pull-request".to_owned()];
    expected.extend(expected_promotions().iter().map(|(id, _)| (*id).to_owned()));
    assert_eq!(refs.iter().collect::<std::collections::BTreeSet<_>>(), expected.iter().collect(), "EventListener");
    let sources = [("order-order-api", "services/order-api/"), ("order-order-archive", "jobs/order-archive/")];
    for (id, prefix) in sources {
        let trigger = yaml(file(&files, &format!("pipelines/tekton/{id}/trigger.yaml")));
        assert_eq!(trigger["kind"], "Trigger");
        assert_eq!(trigger["spec"]["template"]["ref"], id);
        let interceptors = trigger["spec"]["interceptors"].as_array().unwrap();
        assert_eq!(interceptors[0]["ref"]["name"], "github", "{id}: the webhook is verified first");
        let filter = interceptors[1]["params"][0]["value"].as_str().unwrap();
        assert!(filter.contains("body.ref == 'refs/heads/main'"), "{id}: {filter}");
        assert!(filter.contains(&format!("p.startsWith('{prefix}')")), "{id}: {filter}");
    }
}

/// Tekton: a workload's PipelineRun runs under the ServiceAccount `berth-pipeline` with
/// the AKS Workload ID label; its image and verify tasks get one `logins` entry per cloud
/// registry (cloud, host, region) and none for the on-premises one; both Tasks log in first
/// into a shared auth file that every later step reads, with the Secret as fallback.
#[test]
fn tekton_logs_in_to_cloud_registries_by_workload_identity() {
    let files = pipeline_files("enterprise");
    let template = yaml(file(&files, "pipelines/tekton/order-order-api/trigger-template.yaml"));
    let run = &template["spec"]["resourcetemplates"][0];
    assert_eq!(run["spec"]["taskRunTemplate"]["serviceAccountName"], "berth-pipeline");
    assert_eq!(run["metadata"]["labels"]["azure.workload.identity/use"], "true");
    let pipeline = yaml(file(&files, "pipelines/tekton/order-order-api/pipeline.yaml"));
    let tasks = pipeline["spec"]["tasks"].as_array().unwrap();
    for name in ["image", "verify"] {
        let task = tasks.iter().find(|t| t["name"] == name).unwrap();
        let logins = task["params"].as_array().unwrap().iter().find(|p| p["name"] == "logins").unwrap();
        assert_eq!(
            strings(&logins["value"]),
            [
                "eks 123456789012.dkr.ecr.ap-northeast-2.amazonaws.com ap-northeast-2",
                "gke europe-west3-docker.pkg.dev europe-west3",
                "aks acmeestate.azurecr.io koreacentral",
            ],
            "{name}"
        );
    }
    for task in ["berth-image", "berth-verify"] {
        let task_yaml = yaml(file(&files, &format!("pipelines/tekton/tasks/{task}.yaml")));
        let steps = task_yaml["spec"]["steps"].as_array().unwrap();
        assert_eq!(steps[0]["name"], "login", "{task}");
        let script = steps[0]["script"].as_str().unwrap();
        for needle in
            ["AWS_WEB_IDENTITY_TOKEN_FILE", "Metadata-Flavor: Google", "AZURE_FEDERATED_TOKEN_FILE", "berth-registry"]
        {
            assert!(script.contains(needle), "{task}: no {needle}");
        }
        for step in &steps[1..] {
            let mounts = step["volumeMounts"].as_array().unwrap();
            assert!(mounts.iter().any(|m| m["mountPath"] == "/registry-auth"), "{task} {}", step["name"]);
            let config = step["env"].as_array().unwrap().iter().find(|e| e["name"] == "DOCKER_CONFIG").unwrap();
            assert_eq!(config["value"], "/registry-auth", "{task} {}", step["name"]);
        }
    }
}

/// The spec's own pipeline exists for every CI system: `berth check`, `berth build
/// --check` of the output folder, and `berth diff` for pull/merge requests.
#[test]
fn every_system_has_the_spec_pipeline() {
    let files = pipeline_files("enterprise");
    let spec_files = [
        ("github", vec!["pipelines/github/.github/workflows/berth-spec.yml"]),
        ("gitlab", vec!["pipelines/gitlab/.gitlab-ci.yml"]),
        ("jenkins", vec!["pipelines/jenkins/Jenkinsfile"]),
        ("tekton", vec!["pipelines/tekton/spec/pipeline.yaml", "pipelines/tekton/tasks/berth-spec.yaml"]),
    ];
    for (system, paths) in spec_files {
        let text: String = paths.iter().map(|p| file(&files, p).text.as_str()).collect();
        for command in ["berth check ", "berth build --check ", "berth diff --base "] {
            assert!(text.contains(command), "{system}: no `{command}`");
        }
        assert!(text.contains("\"deploy\"") || text.contains("'deploy'"), "{system}: the output folder is checked");
    }
    let pipeline = yaml(file(&files, "pipelines/tekton/spec/pipeline.yaml"));
    let tasks = pipeline["spec"]["tasks"].as_array().unwrap();
    assert_eq!(tasks[1]["taskRef"]["name"], "berth-spec");
    assert_eq!(strings(&tasks[1]["runAfter"]), ["fetch"]);
    let pull = yaml(file(&files, "pipelines/tekton/spec/trigger-pull-request.yaml"));
    let bindings = pull["spec"]["bindings"].as_array().unwrap();
    assert!(bindings.iter().any(|b| b["name"] == "base" && b["value"] == "$(body.pull_request.base.sha)"));
}

/// A workload with a `source` and a platform without `ci` gets the library's default
/// system (GitHub Actions); a spec with neither gets no pipelines.
#[test]
fn the_default_system_is_used_without_ci() {
    let spec = |source: &str| {
        format!(
            "platform \"p\" {{ registry \"r.example/p\"\n kubernetes \"1.33\" }}\ntarget \"t\" cloud=\"onprem\" {{ dns \"apps.example.com\" }}\nenvironment \"dev\" target=\"t\"\ndomain \"d\" {{\n service \"api\" {{\n image \"api\" tag=\"1\"\n port \"http\" 8080\n{source} }}\n}}\n"
        )
    };
    let compile = |text: String| {
        berth::driver::compile(&berth::driver::Inputs::spec("spec.kdl", text), &berth::driver::Options::default())
    };
    let built = compile(spec("source \"api\"\n"));
    assert!(!built.has_errors());
    let paths: Vec<&String> = built.tree.keys().filter(|p| p.starts_with("pipelines/")).collect();
    assert_eq!(
        paths,
        ["pipelines/github/.github/workflows/berth-spec.yml", "pipelines/github/.github/workflows/d-api.yml"]
    );
    let plain = compile(spec(""));
    assert!(!plain.has_errors());
    assert!(plain.tree.keys().all(|p| !p.starts_with("pipelines/")));
}

/// A spec with one workload in its own repository and one in another
/// (`source "." repo=... ref="trunk"`), for every CI system; `.ci/run` runs the
/// external checks on its build.
const MULTI_REPOSITORY: &str = include_str!("../fixtures/pipelines/multi-repository.kdl");

/// The pipeline files of [`MULTI_REPOSITORY`], also written under
/// `target/tmp/pipelines/multi-repository/` for the external checks.
fn multi_repository_files() -> Vec<PipelineFile> {
    fixture_files("multi-repository", MULTI_REPOSITORY)
}

/// The pipeline files of a fixture spec, also written under `target/tmp/pipelines/<name>/`.
pub(crate) fn fixture_files(name: &str, spec: &str) -> Vec<PipelineFile> {
    let inputs = berth::driver::Inputs::spec("spec.kdl", spec.to_owned());
    let compilation = berth::driver::compile(&inputs, &berth::driver::Options::default());
    assert!(!compilation.has_errors(), "{:?}", compilation.diagnostics.sorted());
    let files: Vec<PipelineFile> = compilation
        .tree
        .values()
        .filter(|artifact| artifact.path.starts_with("pipelines/"))
        .filter_map(|artifact| match &artifact.body {
            Body::Text { format, text } => Some(PipelineFile {
                path: artifact.path.clone(),
                format: format.name().to_owned(),
                origin_label: artifact.origin_label.clone(),
                text: text.clone(),
            }),
            Body::Object(_) => None,
        })
        .collect();
    write(name, &files);
    files
}

/// A workload in another repository: its files go under `repos/<name>/` (the workflow;
/// GitLab's child pipeline and a root `.gitlab-ci.yml` starting it), the spec
/// repository's files never name its source, and its deploys write to the spec's
/// repository with the token the docs name. Snapshotted per system.
#[test]
fn a_source_in_another_repository_gets_its_pipeline_there() {
    let files = multi_repository_files();
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "pipelines/github/.github/workflows/berth-spec.yml",
            "pipelines/github/.github/workflows/payment-payment-api.yml",
            "pipelines/github/repos/ledger/.github/workflows/payment-ledger.yml",
            "pipelines/gitlab/.gitlab-ci.yml",
            "pipelines/gitlab/.gitlab/ci/payment-payment-api.gitlab-ci.yml",
            "pipelines/gitlab/repos/ledger/.gitlab-ci.yml",
            "pipelines/gitlab/repos/ledger/.gitlab/ci/payment-ledger.gitlab-ci.yml",
            "pipelines/jenkins/Jenkinsfile",
            "pipelines/jenkins/payment/payment-api/Jenkinsfile",
            "pipelines/jenkins/repos/ledger/payment/ledger/Jenkinsfile",
            "pipelines/tekton/event-listener.yaml",
            "pipelines/tekton/payment-payment-api/pipeline.yaml",
            "pipelines/tekton/payment-payment-api/trigger-template.yaml",
            "pipelines/tekton/payment-payment-api/trigger.yaml",
            "pipelines/tekton/repos/ledger/event-listener.yaml",
            "pipelines/tekton/repos/ledger/payment-ledger/pipeline.yaml",
            "pipelines/tekton/repos/ledger/payment-ledger/trigger-template.yaml",
            "pipelines/tekton/repos/ledger/payment-ledger/trigger.yaml",
            "pipelines/tekton/spec/pipeline.yaml",
            "pipelines/tekton/spec/trigger-pull-request.yaml",
            "pipelines/tekton/spec/trigger-push.yaml",
            "pipelines/tekton/spec/trigger-template.yaml",
            "pipelines/tekton/tasks/berth-approval.yaml",
            "pipelines/tekton/tasks/berth-deploy.yaml",
            "pipelines/tekton/tasks/berth-fetch.yaml",
            "pipelines/tekton/tasks/berth-image.yaml",
            "pipelines/tekton/tasks/berth-spec.yaml",
            "pipelines/tekton/tasks/berth-test.yaml",
            "pipelines/tekton/tasks/berth-verify.yaml",
        ]
    );
    for file in files.iter().filter(|f| !f.path.contains("/repos/")) {
        assert!(!file.text.contains("ledger"), "{} names the other repository's workload", file.path);
    }
    let github = yaml(file(&files, "pipelines/github/repos/ledger/.github/workflows/payment-ledger.yml"));
    assert_eq!(strings(&github["on"]["push"]["branches"]), ["trunk"]);
    assert_eq!(strings(&github["on"]["push"]["paths"])[0], "**");
    for env in ["dev", "prod"] {
        let job = &github["jobs"][format!("deploy-{env}")];
        assert_eq!(job["permissions"], serde_json::json!({}), "{env}: the job token needs nothing");
        let checkout = &job["steps"][1]["with"];
        assert_eq!(checkout["repository"], "${{ vars.BERTH_SPEC_REPOSITORY }}");
        assert_eq!(checkout["token"], "${{ secrets.BERTH_SPEC_TOKEN }}");
        assert_eq!(checkout["persist-credentials"], false);
        assert_eq!(checkout["ref"], "main");
    }
    let child = file(&files, "pipelines/gitlab/repos/ledger/.gitlab/ci/payment-ledger.gitlab-ci.yml");
    let gitlab = yaml(child);
    let script = strings(&gitlab["deploy-prod"]["script"]).join("\n");
    assert!(script.contains("${BERTH_SPEC_PROJECT}.git\" berth-spec && cd berth-spec"), "{script}");
    assert!(script.contains("berth set-image payment/ledger --digest \"$DIGEST\" --env prod \"estate/berth.kdl\""));
    assert!(script.contains("-o merge_request.create"), "{script}");
    assert_eq!(gitlab["build-image"]["rules"][0]["if"], "$CI_COMMIT_BRANCH == \"trunk\"");
    let root = yaml(file(&files, "pipelines/gitlab/repos/ledger/.gitlab-ci.yml"));
    assert_eq!(root["payment-ledger"]["trigger"]["include"], ".gitlab/ci/payment-ledger.gitlab-ci.yml");
    jenkins_in_another_repository(&files);
    tekton_in_another_repository(&files);
    for system in ["github", "gitlab", "jenkins", "tekton"] {
        let text = flavour(&files, system, "ledger");
        insta::assert_snapshot!(format!("multi-repository-{system}"), text);
    }
}

/// A library CI system without `separate-repositories=#true` keeps refusing a workload
/// built in another repository: `resolve::separate_repository_unsupported` at its
/// `source`, naming the systems that do write such pipelines.
#[test]
fn a_system_without_separate_repositories_refuses_another_repository() {
    let spec = r#"platform "shop" { kubernetes "1.33"; ci "inhouse" }
target "onprem" cloud="onprem" { dns "apps.example.com" }
environment "dev" target="onprem"
domain "payment" {
    service "ledger" {
        image "ledger" tag="1.0"
        source "." repo="https://github.com/acme/ledger.git" ref="trunk"
        port "http" 8080
    }
}
"#;
    let library = r##"// An in-house CI system whose templates know only the spec's repository.
ci-system "inhouse" {
    description "In-house CI"
    template "workload" path="[= workload.id =].yaml" format="yaml" #"""
        name: [= workload.id =]
        """#
}
"##;
    let mut inputs = berth::driver::Inputs::spec("spec.kdl", spec.to_owned());
    inputs.libraries.push(berth::diag::SourceFile { name: "lib/inhouse.kdl".to_owned(), text: library.to_owned() });
    let compilation = berth::driver::compile(&inputs, &berth::driver::Options::default());
    let rendered = berth::output::report::render(
        &compilation.sources,
        &compilation.diagnostics,
        berth::output::report::ReportFormat::Graphical,
        false,
    );
    assert!(compilation.has_errors(), "{rendered}");
    assert!(rendered.contains("resolve::separate_repository_unsupported"), "{rendered}");
    assert!(rendered.contains("`github`, `gitlab`, `jenkins`, `tekton`"), "{rendered}");
    insta::assert_snapshot!("separate-repository-unsupported", rendered);
}

/// Jenkins, another repository: the same stages, agents and `input` as in the spec's
/// repository, on that repository's branch; each deploy clones the spec's repository with
/// the `berth-spec-*` credentials and commits there (production: a branch).
fn jenkins_in_another_repository(files: &[PipelineFile]) {
    let text = &file(files, "pipelines/jenkins/repos/ledger/payment/ledger/Jenkinsfile").text;
    assert!(text.contains("pipeline {\n    agent none\n"));
    let stages = jenkins_stages(text);
    let names: Vec<&str> = stages.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Test", "Image", "SBOM and scan", "SBOM", "Scan", "Sign", "Deploy dev", "Deploy prod"]);
    for (stage, block) in &stages {
        if stage != "SBOM and scan" {
            assert!(block.contains("agent {"), "{stage}: no agent");
        }
        if stage != "Test" && stage != "SBOM" && stage != "Scan" {
            assert!(block.contains("branch 'trunk'"), "{stage}: not on the repository's branch");
        }
        let Some(env) = stage.strip_prefix("Deploy ") else { continue };
        assert_eq!(block.contains("submitter 'release-managers'"), env == "prod", "{stage}");
        assert!(block.find("input {") < block.find("agent {"), "{stage}: input before agent");
        assert!(block.contains("credentialsId: 'berth-spec-git'"), "{stage}");
        assert!(block.contains("credentialsId: 'berth-spec-repository'"), "{stage}");
        assert!(!block.contains("'berth-git'"), "{stage}: the workload repository's credential");
        assert!(block.contains("git clone --quiet --branch main \"$SPEC_REPOSITORY\" .berth-spec"), "{stage}");
        let pushes_branch = block.contains("HEAD:refs/heads/berth/deploy-prod-payment-ledger-");
        assert_eq!(pushes_branch, env == "prod", "{stage}");
        assert_eq!(block.contains("git push origin HEAD:main"), env == "dev", "{stage}");
    }
}

/// Tekton, another repository: its own EventListener names only its Trigger (and the
/// spec's names none of it), the Trigger filters on that repository's branch, and each
/// deploy clones the spec's repository (`clone-spec`), which the shared Task reads from
/// the Secret `berth-spec`.
fn tekton_in_another_repository(files: &[PipelineFile]) {
    let listener = yaml(file(files, "pipelines/tekton/repos/ledger/event-listener.yaml"));
    assert_eq!(listener["metadata"]["name"], "berth-ledger");
    assert_eq!(listener["spec"]["triggers"], serde_json::json!([{ "triggerRef": "payment-ledger" }]));
    let trigger = yaml(file(files, "pipelines/tekton/repos/ledger/payment-ledger/trigger.yaml"));
    let filter = trigger["spec"]["interceptors"][1]["params"][0]["value"].as_str().unwrap();
    assert!(filter.contains("body.ref == 'refs/heads/trunk'"), "{filter}");
    let pipeline = yaml(file(files, "pipelines/tekton/repos/ledger/payment-ledger/pipeline.yaml"));
    let tasks = pipeline["spec"]["tasks"].as_array().unwrap();
    let names: Vec<&str> = tasks.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["fetch", "test", "image", "verify", "deploy-dev", "approve-prod", "deploy-prod"]);
    for task in tasks.iter().filter(|t| t["taskRef"]["name"] == "berth-deploy") {
        let params = task["params"].as_array().unwrap();
        assert!(params.iter().any(|p| p["name"] == "clone-spec" && p["value"] == "true"), "{}", task["name"]);
    }
    let own = &file(files, "pipelines/tekton/payment-payment-api/pipeline.yaml").text;
    assert!(!own.contains("clone-spec"), "the spec repository's deploys use their checkout");
    let task = yaml(file(files, "pipelines/tekton/tasks/berth-deploy.yaml"));
    let step = &task["spec"]["steps"][0];
    let env = step["env"].as_array().unwrap().iter().find(|e| e["name"] == "SPEC_REPOSITORY").unwrap();
    let secret = serde_json::json!({ "name": "berth-spec", "key": "repository", "optional": true });
    assert_eq!(env["valueFrom"]["secretKeyRef"], secret);
    let deploy = step["script"].as_str().unwrap();
    assert!(deploy.contains("git clone -q --branch \"main\" \"$SPEC_REPOSITORY\" \"$spec\""), "{deploy}");
}
