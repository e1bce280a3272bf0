//! Lowering proper: one function per node kind, over a private context.
//!
//! Every problem is pushed and lowering goes on, so one run reports every error. A node
//! whose required name is missing is still walked for errors but not added to the spec.

mod domain;
mod environment;
mod exposure;
mod files;
mod gitops;
mod kind;
mod observe;
mod pipeline;
mod platform;
mod pod;
mod policy;
mod probes;
mod profile;
mod values;
mod vars;
mod workload;

use crate::diag::{Diagnostics, Otherwise, did_you_mean};
use crate::model::types::*;
use crate::syntax::Parsed;
use kdl::{KdlDocument, KdlNode};
use values::{Ctx, Names, Once};

/// Top-level nodes.
const TOP: &[&str] = &[
    "platform",
    "target",
    "environment",
    "domain",
    "policy",
    "waive",
    "cloud",
    "backing-kind",
    "defaults",
    "build-kind",
    "ci-system",
    "ci-script",
    "cni",
    "metrics-convention",
    "monitoring",
    "chart-template",
    "gitops-tool",
    "rollouts",
];

/// Lower `parsed` into a [`Spec`].
pub(crate) fn lower(diags: &mut Diagnostics, parsed: &Parsed) -> Spec {
    let mut cx = Ctx { diags, file: parsed.file };
    document(&mut cx, &parsed.document)
}

/// The names and once-only nodes seen so far in one file.
#[derive(Default)]
struct Seen {
    once: Once,
    targets: Names,
    environments: Names,
    domains: Names,
    policies: Names,
    clouds: Names,
    kinds: Names,
    build_kinds: Names,
    ci_systems: Names,
    ci_scripts: Names,
    cnis: Names,
    conventions: Names,
    chart_templates: Names,
    gitops_tools: Names,
}

fn document(cx: &mut Ctx<'_>, document: &KdlDocument) -> Spec {
    let mut spec = Spec { file: cx.file, ..Spec::default() };
    let mut seen = Seen::default();
    for node in document.nodes() {
        match node.name().value() {
            "platform" => {
                if cx.once(&mut seen.once, node, "platform", "the file") {
                    spec.platform = platform::platform(cx, node);
                }
            }
            "target" => {
                if let Some(target) = profile::target(cx, node)
                    && cx.unique(&mut seen.targets, "target", &target.name, "", "rename one of the targets")
                {
                    spec.targets.push(target);
                }
            }
            "environment" => {
                if let Some(environment) = environment::environment(cx, node)
                    && cx.unique(&mut seen.environments, "environment", &environment.name, "", "rename one of them")
                {
                    spec.environments.push(environment);
                }
            }
            "domain" => {
                if let Some(domain) = domain::domain(cx, node)
                    && cx.unique(&mut seen.domains, "domain", &domain.name, "", "merge the two domain blocks into one")
                {
                    spec.domains.push(domain);
                }
            }
            "policy" => {
                if let Some(policy) = policy::policy(cx, node)
                    && cx.unique(&mut seen.policies, "policy", &policy.id, "", "give each policy its own id")
                {
                    spec.policies.push(policy);
                }
            }
            "waive" => spec.waivers.extend(policy::waiver(cx, node)),
            name if matches!(name, "service" | "worker" | "job" | "quota") => {
                let help = format!("move `{name}` into a `domain \"<name>\" {{ ... }}` block");
                cx.unknown_node(node, "at the top level", help);
            }
            _ => library_node(cx, node, &mut spec, &mut seen),
        }
    }
    spec
}

/// A top-level node of a library file (`cloud`, `backing-kind`, `defaults`, ...), or an
/// unknown node.
fn library_node(cx: &mut Ctx<'_>, node: &KdlNode, spec: &mut Spec, seen: &mut Seen) {
    match node.name().value() {
        "cloud" => {
            if let Some(cloud) = profile::cloud(cx, node)
                && cx.unique(&mut seen.clouds, "cloud profile", &cloud.name, "", "rename one of them")
            {
                spec.clouds.push(cloud);
            }
        }
        "backing-kind" => {
            if let Some(kind) = kind::backing_kind(cx, node)
                && cx.unique(&mut seen.kinds, "backing kind", &kind.name, "", "rename one of them")
            {
                spec.backing_kinds.push(kind);
            }
        }
        "build-kind" => {
            if let Some(kind) = pipeline::build_kind(cx, node)
                && cx.unique(&mut seen.build_kinds, "build kind", &kind.name, "", "rename one of them")
            {
                spec.build_kinds.push(kind);
            }
        }
        "ci-system" => {
            if let Some(system) = pipeline::ci_system(cx, node)
                && cx.unique(&mut seen.ci_systems, "CI system", &system.name, "", "rename one of them")
            {
                spec.ci_systems.push(system);
            }
        }
        "ci-script" => {
            if let Some(script) = pipeline::ci_script(cx, node)
                && cx.unique(&mut seen.ci_scripts, "CI script", &script.name, "", "rename one of them")
            {
                spec.ci_scripts.push(script);
            }
        }
        "chart-template" => {
            if let Some(template) = pipeline::chart_template(cx, node)
                && cx.unique(&mut seen.chart_templates, "chart template", &template.name, "", "keep one of them")
            {
                spec.chart_templates.push(template);
            }
        }
        "gitops-tool" => {
            if let Some(tool) = gitops::gitops_tool(cx, node)
                && cx.unique(&mut seen.gitops_tools, "GitOps tool", &tool.name, "", "rename one of them")
            {
                spec.gitops_tools.push(tool);
            }
        }
        "cni" => {
            if let Some(cni) = profile::cni(cx, node)
                && cx.unique(&mut seen.cnis, "CNI", &cni.name, "", "rename one of them")
            {
                spec.cnis.push(cni);
            }
        }
        "metrics-convention" => {
            if let Some(convention) = observe::metrics_convention(cx, node)
                && cx.unique(&mut seen.conventions, "metrics convention", &convention.name, "", "rename one of them")
            {
                spec.metrics_conventions.push(convention);
            }
        }
        "monitoring" => {
            let monitoring = observe::monitoring(cx, node);
            if cx.once(&mut seen.once, node, "monitoring", "the file") {
                spec.monitoring = Some(monitoring);
            }
        }
        "rollouts" => {
            let rollouts = gitops::rollouts(cx, node);
            if cx.once(&mut seen.once, node, "rollouts", "the file") {
                spec.rollouts = Some(rollouts);
            }
        }
        "defaults" => {
            if cx.once(&mut seen.once, node, "defaults", "the file") {
                spec.defaults = Some(platform::defaults(cx, node));
            } else {
                platform::defaults(cx, node);
            }
        }
        name => {
            let help = did_you_mean(name, TOP, Otherwise::Vocabulary);
            cx.unknown_node(node, "at the top level", help);
        }
    }
}
