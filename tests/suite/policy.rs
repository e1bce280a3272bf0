//! Policy tests: every stdlib policy has `fixtures/policy/<id>/pass.kdl` and `fail.kdl`,
//! run through `driver::compile` with a fixed `today`, and the rendered report plus the
//! list of findings is snapshotted. `fixtures/policy-engine/*.kdl` covers waivers and the
//! engine's own diagnostics. `docs/policies.md` is generated from the stdlib files and
//! these fixtures; `BERTH_UPDATE=1 cargo test` rewrites it.
//!
//! Berth always emits the restricted security context, so no spec makes a `restricted`
//! policy fail. Their `fail.kdl` carries `// test: mutate <Kind> <json-pointer> <json>`:
//! the spec compiles cleanly, the pointer is set in every emitted object of that kind,
//! and the object policies run again on the altered tree (what a hand-edited or
//! library-generated manifest would look like).

use berth::diag::{Diagnostics, SourceFile, Sources};
use berth::driver::{Compilation, Inputs, Options, compile};
use berth::emit::Body;
use berth::model::Spec;
use berth::output::report::{self, ReportFormat};
use berth::policy::{self, Finding};
use std::path::{Path, PathBuf};

/// The date waivers expire against in every test.
const TODAY: &str = "2026-06-01";

fn options() -> Options {
    Options { today: TODAY.to_owned(), ..Options::default() }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A mutation header: kind, JSON pointer, JSON value.
fn mutation(text: &str) -> Option<(String, String, serde_json::Value)> {
    let line = text.lines().find_map(|line| line.strip_prefix("// test: mutate "))?;
    let mut parts = line.splitn(3, ' ');
    let kind = parts.next()?.to_owned();
    let pointer = parts.next()?.to_owned();
    let value = serde_json::from_str(parts.next()?).expect("mutation value is JSON");
    Some((kind, pointer, value))
}

/// Set `pointer` in `value`, creating the last key (or appending past an array's end).
fn set_pointer(value: &mut serde_json::Value, pointer: &str, new: serde_json::Value) {
    let (parent, last) = pointer.rsplit_once('/').expect("pointer has a parent");
    let parent = value.pointer_mut(parent).unwrap_or_else(|| panic!("no `{parent}` in the object"));
    match parent {
        serde_json::Value::Object(map) => {
            map.insert(last.to_owned(), new);
        }
        serde_json::Value::Array(items) => {
            let index: usize = last.parse().expect("array index");
            if index < items.len() {
                items[index] = new;
            } else {
                items.push(new);
            }
        }
        _ => panic!("`{pointer}`: parent is not a container"),
    }
}

/// Run the object policies again on the compilation's tree with one mutation applied.
/// The policy set is rebuilt as the driver builds it (stdlib files, then the spec), so
/// the file ids match `compilation.sources`.
fn rerun_objects(
    name: &str,
    text: &str,
    compilation: &Compilation,
    kind: &str,
    pointer: &str,
    value: &serde_json::Value,
) -> (Diagnostics, Vec<Finding>) {
    let mut tree = compilation.tree.clone();
    let mut n_changed = 0;
    for artifact in tree.values_mut() {
        if let Body::Object(object) = &mut artifact.body
            && object["kind"] == kind
        {
            set_pointer(object, pointer, value.clone());
            n_changed += 1;
        }
    }
    assert!(n_changed > 0, "{name}: no {kind} to mutate");
    let mut diags = Diagnostics::default();
    let mut sources = Sources::default();
    let mut lower = |diags: &mut Diagnostics, file: SourceFile| -> Spec {
        let id = sources.add(file.clone());
        let parsed = berth::syntax::parse(diags, id, &file).expect("parses");
        berth::model::lower(diags, &parsed)
    };
    let library: Vec<Spec> = berth::stdlib::FILES
        .iter()
        .map(|(path, text)| lower(&mut diags, SourceFile { name: (*path).to_owned(), text: (*text).to_owned() }))
        .collect();
    let spec = lower(&mut diags, SourceFile { name: name.to_owned(), text: text.to_owned() });
    assert!(diags.is_empty(), "{name}: front end reported diagnostics");
    let library: Vec<&Spec> = library.iter().collect();
    let set = policy::prepare(&mut diags, &library, &spec, TODAY);
    let estate = compilation.estate.as_ref().expect("estate");
    let findings = policy::check_objects(&mut diags, &set, &spec, estate, &tree);
    (diags, findings)
}

fn findings_text(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "(none)\n".to_owned();
    }
    findings
        .iter()
        .map(|f| {
            let waived = f.waiver_reason.as_ref().map(|r| format!(" — waived: {r}")).unwrap_or_default();
            format!("{} ({:?}) {} in {}{waived}\n", f.policy, f.severity, f.entity, f.places.join(", "))
        })
        .collect()
}

