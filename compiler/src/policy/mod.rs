//! Policies and waivers: CEL rules over the resolved estate and over emitted objects.
//!
//! In: the `policy` and `waive` nodes of the stdlib, user libraries and the spec, the
//! [`Estate`] and the [`ArtifactTree`]. Out: [`Finding`]s, and a diagnostic for every
//! finding that no waiver covers. This module is the engine only: the policies are data
//! (`stdlib/policies/<pack>/<id>.kdl`, or the spec's own), so adding one is a `.kdl` file.
//!
//! Steps: [`prepare`] compiles every enabled policy and checks the waivers once;
//! [`check_model`] runs the model policies after `resolve`; [`check_objects`] runs the
//! object policies after `emit`; [`finish`] warns about waivers that waived nothing.
//!
//! # What a policy sees
//!
//! A model policy is evaluated once per matching entity and environment × target view,
//! with these CEL variables (documented in `docs/policies.md` too):
//!
//! - every entity: `env` (environment name), `production` (bool), `target`, `cloud`;
//! - `service`, `worker`, `job`: `name`, `domain`, `team` (string or null), `kind`,
//!   `image` (full reference), `replicas` (int), `scale` (`{min, max, cpu_percent}` or
//!   null), `ports` (list of `{name, port, service_port, protocol, metrics}`), `health`
//!   (`{check, path, port, initial_delay, period}` or null), `readiness`, `liveness` and
//!   `startup` (the probes the container gets, same shape, or null), `resources` (`{cpu, memory,
//!   cpu_limit, memory_limit, declared}`, `declared` false when only defaults apply),
//!   `config` (map), `secrets` (list of `{env, key, property}`), `uses` (list of
//!   `{domain, name, kind, backing, role}`), `expose` (list of `{host, path, port}`),
//!   `egress` (list of `{host, port, cidr}`), `schedule` (string or null);
//! - `domain`: `name`, `team`, `group`, `quota` (`{cpu, memory, pods}`);
//! - `environment`: `name`, `approval`, `rollout` (the strategy as written, or null);
//! - `backing`: `name`, `domain`, `kind`, `managed`, `stateful`, `properties` (map),
//!   `used_by` (`domain/name` of the workloads that use it in this view).
//!
//! An object policy (`match "Deployment"`) sees `object`, the emitted object as JSON,
//! Kubernetes-admission style, plus `pod`: the pod template's `spec` of a Deployment,
//! StatefulSet, DaemonSet, Job or CronJob (null for other kinds), and `env`,
//! `production`, `target`.
//!
//! # Scope
//!
//! A policy with `pack=` runs only when the platform enables the pack (`policies
//! "baseline" "production"`; `baseline` alone by default, none for a bare `policies`); policies of the `production`
//! pack only see production environments. A spec or library policy without a pack always
//! runs, and replaces a stdlib policy with the same id.

pub mod engine;
pub mod errors;
mod findings;
mod limits;

use crate::diag::{Diagnostics, Severity, Span};
use crate::emit::{ArtifactTree, Scope};
use crate::model::{self, Spec, WorkloadKind};
use crate::resolve::schema::to_json;
use crate::resolve::{Estate, ResolvedBacking, ResolvedDomain, ResolvedWorkload, UseTarget, View};
use engine::Engine;
pub use errors::PolicyError;
use indexmap::IndexMap;
use miette::{LabeledSpan, MietteDiagnostic};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// The pack enabled when the platform names none.
pub const DEFAULT_PACKS: &[&str] = &["baseline"];

