//! Tekton: object names within Tekton's limits, and the shell of the `login` and `sign`
//! steps run against stand-ins of `curl`, `buildah` and `cosign` (the clouds, Fulcio and
//! the registries are not reached from here).

use crate::pipelines::{PipelineFile, file, fixture_files, pipeline_files, strings, yaml};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A spec whose workload, environment and repository names push every derived Tekton
/// name past its limit; `.ci/run` runs check-crds (tekton-lint) on its build.
const LONG_NAMES: &str = include_str!("../fixtures/pipelines/long-names.kdl");

/// Every Tekton object's name fits (63 characters, no `.`; an EventListener 60, as its
/// Service is `el-<name>`), pipeline task names are DNS labels, and every reference
/// (triggerRef, template ref, pipelineRef, runAfter, the approval gate) names what exists.
#[test]
fn tekton_names_fit_their_limits() {
    let files = fixture_files("long-names", LONG_NAMES);
    let mut names = String::new();
    let mut objects: Vec<(String, String)> = Vec::new();
    for file in files.iter().filter(|f| f.path.starts_with("pipelines/tekton/")) {
        let object = yaml(file);
        let kind = object["kind"].as_str().unwrap().to_owned();
        let name = object["metadata"]["name"].as_str().unwrap().to_owned();
        let max = if kind == "EventListener" { 60 } else { 63 };
        assert!(dns_label(&name, max), "{}: {kind} {name}", file.path);
        names.push_str(&format!("{kind} {name} ({})\n", name.len()));
        objects.push((kind, name));
    }
    let has = |kind: &str, name: &str| objects.iter().any(|(k, n)| k == kind && n == name);
    let repos = "pipelines/tekton/repos/interbank-settlement-ledger-reconciliation-service-eu-west";
    let id = "pay-interbank-settlement-ledger-reconciliation-api-for-eu-markets";
    let listener = yaml(file(&files, &format!("{repos}/event-listener.yaml")));
    for trigger in listener["spec"]["triggers"].as_array().unwrap() {
        assert!(has("Trigger", trigger["triggerRef"].as_str().unwrap()), "{trigger}");
    }
    let trigger = yaml(file(&files, &format!("{repos}/{id}/trigger.yaml")));
    assert!(has("TriggerTemplate", trigger["spec"]["template"]["ref"].as_str().unwrap()));
    let template = yaml(file(&files, &format!("{repos}/{id}/trigger-template.yaml")));
    let run = &template["spec"]["resourcetemplates"][0];
    assert!(has("Pipeline", run["spec"]["pipelineRef"]["name"].as_str().unwrap()));
    let generate = run["metadata"]["generateName"].as_str().unwrap();
    assert!(generate.len() <= 64 && generate.ends_with('-'), "{generate}");
    let pipeline = yaml(file(&files, &format!("{repos}/{id}/pipeline.yaml")));
    let tasks = pipeline["spec"]["tasks"].as_array().unwrap();
    let task_names: Vec<&str> = tasks.iter().map(|t| t["name"].as_str().unwrap()).collect();
    for task in tasks {
        let name = task["name"].as_str().unwrap();
        assert!(dns_label(name, 63), "pipeline task {name}");
        names.push_str(&format!("pipeline task {name} ({})\n", name.len()));
        for after in strings(&task["runAfter"]) {
            assert!(task_names.contains(&after.as_str()), "{name} runs after {after}");
        }
        if task["taskRef"]["name"] == "berth-approval" {
            let gate = task["params"].as_array().unwrap().iter().find(|p| p["name"] == "gate").unwrap();
            assert_eq!(gate["value"], name, "the annotation berth.dev/<gate> is the task's name");
        }
    }
    insta::assert_snapshot!("tekton-long-names", names);
}

