//! Realisation of backing services, workload identities and hybrid placement on one
//! target: which `realise` block of a kind applies, its template context, the rendered
//! binding (the variables a consumer gets) and the rendered identity facts.
//!
//! Only library data decides: a kind's `realise "<mode>" cloud="<profile>"` blocks and the
//! profile's `identity-*` and `param` facts. Nothing here names a cloud.

use super::Ctx;
use super::errors::ResolveError;
use super::schema::to_json;
use super::supports;
use super::types::{EnvSource, ResolvedEnv, ResolvedIdentity, ResolvedPodSize, ResolvedProfile, ResolvedRealisation};
use crate::diag::{Span, Spanned};
use crate::model::bounds::PortNumber;
use crate::model::{BackingKind, BindSource, BindingEnvSource, Realisation, RealisationMode, Value};
use crate::template;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// The `requires` name that means the target's `region=` attribute.
const REGION: &str = "region";

/// Where a backing service or workload is being resolved.
pub(super) struct Scope<'a> {
    /// Environment name.
    pub env: &'a str,
    /// Environment is production.
    pub production: bool,
    /// Target name.
    pub target: &'a str,
    /// The target node.
    pub target_span: Span,
    /// Targets of the environment, in order.
    pub env_targets: &'a [String],
    /// The target's resolved profile.
    pub profile: &'a ResolvedProfile,
    /// Domain name.
    pub domain: &'a str,
    /// The domain's namespace in this environment.
    pub namespace: &'a str,
}