/// Assert that `code` is in the report with a label on `line` (when the expectation names one).
fn assert_points_at(name: &str, rendered: &str, code: &str, expect: &str) {
    assert!(rendered.contains(code), "{name}: expected `{code}` in:\n{rendered}");
    if let Some(line) = expect.split(" on line ").nth(1).and_then(|rest| rest.split_whitespace().next()) {
        let shown = format!("{line} │");
        assert!(
            rendered.lines().any(|l| l.trim_start().starts_with(&shown)),
            "{name}: expected line {line} in the report:\n{rendered}"
        );
    }
}

#[test]
fn stdlib_policies() {
    insta::glob!("../fixtures", "policy/*/*.kdl", |path| {
        let text = std::fs::read_to_string(path).expect("fixture is readable");
        let id = path.parent().and_then(Path::file_name).and_then(|n| n.to_str()).expect("policy dir").to_owned();
        let case = path.file_stem().and_then(|n| n.to_str()).expect("file name").to_owned();
        let name = format!("{id}/{case}.kdl");
        let expect = text.lines().next().unwrap_or_default().to_owned();
        let compilation = compile(&Inputs::spec(name.clone(), text.clone()), &options());
        let (diags, findings) = match (case.as_str(), mutation(&text)) {
            ("fail", Some((kind, pointer, value))) => {
                assert!(!compilation.has_errors(), "{name}: the unmutated spec must compile cleanly");
                rerun_objects(&name, &text, &compilation, &kind, &pointer, &value)
            }
            _ => (Diagnostics::default(), Vec::new()),
        };
        let (diags, findings) = if findings.is_empty() && diags.is_empty() {
            (&compilation.diagnostics, compilation.findings.clone())
        } else {
            (&diags, findings)
        };
        let rendered = report::render(&compilation.sources, diags, ReportFormat::Graphical, false);
        let of_policy: Vec<&Finding> = findings.iter().filter(|f| f.policy == id).collect();
        if case == "pass" {
            assert_eq!(expect, format!("// expect: no {id}"), "{name}: first line");
            assert!(of_policy.is_empty(), "{name}: `{id}` fired:\n{rendered}");
        } else {
            assert_eq!(case, "fail", "{name}: fixtures are pass.kdl and fail.kdl");
            assert!(expect.starts_with(&format!("// expect: {id} on line ")), "{name}: first line");
            assert!(of_policy.iter().any(|f| !f.waived), "{name}: `{id}` did not fire:\n{rendered}");
            assert_points_at(&name, &rendered, &id, &expect);
        }
        insta::assert_snapshot!(format!("{expect}\n\n{rendered}\n── findings ──\n{}", findings_text(&findings)));
    });
}

/// Every stdlib policy has both fixtures, and every fixture directory names a policy.
#[test]
fn every_stdlib_policy_has_fixtures() {
    let ids = stdlib_policies_by_pack().into_iter().map(|(_, id, _)| id).collect::<Vec<_>>();
    for id in &ids {
        for case in ["pass", "fail"] {
            let path = root().join(format!("tests/fixtures/policy/{id}/{case}.kdl"));
            assert!(path.is_file(), "missing {}", path.display());
        }
    }
    for entry in std::fs::read_dir(root().join("tests/fixtures/policy")).expect("fixtures") {
        let dir = entry.expect("entry").file_name().to_string_lossy().into_owned();
        assert!(ids.contains(&dir), "fixtures/policy/{dir} names no stdlib policy");
    }
}