fn dns_label(name: &str, max: usize) -> bool {
    !name.is_empty()
        && name.len() <= max
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// The script of a step of one of examples/enterprise's Tekton Tasks.
fn step_script(files: &[PipelineFile], task: &str, step: &str) -> String {
    let task = yaml(file(files, &format!("pipelines/tekton/tasks/{task}.yaml")));
    let steps = task["spec"]["steps"].as_array().unwrap();
    let step = steps.iter().find(|s| s["name"] == step).unwrap_or_else(|| panic!("no step {step}"));
    step["script"].as_str().unwrap().to_owned()
}

/// A folder with stand-ins of the tools a script calls, each logging to `calls`.
struct Sandbox {
    dir: PathBuf,
}

impl Sandbox {
    fn new(case: &str) -> Sandbox {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tekton-scripts").join(case);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::fs::create_dir_all(dir.join("registry-auth")).unwrap();
        for (tool, text) in [("curl", FAKE_CURL), ("buildah", FAKE_BUILDAH), ("cosign", FAKE_COSIGN)] {
            let path = dir.join("bin").join(tool);
            std::fs::write(&path, text).unwrap();
            let mut permissions = std::fs::metadata(&path).unwrap().permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
            std::fs::set_permissions(&path, permissions).unwrap();
        }
        std::fs::write(dir.join("calls"), "").unwrap();
        Sandbox { dir }
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap_or_default()
    }

    /// Run `script` (its `/registry-auth` moved into the sandbox) with `shell`, only
    /// `env` and the stand-ins first on PATH.
    fn run(&self, shell: &str, script: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
        let auth = self.dir.join("registry-auth").display().to_string();
        let path = self.write("script.sh", &script.replace("/registry-auth", &auth));
        let mut command = Command::new(shell);
        command.arg(path).args(args).env_clear();
        command.env("PATH", format!("{}:/usr/bin:/bin", self.dir.join("bin").display()));
        command.env("STUB_DIR", &self.dir).env("HOME", &self.dir);
        // Tekton sets STATIC to the dockerconfig workspace's config.json, absent when empty.
        command.env("STATIC", self.dir.join("no-secret/config.json"));
        command.envs(env.iter().copied());
        command.output().unwrap()
    }
}

/// The shells to run the steps with: `sh` (dash on Debian, busybox ash in the images)
/// and `bash`, each if installed.
fn shells() -> Vec<&'static str> {
    let found: Vec<&str> = ["sh", "bash"]
        .into_iter()
        .filter(|shell| Command::new(shell).args(["-c", "true"]).status().is_ok_and(|s| s.success()))
        .collect();
    if found.is_empty() {
        eprintln!("skipped: neither sh nor bash is installed, the Tekton step scripts were not run");
    }
    found
}

const EKS: &str = "eks 123456789012.dkr.ecr.ap-northeast-2.amazonaws.com ap-northeast-2";
const GKE: &str = "gke europe-west3-docker.pkg.dev europe-west3";
const AKS: &str = "aks acmeestate.azurecr.io koreacentral";
const POD_IDENTITY_URI: &str = "http://169.254.170.23/v1/credentials";

/// The `auth` of one host in a Docker auth file: base64 of `user:password`.
fn auth_of(config: &str, host: &str) -> Option<String> {
    let config: serde_json::Value = serde_json::from_str(config).ok()?;
    config["auths"][host]["auth"].as_str().map(str::to_owned)
}