/// One policy violation on one entity, possibly across several environments.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The policy id, also the diagnostic code.
    pub policy: String,
    /// The policy's severity.
    pub severity: Severity,
    /// The rule's message.
    pub message: String,
    /// The entity as shown to users, e.g. `service order/order-api`.
    pub entity: String,
    /// The key a waiver's `on=` matches: `domain/name`, `domain` or an environment name.
    pub on: String,
    /// The spec node of the entity (the workload that produced an object).
    pub span: Span,
    /// Environments (and, for objects, files) the violation occurs in, in order.
    pub places: Vec<String>,
    /// Whether an active waiver covers it; waived findings are reported as advice only.
    pub waived: bool,
    /// The covering waiver's reason.
    pub waiver_reason: Option<String>,
    /// The item of a rule with `each=` (a `config` key), which a waiver's `item=` names.
    pub item: Option<String>,
}

/// Every enabled policy, compiled, and the spec's valid waivers.
pub struct PolicySet {
    /// `None` when the engine could not be built (reported by [`prepare`]); then there
    /// are no policies either.
    engine: Option<Engine>,
    policies: Vec<Compiled>,
    waivers: Vec<ValidWaiver>,
}

struct Compiled {
    id: String,
    severity: Severity,
    pack: Option<String>,
    matches: Vec<model::PolicyMatch>,
    rules: Vec<CompiledRule>,
}

struct CompiledRule {
    require: bool,
    expression: crate::diag::Spanned<String>,
    message: Option<String>,
    program: cel::Program,
    /// The variable whose keys or elements it runs on, one by one, as `item`.
    each: Option<String>,
    /// Its comprehensions, for the cost estimate on each entity.
    shape: limits::Shape,
}

struct ValidWaiver {
    policy: String,
    on: String,
    item: Option<String>,
    reason: String,
    span: Span,
}

/// Gather the policies of `library` (stdlib and user library specs) and `spec`, keep the
/// enabled ones, compile their expressions and check the spec's waivers against `today`
/// (`YYYY-MM-DD`; empty skips the expiry check).
pub fn prepare(diags: &mut Diagnostics, library: &[&Spec], spec: &Spec, today: &str) -> PolicySet {
    let engine = match Engine::new() {
        Ok(engine) => engine,
        Err(reason) => {
            diags.push(None, PolicyError::Engine { reason });
            return PolicySet { engine: None, policies: Vec::new(), waivers: Vec::new() };
        }
    };
    // Later definitions replace earlier ones with the same id: stdlib, library, spec.
    let mut by_id: IndexMap<String, &model::Policy> = IndexMap::new();
    for policy in library.iter().chain(std::iter::once(&spec)).flat_map(|s| &s.policies) {
        by_id.insert(policy.id.value.clone(), policy);
    }
    let enabled = enabled_packs(diags, &by_id, spec);
    check_env_filters(diags, spec);
    let policies: Vec<Compiled> = by_id
        .values()
        .filter(|policy| policy.pack.as_ref().is_none_or(|pack| enabled.contains(&pack.value)))
        .map(|policy| compile(diags, &engine, policy))
        .collect();
    let waivers =
        spec.waivers.iter().filter_map(|waiver| valid_waiver(diags, waiver, &policies, &by_id, today)).collect();
    PolicySet { engine: Some(engine), policies, waivers }
}

/// The packs the platform enables (`platform { policies ... }`, else [`DEFAULT_PACKS`]);
/// a pack no policy belongs to is reported.
fn enabled_packs(diags: &mut Diagnostics, by_id: &IndexMap<String, &model::Policy>, spec: &Spec) -> Vec<String> {
    let mut known_packs: Vec<String> =
        by_id.values().filter_map(|p| p.pack.as_ref()).map(|p| p.value.clone()).collect();
    known_packs.sort();
    known_packs.dedup();
    let Some(written) = spec.platform.as_ref().and_then(|p| p.policies.clone()) else {
        return DEFAULT_PACKS.iter().map(|p| (*p).to_owned()).collect();
    };
    for pack in &written {
        if !known_packs.contains(&pack.value) {
            diags.at(
                pack.span,
                PolicyError::UnknownPack {
                    name: pack.value.clone(),
                    span: pack.span,
                    help: format!("enable one of {}", quoted_list(&known_packs)),
                },
            );
        }
    }
    written.iter().map(|p| p.value.clone()).collect()
}