/// The realisation of one backing service on this scope's target and its binding.
pub(super) fn realise(
    cx: &mut Ctx<'_>,
    scope: &Scope<'_>,
    kind: &BackingKind,
    name: &Spanned<String>,
    written: &BTreeMap<String, Spanned<Value>>,
    properties: &BTreeMap<String, Value>,
    managed: bool,
) -> Option<(ResolvedRealisation, Vec<ResolvedEnv>, Option<PortNumber>)> {
    let mode = if managed { RealisationMode::Managed } else { RealisationMode::InCluster };
    let cloud = scope.profile.cloud.as_str();
    // A realisation's `when` sees the declaration as the kind's port would (its own port
    // is not known before it is chosen).
    let kind_port = kind.port.as_ref().map(|p| p.value);
    let preview = context(cx, scope, kind, &name.value, (properties, written), kind_port);
    let mut holds = |r: &Realisation| match &r.when {
        None => Some(true),
        Some(when) => {
            let what = format!("`when` of the {} {} realisation", mode.as_str(), kind.name.value);
            render(cx, &when.value, &preview, when.span, &what).map(|text| text.trim().eq_ignore_ascii_case("true"))
        }
    };
    let mut chosen = None;
    for for_cloud in [true, false] {
        let candidates = kind.realisations.iter().filter(|r| {
            r.mode.value == mode
                && if for_cloud { r.cloud.as_ref().is_some_and(|c| c.value == cloud) } else { r.cloud.is_none() }
        });
        for candidate in candidates {
            if holds(candidate)? {
                chosen = Some(candidate);
                break;
            }
        }
        if chosen.is_some() {
            break;
        }
    }
    let Some(realisation) = chosen else {
        cx.error(
            name.span,
            ResolveError::NoRealisation {
                kind: kind.name.value.clone(),
                name: name.value.clone(),
                mode: mode.as_str(),
                target: scope.target.to_owned(),
                cloud: cloud.to_owned(),
                help: no_realisation_help(kind, mode, cloud, scope.env),
                span: name.span,
            },
        );
        return None;
    };

    if !complete(cx, scope, kind, realisation, name, mode) {
        return None;
    }
    let declared = supports::Declared { name, written, properties, cloud };
    let fine = supports::check(cx, kind, realisation, &declared) && supports::params(cx, scope, kind, realisation);
    if !fine || !refused(cx, kind, realisation, &declared, &preview) {
        return None;
    }
    // The port consumers connect to: the realisation's when it has its own.
    let port = realisation.port.as_ref().or(kind.port.as_ref()).map(|p| p.value);

    let mut context = context(cx, scope, kind, &name.value, (properties, written), port);
    if let (Json::Object(map), Some(namespace)) = (&mut context, &realisation.operator_namespace) {
        // The operator's namespace, for the realisation's own NetworkPolicies.
        map.insert("operator_namespace".to_owned(), to_json(&namespace.value));
    }
    let what = |detail: &str| format!("{detail} of the {} {} realisation", mode.as_str(), kind.name.value);
    let mut pods = BTreeMap::new();
    for (label, value) in &realisation.pods {
        let rendered = render(cx, &value.value, &context, value.span, &what(&format!("`pods \"{label}\"`")))?;
        pods.insert(label.clone(), rendered);
    }
    let operator_namespace = realisation.operator_namespace.as_ref().map(|n| n.value.clone());
    let mut binds = BTreeMap::new();
    for bind in &realisation.binds {
        let label = what(&format!("`bind \"{}\"`", bind.key.value));
        let source = match &bind.source {
            BindSource::Secret { name, key } => {
                EnvSource::Secret { name: render(cx, &name.value, &context, name.span, &label)?, key: key.clone() }
            }
            BindSource::ConfigMap { name, key } => {
                EnvSource::ConfigMap { name: render(cx, &name.value, &context, name.span, &label)?, key: key.clone() }
            }
            BindSource::Value(value) => EnvSource::Value(render(cx, &value.value, &context, value.span, &label)?),
        };
        binds.insert(bind.key.value.as_str(), source);
    }
    let binding = kind
        .binding
        .iter()
        .filter_map(|env| {
            let source = match &env.source {
                BindingEnvSource::Key(key) => binds.get(key.value.as_str())?.clone(),
                BindingEnvSource::Value(value) => EnvSource::Value(value.value.clone()),
            };
            Some(ResolvedEnv { name: env.name.value.clone(), source })
        })
        .collect();
    let pod_sizes = pod_sizes(cx, realisation, &context, &what("`pod-size`"))?;
    Some((
        ResolvedRealisation {
            mode,
            objects: realisation.objects.clone(),
            context,
            pods,
            operator_namespace,
            api_server: realisation.api_server,
            pod_sizes,
            monitor: realisation.monitor.as_ref().map(|monitor| monitor.template.clone()),
            metrics_port: realisation.monitor.as_ref().map(|monitor| monitor.port.value),
            span: realisation.span,
        },
        binding,
        port,
    ))
}

/// The realisation's `pod-size` nodes, rendered: a count that is not a whole number or a
/// size that is not a quantity is the library's mistake, reported at the node.
fn pod_sizes(cx: &mut Ctx<'_>, realisation: &Realisation, context: &Json, what: &str) -> Option<Vec<ResolvedPodSize>> {
    let mut out = Vec::new();
    for size in &realisation.pod_sizes {
        let count = render(cx, &size.count.value, context, size.count.span, what)?;
        let cpu = render(cx, &size.cpu.value, context, size.cpu.span, what)?;
        let memory = render(cx, &size.memory.value, context, size.memory.span, what)?;
        let Ok(count) = count.trim().parse::<i64>() else {
            cx.error(
                size.count.span,
                ResolveError::BadPodSize { what: what.to_owned(), value: count, span: size.count.span },
            );
            return None;
        };
        for value in [&cpu, &memory] {
            if crate::model::quantity_value(value.trim()).is_none() {
                cx.error(
                    size.span,
                    ResolveError::BadPodSize { what: what.to_owned(), value: value.clone(), span: size.span },
                );
                return None;
            }
        }
        out.push(ResolvedPodSize { count, cpu: cpu.trim().to_owned(), memory: memory.trim().to_owned() });
    }
    Some(out)
}