#[test]
fn policy_engine() {
    insta::glob!("../fixtures", "policy-engine/*.kdl", |path| {
        let text = std::fs::read_to_string(path).expect("fixture is readable");
        let name = path.file_name().and_then(|n| n.to_str()).expect("file name").to_owned();
        let expect = text.lines().next().unwrap_or_default().to_owned();
        let compilation = compile(&Inputs::spec(name.clone(), text), &options());
        let rendered = report::render(&compilation.sources, &compilation.diagnostics, ReportFormat::Graphical, false);
        let rest = expect.strip_prefix("// expect: ").expect("first line is `// expect: ...`");
        if rest == "no findings" {
            assert!(compilation.findings.is_empty(), "{name}: {:?}", compilation.findings);
            assert!(!compilation.has_errors(), "{name}:\n{rendered}");
        } else if let Some(id) = rest.strip_prefix("waived ") {
            assert!(!compilation.has_errors(), "{name}: errors despite the waiver:\n{rendered}");
            assert!(!compilation.tree.is_empty(), "{name}: a waived finding must not block output");
            assert!(
                compilation.findings.iter().any(|f| f.policy == id && f.waived),
                "{name}: no waived `{id}` finding"
            );
            // Listed as advice (`waived: ...`), never as a warning or an error.
            let of_policy: Vec<_> = compilation
                .diagnostics
                .sorted()
                .into_iter()
                .filter(|d| d.diagnostic.code().is_some_and(|code| code.to_string() == id))
                .collect();
            assert!(
                !of_policy.is_empty() && of_policy.iter().all(|d| d.severity() == berth::diag::Severity::Advice),
                "{name}: the waived finding must be listed as advice only:\n{rendered}"
            );
            assert!(rendered.contains("waived: "), "{name}: no `waived:` note:\n{rendered}");
        } else {
            let code = rest.split_whitespace().next().unwrap_or_default();
            assert_points_at(&name, &rendered, code, &expect);
        }
        insta::assert_snapshot!(format!(
            "{expect}\n\n{rendered}\n── findings ──\n{}",
            findings_text(&compilation.findings)
        ));
    });
}

/// `(pack, id, file text)` of every stdlib policy, in `stdlib::FILES` order.
fn stdlib_policies_by_pack() -> Vec<(String, String, &'static str)> {
    berth::stdlib::FILES
        .iter()
        .filter_map(|(path, text)| {
            let rest = path.strip_prefix("<stdlib/policies/")?.strip_suffix(".kdl>")?;
            let (pack, id) = rest.split_once('/')?;
            Some((pack.to_owned(), id.to_owned(), *text))
        })
        .collect()
}

/// A fixture without its `// expect:` and `// test:` header lines.
fn example(id: &str, case: &str) -> String {
    let text = std::fs::read_to_string(root().join(format!("tests/fixtures/policy/{id}/{case}.kdl"))).expect("fixture");
    text.lines()
        .skip_while(|line| line.starts_with("// expect:") || line.starts_with("// test:"))
        .map(|line| format!("{line}\n"))
        .collect()
}