/// An `env=` filter in the spec's own policies must name one of its environments;
/// library policies may name environments a given spec does not have.
fn check_env_filters(diags: &mut Diagnostics, spec: &Spec) {
    let env_names: Vec<String> = spec.environments.iter().map(|e| e.name.value.clone()).collect();
    for policy in &spec.policies {
        for env in policy.matches.iter().filter_map(|m| m.env.as_ref()) {
            if !env_names.contains(&env.value) {
                diags.at(
                    env.span,
                    PolicyError::UnknownEnvironment {
                        policy: policy.id.value.clone(),
                        env: env.value.clone(),
                        span: env.span,
                        help: format!("name one of {}", quoted_list(&env_names)),
                    },
                );
            }
        }
    }
}

/// One enabled policy with its expressions compiled; an unknown match kind, a too costly
/// or an invalid expression is reported (the rule is dropped).
fn compile(diags: &mut Diagnostics, engine: &Engine, policy: &model::Policy) -> Compiled {
    for matched in &policy.matches {
        let kind = &matched.kind.value;
        if kind.starts_with(|c: char| c.is_ascii_lowercase()) && !ENTITY_KINDS.contains(&kind.as_str()) {
            diags.at(
                matched.kind.span,
                PolicyError::UnknownMatchKind {
                    policy: policy.id.value.clone(),
                    kind: kind.clone(),
                    span: matched.kind.span,
                },
            );
        }
    }
    let mut rules = Vec::new();
    for rule in &policy.rules {
        let shape = match limits::check(&rule.expression.value) {
            Ok(shape) => shape,
            Err((reason, offset)) => {
                let span = within(rule.expression.span, &rule.expression.value, Some(offset));
                diags.at(span, PolicyError::ExpressionTooCostly { policy: policy.id.value.clone(), reason, span });
                continue;
            }
        };
        match engine.compile(&rule.expression.value) {
            Ok(program) => rules.push(CompiledRule {
                shape,
                each: rule.each.as_ref().map(|each| each.value.clone()),
                require: rule.require,
                expression: rule.expression.clone(),
                message: rule.message.as_ref().map(|m| m.value.clone()),
                program,
            }),
            Err((reason, offset)) => {
                let span = within(rule.expression.span, &rule.expression.value, offset);
                diags.at(span, PolicyError::InvalidExpression { policy: policy.id.value.clone(), reason, span });
            }
        }
    }
    let severity = match policy.severity.value.as_str() {
        "warning" => Severity::Warning,
        "info" => Severity::Advice,
        _ => Severity::Error,
    };
    let pack = policy.pack.as_ref().map(|p| p.value.clone());
    Compiled { id: policy.id.value.clone(), severity, pack, matches: policy.matches.clone(), rules }
}