/// Whether a target param has the form the realisation asks for (`requires "x"
/// pattern=".."`); a mismatch is reported at the target.
fn param_matches(cx: &mut Ctx<'_>, scope: &Scope<'_>, realisation: &Realisation, param: &str, value: &str) -> bool {
    let mut matches = true;
    for format in realisation.param_formats.iter().filter(|format| format.param == param) {
        // Anchored: the whole value must match. The pattern compiled when it was lowered.
        let anchored = format!("^(?:{})$", format.pattern.value);
        if regex::Regex::new(&anchored).is_ok_and(|re| !re.is_match(value)) {
            matches = false;
            cx.error(
                scope.target_span,
                super::value_errors::ValueError::InvalidParam {
                    param: param.to_owned(),
                    value: value.escape_debug().to_string(),
                    target: scope.target.to_owned(),
                    pattern: format.pattern.value.clone(),
                    example: format
                        .example
                        .clone()
                        .unwrap_or_else(|| format!("a value matching `{}`", format.pattern.value)),
                    span: scope.target_span,
                },
            );
        }
    }
    matches
}

/// Whether the target gives everything `realisation` requires (params, `region`) and the
/// realisation binds every key of the kind's `binding`; each gap is reported.
fn complete(
    cx: &mut Ctx<'_>,
    scope: &Scope<'_>,
    kind: &BackingKind,
    realisation: &Realisation,
    name: &Spanned<String>,
    mode: RealisationMode,
) -> bool {
    let mut complete = true;
    for param in &realisation.requires {
        // `requires "region"` asks for the target's `region=`, not a param.
        if param.value == REGION {
            if scope.profile.region.is_none() {
                complete = false;
                cx.error(
                    scope.target_span,
                    ResolveError::MissingRegion {
                        target: scope.target.to_owned(),
                        mode: mode.as_str(),
                        kind: kind.name.value.clone(),
                        name: name.value.clone(),
                        span: scope.target_span,
                    },
                );
            }
            continue;
        }
        if let Some(value) = scope.profile.params.get(&param.value) {
            complete &= param_matches(cx, scope, realisation, &param.value, value);
        } else {
            complete = false;
            cx.error(
                scope.target_span,
                ResolveError::MissingParam {
                    param: param.value.clone(),
                    target: scope.target.to_owned(),
                    mode: mode.as_str(),
                    kind: kind.name.value.clone(),
                    name: name.value.clone(),
                    span: scope.target_span,
                },
            );
        }
    }
    for env in &kind.binding {
        if let BindingEnvSource::Key(key) = &env.source
            && !realisation.binds.iter().any(|bind| bind.key.value == key.value)
        {
            complete = false;
            cx.error(
                realisation.span,
                ResolveError::UnboundKey {
                    mode: mode.as_str(),
                    kind: kind.name.value.clone(),
                    key: key.value.clone(),
                    span: realisation.span,
                },
            );
        }
    }
    complete
}

/// The identity facts of the profile, rendered for one workload.
pub(super) fn identity(
    cx: &mut Ctx<'_>,
    scope: &Scope<'_>,
    workload: &str,
    identity: &Spanned<String>,
) -> Option<ResolvedIdentity> {
    let mut context = Map::new();
    context.insert("identity".to_owned(), to_json(&identity.value));
    context.insert("workload".to_owned(), to_json(&workload));
    context.insert("domain".to_owned(), to_json(&scope.domain));
    context.insert("namespace".to_owned(), to_json(&scope.namespace));
    context.insert("env".to_owned(), to_json(&scope.env));
    context.insert("target".to_owned(), to_json(&scope.target));
    context.insert("platform".to_owned(), to_json(&cx.platform));
    context.extend(profile_facts(scope.profile, &["cloud", "region", "params"]));
    let context = Json::Object(context);
    let mut render_all = |facts: &BTreeMap<String, Spanned<String>>, what: &str| -> Option<BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        for (key, template) in facts {
            // The fix is on the target (a param), so the report points at the spec's
            // `identity` and quotes the profile's template.
            let rendered = template::render_text(&template.value, &context).map_err(|reason| {
                cx.error(
                    identity.span,
                    ResolveError::IdentityParam {
                        identity: identity.value.clone(),
                        workload: workload.to_owned(),
                        target: scope.target.to_owned(),
                        fact: format!("{what} {key}"),
                        template: template.value.clone(),
                        reason,
                        span: identity.span,
                    },
                );
            });
            out.insert(key.clone(), rendered.ok()?);
        }
        Some(out)
    };
    let annotations = render_all(&scope.profile.identity_annotations, "identity annotation")?;
    let labels = render_all(&scope.profile.identity_labels, "identity label")?;
    Some(ResolvedIdentity { name: identity.value.clone(), annotations, labels })
}