/// `login` of berth-image and berth-verify (one script): IRSA, EKS Pod Identity (IRSA
/// wins when the pod has both), GKE's metadata server and AKS Workload ID each log in to
/// their registry with a password from the cloud's exchange, into the auth file the later
/// steps read; without an identity the berth-registry Secret's entry is used, and without
/// either the step fails naming both.
#[test]
fn tekton_login_step_logs_in_by_each_workload_identity() {
    let files = pipeline_files("enterprise");
    let script = step_script(&files, "berth-image", "login");
    assert_eq!(script, step_script(&files, "berth-verify", "login"), "one login script");
    for shell in shells() {
        let ecr = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com";
        // IRSA: STS AssumeRoleWithWebIdentity with the projected token, then ECR with the keys.
        let sandbox = Sandbox::new(&format!("{shell}-irsa"));
        let token = sandbox.write("irsa-token", "irsa-jwt");
        let role = "arn:aws:iam::123456789012:role/berth-push";
        let env = [("AWS_ROLE_ARN", role), ("AWS_WEB_IDENTITY_TOKEN_FILE", token.as_str())];
        let output = sandbox.run(shell, &script, &[EKS], &env);
        assert!(output.status.success(), "{shell} irsa: {output:?}");
        let calls = sandbox.read("calls");
        assert!(calls.contains("https://sts.ap-northeast-2.amazonaws.com/"), "{calls}");
        assert!(calls.contains(&format!("RoleArn={role}")) && calls.contains("WebIdentityToken=irsa-jwt"), "{calls}");
        assert!(calls.contains("--aws-sigv4 aws:amz:ap-northeast-2:ecr"), "{calls}");
        assert!(calls.contains("config: user = \"AKIRSA:irsa-secret\""), "{calls}");
        assert!(calls.contains("config: header = \"x-amz-security-token: irsa-session\""), "{calls}");
        assert!(calls.contains(&format!("buildah login {ecr} AWS ecr-password")), "{calls}");
        let config = sandbox.read("registry-auth/config.json");
        assert_eq!(auth_of(&config, ecr).as_deref(), Some("QVdTOmVjci1wYXNzd29yZA=="), "{config}");

        // EKS Pod Identity: the agent's endpoint with the token file as Authorization.
        let sandbox = Sandbox::new(&format!("{shell}-pod-identity"));
        let token = sandbox.write("pod-token", "pod-jwt");
        let pod = [
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", POD_IDENTITY_URI),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", &token),
        ];
        let output = sandbox.run(shell, &script, &[EKS], &pod);
        assert!(output.status.success(), "{shell} pod identity: {output:?}");
        let calls = sandbox.read("calls");
        assert!(calls.contains(&format!("-H Authorization: pod-jwt {POD_IDENTITY_URI}")), "{calls}");
        assert!(!calls.contains("sts."), "{calls}");
        assert!(calls.contains("config: user = \"ASIAPOD:pod-secret\""), "{calls}");
        assert!(calls.contains("config: header = \"x-amz-security-token: pod-session\""), "{calls}");
        assert!(calls.contains(&format!("buildah login {ecr} AWS ecr-password")), "{calls}");
        let config = sandbox.read("registry-auth/config.json");
        assert_eq!(auth_of(&config, ecr).as_deref(), Some("QVdTOmVjci1wYXNzd29yZA=="), "{config}");

        // Both: IRSA wins, the agent is not asked.
        let sandbox = Sandbox::new(&format!("{shell}-irsa-and-pod-identity"));
        let irsa = sandbox.write("irsa-token", "irsa-jwt");
        let pod_token = sandbox.write("pod-token", "pod-jwt");
        let both = [
            ("AWS_ROLE_ARN", role),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", irsa.as_str()),
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", POD_IDENTITY_URI),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", pod_token.as_str()),
        ];
        let output = sandbox.run(shell, &script, &[EKS], &both);
        assert!(output.status.success(), "{shell} both: {output:?}");
        let calls = sandbox.read("calls");
        assert!(calls.contains("WebIdentityToken=irsa-jwt") && !calls.contains(POD_IDENTITY_URI), "{calls}");

        gke_and_aks(shell, &script);
        no_identity(shell, &script);
    }
}