/// A waiver of the spec that names an enabled policy, gives a reason and has not expired
/// on `today`; otherwise the problem is reported and `None` returned.
fn valid_waiver(
    diags: &mut Diagnostics,
    waiver: &model::Waiver,
    policies: &[Compiled],
    by_id: &IndexMap<String, &model::Policy>,
    today: &str,
) -> Option<ValidWaiver> {
    if !policies.iter().any(|p| p.id == waiver.policy.value) {
        let help = if by_id.contains_key(&waiver.policy.value) {
            "enable the policy's pack in `platform { policies ... }`, or remove the waiver".to_owned()
        } else {
            crate::diag::did_you_mean(
                &waiver.policy.value,
                by_id.keys(),
                crate::diag::Otherwise::Say("name a policy listed in docs/policies.md or defined in the spec"),
            )
        };
        diags.at(
            waiver.policy.span,
            PolicyError::UnknownPolicy { policy: waiver.policy.value.clone(), span: waiver.policy.span, help },
        );
        return None;
    }
    let Some(reason) = waiver.reason.as_ref().filter(|r| !r.value.trim().is_empty()) else {
        diags.at(
            waiver.span,
            PolicyError::WaiverWithoutReason {
                policy: waiver.policy.value.clone(),
                on: waiver.on.value.clone(),
                span: waiver.span,
            },
        );
        return None;
    };
    if let Some(until) = &waiver.until
        && !today.is_empty()
        && until.value.as_str() < today
    {
        diags.at(
            until.span,
            PolicyError::ExpiredWaiver {
                policy: waiver.policy.value.clone(),
                on: waiver.on.value.clone(),
                until: until.value.clone(),
                span: until.span,
                today: today.to_owned(),
            },
        );
        return None;
    }
    Some(ValidWaiver {
        policy: waiver.policy.value.clone(),
        on: waiver.on.value.clone(),
        item: waiver.item.as_ref().map(|item| item.value.clone()),
        reason: reason.value.clone(),
        span: waiver.span,
    })
}

/// The lower-case kinds a model policy can match.
pub const ENTITY_KINDS: &[&str] = &["service", "worker", "job", "backing", "domain", "environment"];

/// One entity to evaluate model policies on.
struct Entity {
    kind: &'static str,
    label: String,
    on: String,
    span: Span,
    variables: BTreeMap<&'static str, Json>,
}

/// Run the model policies over every view of `estate`; report unwaived findings.
pub fn check_model(diags: &mut Diagnostics, set: &PolicySet, spec: &Spec, estate: &Estate) -> Vec<Finding> {
    let mut acc = Accumulator::default();
    let Some(engine) = &set.engine else { return Vec::new() };
    for view in &estate.views {
        // Findings are keyed by entity span, so an environment on two targets reports once.
        let mut entities = vec![environment_entity(spec, view)];
        for domain in &view.domains {
            entities.push(domain_entity(view, domain));
            for workload in &domain.workloads {
                entities.push(workload_entity(spec, view, domain, workload));
            }
            for backing in &domain.backing {
                entities.push(backing_entity(view, domain, backing, &users(view, &domain.name, &backing.name)));
            }
        }
        for entity in &entities {
            let mut context = None;
            for (policy_index, policy) in set.policies.iter().enumerate() {
                if policy.pack.as_deref() == Some("production") && !view.production {
                    continue;
                }
                let matched = policy
                    .matches
                    .iter()
                    .any(|m| m.kind.value == entity.kind && m.env.as_ref().is_none_or(|env| env.value == view.env));
                if !matched {
                    continue;
                }
                let context = context.get_or_insert_with(|| engine.context(&entity.variables));
                acc.evaluate(diags, set, policy_index, entity, context, &view.env);
            }
        }
    }
    acc.report(diags, set, spec)
}