fn generate_docs() -> String {
    let mut out = String::new();
    out.push_str(
        "<!-- Generated by tests/suite/policy.rs from stdlib/policies and tests/fixtures/policy; do not edit. -->\n",
    );
    out.push_str("<!-- Regenerate with `BERTH_UPDATE=1 cargo test -p tests policy`. -->\n\n");
    out.push_str("# Policies\n\n");
    out.push_str(concat!(
        "Berth checks every compilation against CEL policies: the stdlib packs below and the spec's own `policy` nodes.\n",
        "A policy's `severity` is `error` (blocks output), `warning` or `info`.\n",
        "Enable packs in the platform: `policies \"baseline\" \"production\" \"restricted\" \"data-ownership\"`; without that node only `baseline` runs, and a bare `policies` enables none.\n",
        "Policies of the `production` pack only look at environments marked `production=#true`.\n",
        "A spec policy with the id of a stdlib one replaces it.\n\n",
        "## Waivers\n\n",
        "```kdl\n",
        "waive \"single-replica-in-prod\" on=\"order/order-projector\" reason=\"in-order consumer, singleton by design\" until=\"2027-03-31\"\n",
        "```\n\n",
        "`on` names an entity (`domain/name`), a whole domain (`domain`) or an environment (`prod`).\n",
        "A waiver needs a `reason`; after its `until` date it is an error, and so is a waiver of an unknown policy.\n",
        "A waiver that matches nothing is a warning.\n",
        "Waived findings are not reported as diagnostics but stay listed in the compilation's findings.\n\n",
        "## What a policy sees\n\n",
        "Model policies (`match \"service\"`, `worker`, `job`, `backing`, `domain`, `environment`) run once per entity and environment, with these variables:\n\n",
        "| Entity | Variables |\n",
        "|---|---|\n",
        "| every entity | `env`, `production` (bool), `target`, `cloud` |\n",
        "| `service`, `worker`, `job` | `name`, `domain`, `team` (or null), `kind`, `image` (full reference), `replicas` (int), `scale` (`{min, max, cpu_percent}` or null), `ports` (list of `{name, port, service_port, protocol, metrics}`), `health` (`{check, path, port, initial_delay, period}` or null), `readiness`, `liveness`, `startup` (the probes the container gets, same shape, or null), `resources` (`{cpu, memory, cpu_limit, memory_limit, declared}`), `config` (map), `secrets` (list of `{env, key, property}`), `uses` (list of `{domain, name, kind, backing, role}`), `expose` (list of `{host, path, port}`), `egress` (list of `{host, port, cidr}`), `schedule` (or null) |\n",
        "| `domain` | `name`, `team`, `group`, `quota` (`{cpu, memory, pods}`) |\n",
        "| `environment` | `name`, `approval` (or null), `rollout` (the strategy as written, or null) |\n",
        "| `backing` | `name`, `domain`, `kind`, `managed`, `stateful`, `properties` (map), `used_by` (`domain/name` of the workloads that use it) |\n\n",
        "Each variable is a field of the resolved entity as `berth inspect SPEC` prints it (the JSON that `berth schema` describes), with four documented projections: a port's `port` is its `container_port`, a probe's `path` (`health`, `readiness`, `liveness`, `startup`) is null for gRPC and TCP checks, `resources.declared` is added, and a `uses` item is flattened to `{domain, name, kind, backing, role}` (`kind` is `workload` for a service, else the backing service's kind).\n",
        "List items may carry more fields than the table names (an `expose` item has `internal` and `span` too); a rule should not rely on them until this table lists them.\n\n",
        "Object policies (`match \"Deployment\"`, any Kubernetes kind) see `object`, the emitted object as JSON, like a Kubernetes admission policy, and `pod`, the pod template's `spec` of a Deployment, StatefulSet, DaemonSet, Job or CronJob (null otherwise), plus `env`, `production` and `target`.\n",
        "Besides the CEL standard library and its `strings` extension, expressions may call `entropy(string)`, the Shannon entropy in bits per character.\n",
        "An expression that does not compile is `policy::invalid_expression`, one past the size limits (docs/language.md, \"Limits\") `policy::expression_too_costly`; one that fails at run time, does not return a bool, or whose comprehensions would walk more than the cost budget on an entity is `policy::evaluation_failed`, naming the policy and the entity.\n\n",
        "## Per-item findings and waivers\n\n",
        "A rule with `each=\"config\"` runs once per key of that map (or element of that list), with the key as `item`: each key that fails is its own finding, named at the end of the message (`...: DB_PASSWORD`).\n",
        "A waiver with `item=` exempts that one finding and nothing else, so a real credential added later to the same workload is still reported:\n\n",
        "```kdl\nwaive \"secret-in-config\" on=\"shop/api\" item=\"SESSION_KEY\" reason=\"the id of a public key, not a secret\" until=\"2026-09-30\"\n```\n\n",
        "Without `item=` a waiver covers every item of the entity, as before. `secret-in-config` and `high-entropy-config-value` run per `config` key; the finding's help shows the waiver to write, `item=` included.\n",
    ));
    let policies = stdlib_policies_by_pack();
    let mut current_pack = String::new();
    for (pack, id, text) in &policies {
        if *pack != current_pack {
            out.push_str(&format!("\n## Pack `{pack}`\n"));
            current_pack = pack.clone();
        }
        out.push_str(&format!("\n### `{id}`\n\n"));
        let attribute = |name: &str| {
            text.split(&format!(" {name}=\"")).nth(1).and_then(|rest| rest.split('"').next()).unwrap_or("?").to_owned()
        };
        out.push_str(&format!(
            "Severity `{}`, status `{}`, since {}.\n",
            attribute("severity"),
            attribute("status"),
            attribute("since")
        ));
        let mut source = String::new();
        for line in text.lines() {
            if let Some(comment) = line.strip_prefix("//") {
                let comment = comment.trim_start();
                if let Some(heading) = comment.strip_prefix("## ") {
                    if !out.ends_with("\n\n") {
                        out.push('\n');
                    }
                    out.push_str(&format!("**{heading}**\n\n"));
                } else {
                    out.push_str(comment);
                    out.push('\n');
                }
            } else {
                source.push_str(line);
                source.push('\n');
            }
        }
        out.push_str(&format!("\n```kdl\n{source}```\n"));
        let fail =
            std::fs::read_to_string(root().join(format!("tests/fixtures/policy/{id}/fail.kdl"))).unwrap_or_default();
        if let Some((kind, pointer, value)) = mutation(&fail) {
            out.push_str(&format!(
                "\nBerth always emits the restricted security context, so only a changed object fails: this spec passes, and fails once every `{kind}` it emits has `{pointer}` set to `{value}`.\n"
            ));
            out.push_str(&format!("\n```kdl\n{}```\n", example(id, "pass")));
        } else {
            out.push_str(&format!("\nFails:\n\n```kdl\n{}```\n", example(id, "fail")));
            out.push_str(&format!("\nPasses:\n\n```kdl\n{}```\n", example(id, "pass")));
        }
    }
    out
}