fn gke_and_aks(shell: &str, script: &str) {
    // GKE Workload Identity: the metadata server's access token.
    let sandbox = Sandbox::new(&format!("{shell}-gke"));
    let output = sandbox.run(shell, script, &[GKE], &[("STUB_GKE", "1")]);
    assert!(output.status.success(), "{shell} gke: {output:?}");
    let calls = sandbox.read("calls");
    assert!(calls.contains("-H Metadata-Flavor: Google http://metadata.google.internal/"), "{calls}");
    assert!(calls.contains("buildah login europe-west3-docker.pkg.dev oauth2accesstoken gke-token"), "{calls}");
    let config = sandbox.read("registry-auth/config.json");
    let expected = "b2F1dGgyYWNjZXNzdG9rZW46Z2tlLXRva2Vu"; // oauth2accesstoken:gke-token
    assert_eq!(auth_of(&config, "europe-west3-docker.pkg.dev").as_deref(), Some(expected), "{config}");

    // AKS Workload ID: an Entra ID token with the federated token, then ACR's refresh token.
    let sandbox = Sandbox::new(&format!("{shell}-aks"));
    let token = sandbox.write("aks-token", "aks-jwt");
    let env = [
        ("AZURE_CLIENT_ID", "client-1"),
        ("AZURE_TENANT_ID", "tenant-1"),
        ("AZURE_FEDERATED_TOKEN_FILE", token.as_str()),
        ("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com/"),
    ];
    let output = sandbox.run(shell, script, &[AKS], &env);
    assert!(output.status.success(), "{shell} aks: {output:?}");
    let calls = sandbox.read("calls");
    assert!(calls.contains("https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token"), "{calls}");
    assert!(calls.contains("client_id=client-1") && calls.contains("client_assertion=aks-jwt"), "{calls}");
    assert!(calls.contains("https://acmeestate.azurecr.io/oauth2/exchange"), "{calls}");
    assert!(calls.contains("access_token=aad-token") && calls.contains("tenant=tenant-1"), "{calls}");
    let user = "00000000-0000-0000-0000-000000000000";
    assert!(calls.contains(&format!("buildah login acmeestate.azurecr.io {user} acr-refresh")), "{calls}");
}