/// Run the object policies over every emitted object; report unwaived findings.
pub fn check_objects(
    diags: &mut Diagnostics,
    set: &PolicySet,
    spec: &Spec,
    estate: &Estate,
    tree: &ArtifactTree,
) -> Vec<Finding> {
    let mut acc = Accumulator::default();
    let Some(engine) = &set.engine else { return Vec::new() };
    for artifact in tree.values() {
        // Policies see Kubernetes objects of a view; text files are not theirs.
        let (Some(object), Scope::View { env, target, .. }) = (artifact.object(), &artifact.scope) else { continue };
        let (env, target) = (env.as_str(), target.as_str());
        let kind = object.get("kind").and_then(Json::as_str).unwrap_or_default();
        let view = estate.views.iter().find(|v| v.env == env && v.target == target);
        let production = view.is_some_and(|v| v.production);
        // The policies for this kind, chosen before the object is copied and converted:
        // most objects match none.
        let matching: Vec<usize> = set
            .policies
            .iter()
            .enumerate()
            .filter(|(_, policy)| {
                (policy.pack.as_deref() != Some("production") || production)
                    && policy
                        .matches
                        .iter()
                        .any(|m| m.kind.value == kind && m.env.as_ref().is_none_or(|e| e.value == env))
            })
            .map(|(index, _)| index)
            .collect();
        if matching.is_empty() {
            continue;
        }
        // `service order/order-api` -> `order/order-api`.
        let on =
            artifact.origin_label.split_once(' ').map_or(artifact.origin_label.as_str(), |(_, rest)| rest).to_owned();
        let mut variables = BTreeMap::new();
        variables.insert("object", object.clone());
        variables.insert("pod", pod_spec(object));
        variables.insert("env", to_json(&env));
        variables.insert("production", to_json(&production));
        variables.insert("target", to_json(&target));
        let entity = Entity {
            kind: "object",
            label: format!("{} ({kind})", artifact.origin_label),
            on,
            span: artifact.origin,
            variables,
        };
        let context = engine.context(&entity.variables);
        for policy_index in matching {
            acc.evaluate(diags, set, policy_index, &entity, &context, &artifact.path);
        }
    }
    acc.report(diags, set, spec)
}

/// Warn about every valid waiver that covered no finding. Skipped when only some views
/// were compiled (`--env`, `--target`): the entity may live in another one.
pub fn finish(diags: &mut Diagnostics, set: &PolicySet, findings: &[Finding], partial: bool) {
    if partial {
        return;
    }
    for waiver in &set.waivers {
        let used = findings.iter().any(|f| waiver.covers(f));
        if !used {
            diags.at(
                waiver.span,
                PolicyError::UnusedWaiver { policy: waiver.policy.clone(), on: waiver.on.clone(), span: waiver.span },
            );
        }
    }
}

impl ValidWaiver {
    /// Whether this waiver exempts `finding`: its policy, its entity (or the entity's
    /// domain), and with `item=` only the finding about that item.
    fn covers(&self, finding: &Finding) -> bool {
        finding.policy == self.policy
            && covers(&self.on, &finding.on)
            && self.item.as_ref().is_none_or(|item| finding.item.as_ref() == Some(item))
    }
}

/// Whether a waiver's `on` covers an entity key: the same key, or its domain.
fn covers(on: &str, key: &str) -> bool {
    on == key || key.strip_prefix(on).is_some_and(|rest| rest.starts_with('/'))
}

/// Findings gathered across views, one per (policy, rule, entity).
#[derive(Default)]
struct Accumulator {
    findings: IndexMap<(usize, usize, Span, String), Finding>,
    errors: IndexMap<(usize, usize, Span), ()>,
}

impl Accumulator {
    fn evaluate(
        &mut self,
        diags: &mut Diagnostics,
        set: &PolicySet,
        policy_index: usize,
        entity: &Entity,
        context: &cel::Context<'_, '_>,
        place: &str,
    ) {
        let (Some(policy), Some(engine)) = (set.policies.get(policy_index), &set.engine) else { return };
        let largest = entity.variables.values().map(limits::largest_collection).max().unwrap_or_default();
        for (rule_index, rule) in policy.rules.iter().enumerate() {
            let estimate = limits::estimate(rule.shape, largest);
            if estimate > limits::MAX_COST {
                let reason = format!(
                    "its comprehensions could walk {estimate} elements on this entity (a collection of {largest}), more than the budget of {}; nest fewer comprehensions over large lists",
                    limits::MAX_COST
                );
                self.error(diags, policy, policy_index, rule_index, entity, reason);
                continue;
            }
            // A rule with `each=` runs once per key (or element) of that variable, as `item`.
            let items: Vec<Option<Json>> = match &rule.each {
                None => vec![None],
                Some(each) => match entity.variables.get(each.as_str()) {
                    Some(Json::Object(map)) => map.keys().map(|key| Some(Json::String(key.clone()))).collect(),
                    Some(Json::Array(elements)) => elements.iter().cloned().map(Some).collect(),
                    _ => Vec::new(),
                },
            };
            for item in items {
                let outcome = match &item {
                    None => engine.evaluate(&rule.program, context),
                    Some(value) => engine.evaluate(&rule.program, &engine.with_item(context, value)),
                };
                match outcome {
                    Ok(value) if value == rule.require => {}
                    Ok(_) => {
                        let item = item.map(|value| value.as_str().map_or_else(|| value.to_string(), str::to_owned));
                        self.finding(policy, policy_index, rule_index, entity, item, place);
                    }
                    Err(reason) => self.error(diags, policy, policy_index, rule_index, entity, reason),
                }
            }
        }
    }