#[test]
fn docs_policies_md_is_current() {
    let path = root().join("docs/policies.md");
    let generated = generate_docs();
    if std::env::var_os("BERTH_UPDATE").is_some() {
        std::fs::write(&path, &generated).expect("docs/policies.md is writable");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current != generated {
        let diff: String = current
            .lines()
            .zip(generated.lines())
            .enumerate()
            .filter(|(_, (old, new))| old != new)
            .take(10)
            .map(|(index, (old, new))| format!("line {}:\n- {old}\n+ {new}\n", index + 1))
            .collect();
        panic!(
            "docs/policies.md is stale ({} lines, generated {}); run `BERTH_UPDATE=1 cargo test -p tests policy`:\n{diff}",
            current.lines().count(),
            generated.lines().count()
        );
    }
}

/// The enterprise example enables every pack: it compiles without errors, its waivers are
/// active (the projector's single replica and the in-cluster queue are listed as waived,
/// not reported), and its own policy runs: making a production database in-cluster makes
/// it fire.
#[test]
fn enterprise_example_waiver_and_user_policy() {
    let text = std::fs::read_to_string(root().join("examples/enterprise/spec.kdl")).expect("example");
    let compilation = compile(&Inputs::spec("examples/enterprise/spec.kdl", text.clone()), &options());
    let rendered = report::render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    assert!(!compilation.has_errors(), "{rendered}");
    let waived: Vec<&Finding> = compilation.findings.iter().filter(|f| f.waived).collect();
    assert_eq!(waived.len(), 2, "{:?}", compilation.findings);
    assert_eq!(waived[0].policy, "single-replica-in-prod");
    assert_eq!(waived[0].entity, "worker order/order-projector");
    assert_eq!(waived[0].waiver_reason.as_deref(), Some("in-order consumer, singleton by design"));
    assert_eq!(waived[1].policy, "unmanaged-stateful-backing-in-prod");
    assert_eq!(waived[1].entity, "rabbitmq order/order-queue");

    let unmanaged = text.replacen("in \"prod\" storage=", "in \"prod\" managed=#false storage=", 1);
    assert_ne!(unmanaged, text);
    let compilation = compile(&Inputs::spec("examples/enterprise/spec.kdl", unmanaged), &options());
    assert!(compilation.has_errors());
    assert!(
        compilation.findings.iter().any(|f| f.policy == "unmanaged-stateful-backing-in-prod" && !f.waived),
        "{:?}",
        compilation.findings
    );
    assert!(compilation.tree.is_empty(), "a policy error blocks output");
}

/// With `--env`, a waiver whose entity is in another environment is not called unused.
#[test]
fn partial_builds_do_not_warn_about_unused_waivers() {
    let text = std::fs::read_to_string(root().join("examples/enterprise/spec.kdl")).expect("example");
    let options = Options { env: Some("dev".to_owned()), ..options() };
    let compilation = compile(&Inputs::spec("examples/enterprise/spec.kdl", text), &options);
    let rendered = report::render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    assert!(!rendered.contains("policy::unused_waiver"), "{rendered}");
    assert!(!compilation.has_errors(), "{rendered}");
}