/// Whether `placement` (as written for this environment) puts the entity on this
/// scope's target; unknown names are reported.
pub(super) fn placed_here(cx: &mut Ctx<'_>, scope: &Scope<'_>, placement: Option<&Spanned<Vec<String>>>) -> bool {
    let Some(placement) = placement else {
        return true;
    };
    for name in &placement.value {
        if !scope.env_targets.contains(name) {
            let help = if scope.env_targets.len() > 1 {
                format!("environment `{}` runs on {}", scope.env, words(scope.env_targets))
            } else {
                format!(
                    "environment `{}` runs on `{}` only; `placement` picks among the targets of a hybrid environment (`target \"a\" \"b\"`)",
                    scope.env,
                    scope.env_targets.first().map_or("", String::as_str)
                )
            };
            cx.error(
                placement.span,
                ResolveError::UnknownPlacement {
                    name: name.clone(),
                    env: scope.env.to_owned(),
                    help,
                    span: placement.span,
                },
            );
        }
    }
    placement.value.iter().any(|name| name == scope.target)
}

/// The template context of a backing service's realisation (docs/backing-services.md):
/// the declaration and its scope, and the profile facts [`profile_facts`] picks from the
/// serialised profile; `props` is the serialised properties.
fn context(
    cx: &Ctx<'_>,
    scope: &Scope<'_>,
    kind: &BackingKind,
    name: &str,
    (properties, written): (&BTreeMap<String, Value>, &BTreeMap<String, Spanned<Value>>),
    port: Option<PortNumber>,
) -> Json {
    let mut context = Map::new();
    context.insert("name".to_owned(), to_json(&name));
    context.insert("kind".to_owned(), to_json(&kind.name.value));
    context.insert("domain".to_owned(), to_json(&scope.domain));
    context.insert("namespace".to_owned(), to_json(&scope.namespace));
    context.insert("env".to_owned(), to_json(&scope.env));
    context.insert("production".to_owned(), to_json(&scope.production));
    context.insert("target".to_owned(), to_json(&scope.target));
    context.insert("platform".to_owned(), to_json(&cx.platform));
    context.insert("secret_store".to_owned(), to_json(&cx.secret_store));
    context.insert("props".to_owned(), to_json(properties));
    // The properties the declaration wrote for this environment (not kind defaults):
    // a managed realisation sizes its instance class from `cpu`/`memory` only when written.
    context.insert("written".to_owned(), to_json(&written.keys().collect::<Vec<_>>()));
    context.insert("port".to_owned(), to_json(&port));
    context.extend(profile_facts(
        scope.profile,
        // The network facts let a realisation's own Job (the managed databases' init
        // Job) carry the NetworkPolicy Berth gives its workloads: DNS and `managed-cidr`.
        &[
            "cloud",
            "region",
            "storage_class",
            "fixed_uid",
            "run_as_user",
            "params",
            "dns_namespace",
            "dns_labels",
            "dns_port",
            "dns_cidrs",
            "managed_cidrs",
            // An operator's pods that call the API server (a sidecar) get their own
            // NetworkPolicy from the realisation when the generated one does not select them.
            "api_server_cidrs",
        ],
    ));
    Json::Object(context)
}