    fn report(self, diags: &mut Diagnostics, set: &PolicySet, spec: &Spec) -> Vec<Finding> {
        let mut out = Vec::new();
        for (_, mut finding) in self.findings {
            finding.span = name_span(spec, finding.span);
            if let Some(waiver) = set.waivers.iter().find(|w| w.covers(&finding)) {
                finding.waived = true;
                finding.waiver_reason = Some(waiver.reason.clone());
                // Listed as advice, so every report format shows what is waived and why.
                diags.at(finding.span, waived_diagnostic(&finding, &waiver.reason));
            } else {
                diags.at(finding.span, diagnostic(&finding));
            }
            out.push(finding);
        }
        out
    }
}

/// The diagnostic of an unwaived finding.
fn diagnostic(finding: &Finding) -> MietteDiagnostic {
    let severity = match finding.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Advice => miette::Severity::Advice,
    };
    // `environment prod in prod` says it twice.
    let label = match finding.places.as_slice() {
        [place] if finding.entity.ends_with(&format!(" {place}")) => finding.entity.clone(),
        places => format!("{} in {}", finding.entity, places.join(", ")),
    };
    MietteDiagnostic::new(finding.message.clone())
        .with_code(finding.policy.clone())
        .with_severity(severity)
        .with_label(LabeledSpan::at(finding.span.range(), label))
        .with_help(format!(
            "fix the spec, or record an exception: `waive \"{}\" on=\"{}\"{} reason=\"...\" until=\"YYYY-MM-DD\"`",
            finding.policy,
            finding.on,
            finding.item.as_ref().map_or_else(String::new, |item| format!(" item=\"{item}\""))
        ))
}

/// The note that lists a waived finding (advice: it never fails a run).
fn waived_diagnostic(finding: &Finding, reason: &str) -> MietteDiagnostic {
    MietteDiagnostic::new(format!("waived: {}", finding.message))
        .with_code(finding.policy.clone())
        .with_severity(miette::Severity::Advice)
        .with_label(LabeledSpan::at(finding.span.range(), format!("{} (waived)", finding.entity)))
        .with_help(format!("waiver reason: {reason}"))
}

fn quoted_list(items: &[String]) -> String {
    items.iter().map(|item| format!("`{item}`")).collect::<Vec<_>>().join(", ")
}

/// The pod template's spec of a workload object, or null.
fn pod_spec(object: &Json) -> Json {
    let kind = object.get("kind").and_then(Json::as_str).unwrap_or_default();
    let pointer = match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "Job" => "/spec/template/spec",
        "CronJob" => "/spec/jobTemplate/spec/template/spec",
        _ => return Json::Null,
    };
    object.pointer(pointer).cloned().unwrap_or(Json::Null)
}

// ── CEL variables ─────────────────────────────────────────────────────────────────────
//
// Every variable is the serialisation of a resolved value (`resolve::schema::to_json`, the
// JSON `berth inspect` prints), picked by the names docs/policies.md documents. Where the
// documented shape differs from the serialised one, a projection below says so.