fn no_identity(shell: &str, script: &str) {
    // No identity: every registry from the berth-registry Secret, logged in nowhere.
    let sandbox = Sandbox::new(&format!("{shell}-secret"));
    let hosts =
        ["123456789012.dkr.ecr.ap-northeast-2.amazonaws.com", "europe-west3-docker.pkg.dev", "acmeestate.azurecr.io"];
    let entries: Vec<String> = hosts.iter().map(|h| format!("\"{h}\":{{\"auth\":\"dTpw\"}}")).collect();
    let secret = format!("{{\"auths\":{{{}}}}}", entries.join(","));
    let static_path = sandbox.write("secret-config.json", &secret);
    let output = sandbox.run(shell, script, &[EKS, GKE, AKS], &[("STATIC", &static_path)]);
    assert!(output.status.success(), "{shell} secret: {output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    for (cloud, host) in ["eks", "gke", "aks"].iter().zip(hosts) {
        let line =
            format!("{host}: no {cloud} workload identity in this pod, the Secret berth-registry's entry is used");
        assert!(stdout.contains(&line), "{stdout}");
    }
    assert_eq!(sandbox.read("registry-auth/config.json"), secret);
    let calls = sandbox.read("calls");
    assert!(!calls.contains("buildah") && calls.lines().count() == 1, "only GKE's metadata server is asked: {calls}");

    // Neither: the step fails naming the identity and the Secret.
    let sandbox = Sandbox::new(&format!("{shell}-neither"));
    let static_path =
        sandbox.write("secret-config.json", "{\"auths\":{\"europe-west3-docker.pkg.dev\":{\"auth\":\"dTpw\"}}}");
    let output = sandbox.run(shell, script, &[GKE, EKS], &[("STATIC", &static_path)]);
    assert_eq!(output.status.code(), Some(1), "{shell} neither: {output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let message = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com: no eks workload identity for the ServiceAccount \
                   berth-pipeline and no entry in the Secret berth-registry (docs/pipelines.md)";
    assert_eq!(stderr.trim(), message);
}

/// `sign` of berth-verify: keyless (cosign with the projected token, then verify of the
/// ServiceAccount's identity and the issuer) exactly where the public Fulcio's
/// meta-issuers match the token's `iss` as Fulcio matches them (whole URL, each `*` one
/// segment); the cosign key elsewhere; neither fails naming both.
#[test]
fn tekton_sign_step_is_keyless_where_fulcio_trusts_the_cluster() {
    let files = pipeline_files("enterprise");
    let script = step_script(&files, "berth-verify", "sign");
    let keyless = [
        "https://oidc.eks.ap-northeast-2.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF",
        "https://container.googleapis.com/v1/projects/acme-estate-prod/locations/europe-west3/clusters/estate",
        "https://koreacentral.oic.prod-aks.azure.com/6a0f3c52-1b7e-4c1a-9d0e-2f4b5c6d7e8f",
        "https://oidc.prod-aks.azure.com/6a0f3c52-1b7e-4c1a-9d0e-2f4b5c6d7e8f",
    ];
    let keyed = [
        "https://kubernetes.default.svc.cluster.local",
        // Two segments where Fulcio's `*` takes one: not trusted, as Fulcio decides.
        "https://koreacentral.oic.prod-aks.azure.com/6a0f3c52-1b7e-4c1a-9d0e-2f4b5c6d7e8f/9d8c7b6a-5f4e-3d2c-1b0a-998877665544/",
        "https://evil.example/https://oidc.eks.x.amazonaws.com/id/y",
    ];
    let repositories = [
        "registry.acme.internal/estate/order-api",
        "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/estate/order-api",
    ];
    let digest = format!("sha256:{}", "a".repeat(64));
    for shell in shells() {
        for (index, issuer) in keyless.iter().chain(&keyed).enumerate() {
            let sandbox = Sandbox::new(&format!("{shell}-sign-{index}"));
            let payload = format!(
                "{{\"aud\":[\"sigstore\"],\"iss\":\"{issuer}\",\"kubernetes.io\":{{\"namespace\":\"ci\",\"serviceaccount\":{{\"name\":\"berth-pipeline\"}}}},\"sub\":\"system:serviceaccount:ci:berth-pipeline\"{}}}",
                ",\"x\":\"y\"".repeat(index % 3)
            );
            let jwt = format!("{}.{}.c2lnbmF0dXJl", base64url(b"{\"alg\":\"RS256\"}"), base64url(payload.as_bytes()));
            let token = sandbox.write("token", &jwt);
            let key = sandbox.write("cosign.key", "KEY");
            let password = sandbox.write("cosign.password", "hunter2");
            let env = [
                ("DIGEST", digest.as_str()),
                ("NAMESPACE", "ci"),
                ("TOKEN", token.as_str()),
                ("COSIGN_KEY", key.as_str()),
                ("COSIGN_PASSWORD_FILE", password.as_str()),
            ];
            let output = sandbox.run(shell, &script, &repositories, &env);
            assert!(output.status.success(), "{shell} {issuer}: {output:?}");
            let calls = sandbox.read("calls");
            let expected: Vec<String> = if index < keyless.len() {
                let identity = "https://kubernetes.io/namespaces/ci/serviceaccounts/berth-pipeline";
                repositories
                    .iter()
                    .flat_map(|r| {
                        [
                            format!("cosign sign --yes --identity-token {jwt} {r}@{digest} password="),
                            format!("cosign verify --certificate-identity {identity} --certificate-oidc-issuer {issuer} {r}@{digest} password="),
                        ]
                    })
                    .collect()
            } else {
                repositories
                    .iter()
                    .map(|r| format!("cosign sign --yes --key {key} {r}@{digest} password=hunter2"))
                    .collect()
            };
            assert_eq!(calls.lines().collect::<Vec<_>>(), expected, "{shell} {issuer}");
        }
        // Neither a trusted issuer nor a key: the step fails naming both.
        let sandbox = Sandbox::new(&format!("{shell}-sign-neither"));
        let token =
            sandbox.write("token", &format!("e30.{}.c2ln", base64url(b"{\"iss\":\"https://kubernetes.default.svc\"}")));
        let missing = sandbox.dir.join("absent/cosign.key").display().to_string();
        let env =
            [("DIGEST", digest.as_str()), ("NAMESPACE", "ci"), ("TOKEN", token.as_str()), ("COSIGN_KEY", &missing)];
        let output = sandbox.run(shell, &script, &repositories, &env);
        assert_eq!(output.status.code(), Some(1), "{shell}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message = "the public Fulcio does not trust this cluster's service-account issuer (https://kubernetes.default.svc) \
                       and the Secret berth-cosign has no cosign.key (docs/pipelines.md)";
        assert_eq!(stderr.trim(), message);
        assert_eq!(sandbox.read("calls"), "");
    }
}

/// Base64url without padding, as in a JWT.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut text = String::new();
    for chunk in bytes.chunks(3) {
        let word = chunk.iter().enumerate().fold(0u32, |word, (i, b)| word | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            text.push(char::from(ALPHABET[((word >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    text
}

/// `curl`: logs its arguments (and a `-K -` config from stdin) and answers as each API
/// documents; GKE's metadata server only with `STUB_GKE` set.
const FAKE_CURL: &str = r#"#!/bin/sh
printf 'curl' >> "$STUB_DIR/calls"; for arg in "$@"; do printf ' %s' "$arg" >> "$STUB_DIR/calls"; done; echo >> "$STUB_DIR/calls"
case " $* " in *" -K - "*) sed 's/^/  config: /' >> "$STUB_DIR/calls" ;; esac
case "$*" in
  *https://sts.*) echo '<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>AKIRSA</AccessKeyId><SecretAccessKey>irsa-secret</SecretAccessKey><SessionToken>irsa-session</SessionToken></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>' ;;
  *https://api.ecr.*) printf '{"authorizationData":[{"authorizationToken":"%s","expiresAt":1.7E9}]}' "$(printf 'AWS:ecr-password' | base64)" ;;
  *169.254.170.23*) printf '{"AccessKeyId":"ASIAPOD","SecretAccessKey":"pod-secret","Token":"pod-session","Expiration":"2026-12-06T20:00:00Z"}' ;;
  *metadata.google.internal*) [ -n "${STUB_GKE:-}" ] || { echo 'curl: (6) Could not resolve host: metadata.google.internal' >&2; exit 6; }
    printf '{"access_token":"gke-token","expires_in":3599,"token_type":"Bearer"}' ;;
  */oauth2/v2.0/token*) printf '{"token_type":"Bearer","expires_in":3599,"access_token":"aad-token"}' ;;
  */oauth2/exchange*) printf '{"refresh_token":"acr-refresh"}' ;;
  *) echo "unexpected curl $*" >&2; exit 99 ;;
esac
"#;

/// `buildah login --authfile F --username U --password-stdin HOST`: refuses an empty
/// password, logs, and adds the host to the auth file as buildah does.
const FAKE_BUILDAH: &str = r#"#!/bin/sh
[ "$1" = login ] || { echo "unexpected buildah $*" >&2; exit 98; }
shift
while [ $# -gt 1 ]; do
  case "$1" in --authfile) file="$2"; shift 2 ;; --username) user="$2"; shift 2 ;; *) shift ;; esac
done
password=$(cat)
[ -n "$password" ] || { echo "buildah: no password for $1" >&2; exit 125; }
echo "buildah login $1 $user $password" >> "$STUB_DIR/calls"
entry="\"$1\":{\"auth\":\"$(printf '%s:%s' "$user" "$password" | base64 | tr -d '\n')\"}"
if grep -q '"auths":{"' "$file"; then sed -i "s|\"auths\":{|\"auths\":{$entry,|" "$file"; else printf '{"auths":{%s}}' "$entry" > "$file"; fi
"#;

/// `cosign`: logs its arguments and the password it was given.
const FAKE_COSIGN: &str = r#"#!/bin/sh
printf 'cosign' >> "$STUB_DIR/calls"; for arg in "$@"; do printf ' %s' "$arg" >> "$STUB_DIR/calls"; done
echo " password=${COSIGN_PASSWORD:-}" >> "$STUB_DIR/calls"
"#;