/// The fields `keys` of the serialised profile (what `berth inspect` shows under
/// `profile`), for template contexts.
fn profile_facts(profile: &ResolvedProfile, keys: &[&str]) -> Map<String, Json> {
    let mut serialised = to_json(profile);
    keys.iter().map(|key| ((*key).to_owned(), serialised.get_mut(*key).map(Json::take).unwrap_or(Json::Null))).collect()
}

/// `unsupported "<property>" when="{{ ... }}" help=".."`: every property the declaration
/// writes that the realisation reads but refuses for it (the template renders `true`,
/// say an init script without the CA bundle it needs); `false` when there was one.
fn refused(
    cx: &mut Ctx<'_>,
    kind: &BackingKind,
    realisation: &Realisation,
    declared: &supports::Declared<'_>,
    preview: &Json,
) -> bool {
    let mut fine = true;
    let mode = realisation.mode.value.as_str();
    for (property, when) in &realisation.unsupported_when {
        let Some(value) = declared.written.get(property) else { continue };
        let what = format!("`when` of `unsupported \"{property}\"` of the {mode} {}", kind.name.value);
        let Some(holds) = render(cx, &when.value, preview, when.span, &what) else {
            fine = false;
            continue;
        };
        if !holds.trim().eq_ignore_ascii_case("true") {
            continue;
        }
        fine = false;
        let place = match &realisation.cloud {
            Some(cloud) => format!("on `{}`", cloud.value),
            None => format!("on `{}`", declared.cloud),
        };
        let help = realisation.unsupported.get(property).map(|help| help.value.clone()).unwrap_or_default();
        let error = super::value_errors::ValueError::PropertyRefused {
            property: property.clone(),
            kind: kind.name.value.clone(),
            mode,
            place,
            help,
            span: value.span,
        };
        cx.error(value.span, error);
    }
    fine
}

fn render(cx: &mut Ctx<'_>, source: &str, context: &Json, span: Span, what: &str) -> Option<String> {
    match template::render_text(source, context) {
        Ok(text) => Some(text),
        Err(reason) => {
            cx.error(span, ResolveError::Template { what: what.to_owned(), reason, span });
            None
        }
    }
}

/// Where the kind can run, and how to get there.
fn no_realisation_help(kind: &BackingKind, mode: RealisationMode, cloud: &str, env: &str) -> String {
    let describe = |wanted: RealisationMode| -> Option<String> {
        let of_mode: Vec<_> = kind.realisations.iter().filter(|r| r.mode.value == wanted).collect();
        if of_mode.iter().any(|r| r.cloud.is_none()) {
            return Some("on every cloud".to_owned());
        }
        let clouds: Vec<String> = of_mode.iter().filter_map(|r| r.cloud.as_ref().map(|c| c.value.clone())).collect();
        (!clouds.is_empty()).then(|| format!("on {}", words(&clouds)))
    };
    let other = match mode {
        RealisationMode::Managed => RealisationMode::InCluster,
        RealisationMode::InCluster => RealisationMode::Managed,
    };
    let flag = if other == RealisationMode::Managed { "#true" } else { "#false" };
    let mut help = String::new();
    if let Some(here) = describe(mode) {
        help.push_str(&format!("`{}` runs {} {here}; ", kind.name.value, mode.as_str()));
    }
    match describe(other) {
        Some(there) if there == "on every cloud" || there.contains(&format!("`{cloud}`")) => {
            help.push_str(&format!("it runs {} on `{cloud}`: write `in \"{env}\" managed={flag}`, or ", other.as_str()))
        }
        _ => {}
    }
    // An in-cluster realisation usually fits every cloud; a managed one is per cloud.
    let restriction = match mode {
        RealisationMode::InCluster => String::new(),
        RealisationMode::Managed => format!(" cloud=\"{cloud}\""),
    };
    help.push_str(&format!(
        "add `realise \"{}\"{restriction} {{ ... }}` to `backing-kind \"{}\"` in a library folder (`--lib`)",
        mode.as_str(),
        kind.name.value
    ));
    help
}

/// `` `a` ``, `` `a` and `b` ``, `` `a`, `b` and `c` ``.
pub(super) fn words(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}