fn common_variables(view: &View) -> BTreeMap<&'static str, Json> {
    let mut variables = BTreeMap::new();
    variables.insert("env", to_json(&view.env));
    variables.insert("production", to_json(&view.production));
    variables.insert("target", to_json(&view.target));
    variables.insert("cloud", to_json(&view.profile.cloud));
    variables
}

/// Move the fields `keys` of a serialised value into `variables`.
fn pick(variables: &mut BTreeMap<&'static str, Json>, mut value: Json, keys: &[&'static str]) {
    for key in keys {
        let field = value.get_mut(*key).map(Json::take).unwrap_or(Json::Null);
        variables.insert(key, field);
    }
}

fn environment_entity(spec: &Spec, view: &View) -> Entity {
    // `rollout` is the strategy as written (null when the default applies), so it comes
    // from the spec, not from the resolved view.
    let written = spec.environments.iter().find(|e| e.name.value == view.env);
    let rollout = written.and_then(|e| e.rollout.as_ref()).map(|r| r.strategy.value.clone());
    let mut variables = common_variables(view);
    variables.insert("name", to_json(&view.env));
    variables.insert("approval", to_json(&view.approval));
    variables.insert("rollout", to_json(&rollout));
    Entity {
        kind: "environment",
        label: format!("environment {}", view.env),
        on: view.env.clone(),
        span: view.span,
        variables,
    }
}

fn domain_entity(view: &View, domain: &ResolvedDomain) -> Entity {
    let mut variables = common_variables(view);
    variables.insert("name", to_json(&domain.name));
    variables.insert("team", to_json(&domain.team));
    variables.insert("group", to_json(&domain.group));
    variables.insert("quota", to_json(&domain.quota));
    Entity {
        kind: "domain",
        label: format!("domain {}", domain.name),
        on: domain.name.clone(),
        span: domain.span,
        variables,
    }
}

fn workload_entity(spec: &Spec, view: &View, domain: &ResolvedDomain, workload: &ResolvedWorkload) -> Entity {
    let written = spec
        .domains
        .iter()
        .find(|d| d.name.value == domain.name)
        .and_then(|d| d.workloads.iter().find(|w| w.name.value == workload.name));
    let declared = written.is_some_and(|w| {
        w.settings.resources.is_some()
            || w.overrides.iter().any(|o| o.env.value == view.env && o.settings.resources.is_some())
    });
    let kind = workload.kind.as_str();
    let mut variables = common_variables(view);
    let keys = [
        "name",
        "kind",
        "image",
        "replicas",
        "scale",
        "ports",
        "health",
        "readiness",
        "liveness",
        "startup",
        "resources",
        "config",
        "secrets",
        "uses",
        "expose",
        "egress",
        "schedule",
    ];
    pick(&mut variables, to_json(workload), &keys);
    variables.insert("domain", to_json(&domain.name));
    variables.insert("team", to_json(&domain.team));
    project_workload(&mut variables, declared);
    Entity {
        kind: kind_name(workload.kind),
        label: format!("{kind} {}/{}", domain.name, workload.name),
        on: format!("{}/{}", domain.name, workload.name),
        span: workload.span,
        variables,
    }
}

/// The documented shapes that differ from the serialisation: a port's `port` is its
/// `container_port`; a probe's `path` is null for gRPC and TCP checks; `resources.declared`
/// says whether the spec wrote `resources` (false when only defaults apply); a `uses`
/// item is `{domain, name, kind, backing, role}`, `kind` being `workload` or the backing
/// service's kind.
fn project_workload(variables: &mut BTreeMap<&'static str, Json>, declared: bool) {
    if let Some(Json::Array(ports)) = variables.get_mut("ports") {
        for port in ports.iter_mut().filter_map(Json::as_object_mut) {
            let number = port.get("container_port").cloned().unwrap_or(Json::Null);
            port.insert("port".to_owned(), number);
        }
    }
    for probe in ["health", "readiness", "liveness", "startup"] {
        if let Some(Json::Object(probe)) = variables.get_mut(probe) {
            probe.entry("path").or_insert(Json::Null);
        }
    }
    if let Some(Json::Object(resources)) = variables.get_mut("resources") {
        resources.insert("declared".to_owned(), Json::Bool(declared));
    }
    if let Some(Json::Array(uses)) = variables.get_mut("uses") {
        for used in uses.iter_mut() {
            let target = used.get("target").cloned().unwrap_or(Json::Null);
            let backing = target.get("target").and_then(Json::as_str) == Some("backing");
            let kind = if backing { target.get("kind").cloned().unwrap_or(Json::Null) } else { Json::from("workload") };
            let mut item = serde_json::Map::new();
            item.insert("domain".to_owned(), target.get("domain").cloned().unwrap_or(Json::Null));
            item.insert("name".to_owned(), target.get("name").cloned().unwrap_or(Json::Null));
            item.insert("kind".to_owned(), kind);
            item.insert("backing".to_owned(), Json::Bool(backing));
            item.insert("role".to_owned(), used.get("role").cloned().unwrap_or(Json::Null));
            *used = Json::Object(item);
        }
    }
}

fn kind_name(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Service => "service",
        WorkloadKind::Worker => "worker",
        WorkloadKind::Job => "job",
    }
}

/// `domain/name` of every workload of `view` that uses backing service `domain/name`.
fn users(view: &View, domain: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for user_domain in &view.domains {
        for workload in &user_domain.workloads {
            let uses_it = workload.uses.iter().any(
                |u| matches!(&u.target, UseTarget::Backing { domain: d, name: n, .. } if d == domain && n == name),
            );
            if uses_it {
                out.push(format!("{}/{}", user_domain.name, workload.name));
            }
        }
    }
    out
}

fn backing_entity(view: &View, domain: &ResolvedDomain, backing: &ResolvedBacking, used_by: &[String]) -> Entity {
    let mut variables = common_variables(view);
    pick(&mut variables, to_json(backing), &["name", "kind", "managed", "stateful", "properties"]);
    variables.insert("domain", to_json(&domain.name));
    variables.insert("used_by", to_json(&used_by));
    Entity {
        kind: "backing",
        label: format!("{} {}/{}", backing.kind, domain.name, backing.name),
        on: format!("{}/{}", domain.name, backing.name),
        span: backing.span,
        variables,
    }
}

/// The name of the spec node whose whole span is `node`, so a finding points at one line
/// (`service "order-api"`) rather than at the whole block; `node` itself when not found.
fn name_span(spec: &Spec, node: Span) -> Span {
    for environment in &spec.environments {
        if environment.span == node {
            return environment.name.span;
        }
    }
    for domain in &spec.domains {
        if domain.span == node {
            return domain.name.span;
        }
        for workload in &domain.workloads {
            if workload.span == node {
                return workload.name.span;
            }
        }
        for backing in &domain.backing {
            if backing.span == node {
                return backing.name.span;
            }
        }
    }
    node
}

/// The span of byte `offset` of an expression inside its string literal when the literal
/// is a plain `"..."` without escapes (its length is the text's plus the quotes), else the
/// whole literal.
fn within(whole: Span, text: &str, offset: Option<usize>) -> Span {
    match offset {
        Some(offset) if whole.len == text.len() + 2 => {
            let at = whole.offset + 1 + offset.min(text.len());
            let len = usize::from(offset < text.len());
            Span { file: whole.file, offset: at, len }
        }
        _ => whole,
    }
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn a_waiver_covers_its_entity_and_a_domain_waiver_everything_in_it() {
        assert!(covers("shop/api", "shop/api"));
        assert!(covers("shop", "shop/api"));
        assert!(covers("shop", "shop"));
        assert!(!covers("shop", "shopping/api"));
        assert!(!covers("shop/api", "shop/api-v2"));
        assert!(!covers("shop/api", "shop"));
    }
}
