//! Lowering workloads (`service`, `worker`, `job`) and their settings.

use super::values::{Ctx, Once, Quantity, args, children, is_cidr, is_host_name, prop};
use super::{exposure, files, pod, probes, vars};
use crate::diag::{Otherwise, Spanned, did_you_mean};
use crate::model::Resources;
use crate::model::bounds::{PORT, REPLICAS, SCALE};
use crate::model::check;
use crate::model::errors::LowerError;
use crate::model::types::*;
use indexmap::IndexMap;
use kdl::{KdlNode, KdlValue};

/// Workload settings nodes (top level of a workload and inside `in`).
pub(super) const SETTINGS: &[&str] = &[
    "image",
    "command",
    "args",
    "port",
    "expose",
    "expose-port",
    "health",
    "resources",
    "replicas",
    "scale",
    "config",
    "secret",
    "uses",
    "writable",
    "enabled",
    "egress",
    "identity",
    "placement",
    "readiness",
    "liveness",
    "startup",
    "from-pod",
    "files",
    "include",
    "migrate",
    "slo",
    "http-metrics",
];

pub(super) fn workload(cx: &mut Ctx<'_>, node: &KdlNode, kind: WorkloadKind) -> Option<Workload> {
    let node_name = kind.as_str();
    let props: &[&str] = if kind == WorkloadKind::Job { &["schedule"] } else { &[] };
    cx.shape(node, props, 1, "the workload name");
    let name = cx.name_arg(node, node_name, true);
    let schedule = if kind == WorkloadKind::Job {
        let schedule = cx.required_string_prop(node, "schedule", "write `schedule=\"0 3 * * *\"` (5-field cron)");
        if let Some(schedule) = &schedule
            && let Some(reason) = check::cron_schedule(&schedule.value)
        {
            cx.diags.at(
                schedule.span,
                LowerError::InvalidSchedule { value: schedule.value.clone(), reason, span: schedule.span },
            );
        }
        schedule
    } else {
        None
    };
    let mut settings = WorkloadSettings::default();
    let mut overrides: Vec<EnvOverride> = Vec::new();
    let mut once = Once::default();
    let mut envs = Once::default();
    let (mut source, mut repository, mut build) = (None, None, None);
    for child in children(node) {
        if super::pipeline::source_or_build(cx, child, (&mut source, &mut repository), &mut build, &mut once, node_name)
        {
            continue;
        }
        if child.name().value() == "in" {
            if let Some(environment_override) = env_override(cx, child, node_name) {
                if let Some(first) = envs.0.get(&environment_override.env.value) {
                    let first = *first;
                    let setting = format!("in \"{}\"", environment_override.env.value);
                    cx.duplicate_setting(&setting, node_name, environment_override.env.span, first);
                } else {
                    envs.0.insert(environment_override.env.value.clone(), environment_override.env.span);
                    overrides.push(environment_override);
                }
            }
        } else if !setting(cx, child, &mut settings, &mut once, node_name) {
            let mut allowed = SETTINGS.to_vec();
            allowed.extend(pod::SETTINGS);
            allowed.extend(["in", "source", "build"]);
            let help = did_you_mean(child.name().value(), &allowed, Otherwise::Vocabulary);
            cx.unknown_node(child, &format!("in `{node_name}`"), help);
        }
    }
    config_secret_collisions(cx, &settings, &overrides);
    Some(Workload {
        kind,
        name: name?,
        schedule,
        settings,
        overrides,
        source,
        repository,
        build,
        span: cx.span_of(node),
    })
}

/// A `config` key and a `secret` of the same name would be two values for one variable.
fn config_secret_collisions(cx: &mut Ctx<'_>, settings: &WorkloadSettings, overrides: &[EnvOverride]) {
    let all = || std::iter::once(settings).chain(overrides.iter().map(|o| &o.settings));
    for secret in all().flat_map(|s| &s.secrets) {
        if let Some(config) = all().find_map(|s| s.config.get(&secret.env.value)) {
            cx.diags.at(
                secret.env.span,
                LowerError::ConfigSecretCollision {
                    name: secret.env.value.clone(),
                    span: secret.env.span,
                    config: config.span,
                },
            );
        }
    }
}

pub(super) fn env_override(cx: &mut Ctx<'_>, node: &KdlNode, parent: &str) -> Option<EnvOverride> {
    cx.shape(node, &[], 1, "the environment name");
    let env = env_arg(cx, node);
    let mut settings = WorkloadSettings::default();
    let mut once = Once::default();
    for child in children(node) {
        if !setting(cx, child, &mut settings, &mut once, "in") {
            let key = child.name().value();
            let help = if key == "in" {
                "`in` blocks do not nest; move it next to this one".to_owned()
            } else if key == "source" || key == "build" {
                format!("`{key}` is set once per workload, not per environment; move it out of the `in` block")
            } else {
                let allowed: Vec<&str> = SETTINGS.iter().chain(pod::SETTINGS).copied().collect();
                did_you_mean(key, &allowed, Otherwise::Vocabulary)
            };
            cx.unknown_node(child, &format!("in `in` of `{parent}`"), help);
        }
    }
    Some(EnvOverride { env: env?, settings, span: cx.span_of(node) })
}

pub(super) fn env_arg(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<Spanned<String>> {
    match args(node).next() {
        Some(entry) => cx.string(entry, "the environment name"),
        None => {
            cx.missing(node, "an environment name", "write `in \"<environment>\" ...`");
            None
        }
    }
}

/// Lower a workload setting into `settings`; `false` if `node` is not a setting.
pub(super) fn setting(
    cx: &mut Ctx<'_>,
    node: &KdlNode,
    settings: &mut WorkloadSettings,
    once: &mut Once,
    parent: &str,
) -> bool {
    let key = node.name().value();
    let single = matches!(
        key,
        "image"
            | "command"
            | "args"
            | "health"
            | "resources"
            | "replicas"
            | "scale"
            | "enabled"
            | "identity"
            | "placement"
            | "readiness"
            | "liveness"
            | "startup"
            | "migrate"
            | "slo"
            | "http-metrics"
    );
    if pod::setting(cx, node, &mut settings.pod, once, parent) {
        return true;
    }
    if !SETTINGS.contains(&key) {
        return false;
    }
    if single && !cx.once(once, node, key, parent) {
        return true;
    }
    match key {
        "image" => settings.image = image(cx, node),
        "command" => settings.command = strings(cx, node),
        "args" => settings.args = strings(cx, node),
        "port" => settings.ports.extend(port(cx, node)),
        "expose" => settings.expose.extend(expose(cx, node)),
        "expose-port" => settings.expose_ports.extend(exposure::expose_port(cx, node)),
        "health" => settings.health = probes::health(cx, node, false),
        "readiness" => settings.readiness = probes::health(cx, node, true),
        "liveness" => settings.liveness = probes::health(cx, node, true),
        "startup" => settings.startup = probes::health(cx, node, true),
        "from-pod" => vars::from_pod(cx, node, &mut settings.from_pod, parent),
        "files" => settings.files.extend(files::files(cx, node)),
        "include" => {
            if let Some(names) = strings(cx, node) {
                let span = names.span;
                settings.include.extend(names.value.into_iter().map(|name| Spanned::new(name, span)));
            }
        }
        "resources" => settings.resources = Some(resources(cx, node)),
        "slo" => settings.slo = super::observe::slo(cx, node),
        "http-metrics" => settings.http_metrics = super::observe::http_metrics(cx, node),
        "replicas" => settings.replicas = cx.single_integer(node, REPLICAS.0, REPLICAS.1),
        "scale" => settings.scale = scale(cx, node),
        "config" => config(cx, node, &mut settings.config, parent),
        "secret" => settings.secrets.extend(secret(cx, node)),
        "uses" => settings.uses.extend(uses(cx, node)),
        "egress" => settings.egress.extend(egress(cx, node)),
        "writable" => {
            if let Some(path) = cx.single_string(node) {
                absolute_path(cx, &path, "`writable` path");
                writable_path(cx, &path, &settings.writable);
                settings.writable.push(path);
            }
        }
        "identity" => {
            settings.identity = cx.single_string(node);
            if let Some(identity) = &settings.identity
                && !check::is_dns_label(&identity.value)
            {
                cx.invalid_value(
                        identity.span,
                        "identity",
                        &identity.value,
                        "not a DNS-1123 label",
                        "use lower-case letters, digits and `-`, such as `order-api`: profiles build role and account names from it",
                    );
            }
        }
        "placement" => settings.placement = strings(cx, node),
        "migrate" => settings.migration = migration(cx, node),
        _ => settings.enabled = cx.single_bool(node),
    }
    true
}

/// `migrate { image "..."; command "..."; args "..." }`.
fn migration(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<Migration> {
    cx.shape(node, &[], 0, "nothing (its settings are children)");
    let (mut image, mut command, mut args) = (None, None, None);
    let mut once = Once::default();
    for child in children(node) {
        let key = child.name().value();
        match key {
            "image" if cx.once(&mut once, child, key, "migrate") => image = self::image(cx, child),
            "command" if cx.once(&mut once, child, key, "migrate") => command = strings(cx, child),
            "args" if cx.once(&mut once, child, key, "migrate") => args = strings(cx, child),
            "image" | "command" | "args" => {}
            _ => {
                let help = did_you_mean(key, &["image", "command", "args"], Otherwise::Vocabulary);
                cx.unknown_node(child, "in `migrate`", help);
            }
        }
    }
    let Some(image) = image else {
        cx.missing(node, "an `image`", "write `migrate { image \"flyway/flyway\" tag=\"11.8\"; args \"migrate\" }`");
        return None;
    };
    Some(Migration { image, command, args, span: cx.span_of(node) })
}

pub(super) fn image(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<Image> {
    cx.shape(node, &["tag", "digest"], 1, "the image name");
    cx.no_children(node);
    let Some(entry) = args(node).next() else {
        cx.missing(node, "an image name", "write `image \"<name>\"`, optionally with `tag=\"1.2.3\"`");
        return None;
    };
    let written = cx.string(entry, "the image name")?;
    let span = written.span;
    let mut name = written.value.clone();
    let mut digest = None;
    let mut tag = None;
    if let Some((rest, at_digest)) = name.clone().split_once('@') {
        name = rest.to_owned();
        digest = Some(Spanned::new(at_digest.to_owned(), span));
    }
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    if let Some(colon) = name.get(last_slash..).and_then(|last| last.rfind(':')) {
        let split = last_slash + colon;
        tag = name.get(split + 1..).map(|t| Spanned::new(t.to_owned(), span));
        name.truncate(split);
    }
    if !check::is_image_name(&name) {
        cx.invalid_value(
            span,
            "image name",
            &written.value,
            "not an image reference",
            "write a name such as `order-api` or `ghcr.io/acme/api`",
        );
    }
    if let Some(entry) = prop(node, "tag")
        && let Some(explicit) = cx.string(entry, "`tag`")
    {
        if let Some(first) = &tag {
            cx.duplicate_setting("tag", "image", explicit.span, first.span);
        }
        tag = Some(explicit);
    }
    if let Some(entry) = prop(node, "digest")
        && let Some(explicit) = cx.string(entry, "`digest`")
    {
        if let Some(first) = &digest {
            cx.duplicate_setting("digest", "image", explicit.span, first.span);
        }
        digest = Some(explicit);
    }
    if let Some(tag) = &tag
        && !check::is_image_tag(&tag.value)
    {
        cx.invalid_value(
            tag.span,
            "image tag",
            &tag.value,
            "not a valid tag",
            "use letters, digits, `_`, `.` and `-`, up to 128 characters",
        );
    }
    if let Some(digest) = &digest
        && !check::is_digest(&digest.value)
    {
        cx.invalid_value(
            digest.span,
            "image digest",
            &digest.value,
            "not `sha256:` and 64 hex digits",
            "write `sha256:` followed by 64 lowercase hex digits",
        );
    }
    Some(Image { name: Spanned::new(name, span), tag, digest, span: cx.span_of(node) })
}

pub(super) fn strings(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<Spanned<Vec<String>>> {
    cx.shape(node, &[], usize::MAX, "strings");
    cx.no_children(node);
    let key = node.name().value();
    let values: Vec<String> =
        args(node).filter_map(|entry| cx.string(entry, &format!("`{key}`")).map(|s| s.value)).collect();
    if args(node).next().is_none() {
        cx.missing(node, "at least one argument", &format!("write `{key} \"<value>\" ...`"));
        return None;
    }
    Some(Spanned::new(values, cx.span_of(node)))
}

pub(super) fn port(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<Port> {
    cx.shape(node, &["service-port", "protocol", "metrics"], 2, "a name and a number");
    cx.no_children(node);
    let mut args = args(node);
    let name = match args.next() {
        Some(entry) => cx.string(entry, "the port name"),
        None => {
            cx.missing(node, "a name and a number", "write `port \"http\" 8080`");
            return None;
        }
    };
    if let Some(name) = &name
        && let Some(reason) = check::port_name(&name.value)
    {
        cx.diags.at(name.span, LowerError::InvalidPortName { name: name.value.clone(), reason, span: name.span });
    }
    let number = match args.next() {
        Some(entry) => cx.port(entry, "the port number", PORT),
        None => {
            cx.missing(node, "a port number", "write `port \"http\" 8080`");
            None
        }
    };
    let service_port = prop(node, "service-port").and_then(|entry| cx.port(entry, "`service-port`", PORT));
    let protocol = match prop(node, "protocol").and_then(|entry| cx.string(entry, "`protocol`")) {
        Some(written) => {
            let choice = cx.choice(&written, "protocol", &["http", "grpc", "tcp", "udp"]);
            let protocol = match choice {
                Some("grpc") => PortProtocol::Grpc,
                Some("tcp") => PortProtocol::Tcp,
                Some("udp") => PortProtocol::Udp,
                _ => PortProtocol::Http,
            };
            Spanned::new(protocol, written.span)
        }
        // The default protocol is implied by the `port` node itself.
        None => Spanned::new(PortProtocol::Http, cx.span(node.name().span())),
    };
    let metrics = prop(node, "metrics").and_then(|entry| cx.boolean(entry, "`metrics`")).is_some_and(|m| m.value);
    Some(Port { name: name?, container_port: number?, service_port, protocol, metrics, span: cx.span_of(node) })
}

pub(super) fn expose(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<Expose> {
    cx.shape(node, &["port", "host", "internal"], 1, "the URL path");
    cx.no_children(node);
    let path = match args(node).next() {
        Some(entry) => cx.string(entry, "the exposed path"),
        None => {
            cx.missing(node, "a URL path", "write `expose \"/api\"`");
            None
        }
    };
    if let Some(path) = &path
        && !path.value.starts_with('/')
    {
        cx.invalid_value(
            path.span,
            "exposed path",
            &path.value,
            "does not start with `/`",
            "write an absolute URL path such as `/api/orders`",
        );
    }
    let port = cx.string_prop(node, "port");
    let host = cx.string_prop(node, "host");
    if let Some(host) = &host {
        let name = host.value.strip_prefix("*.").unwrap_or(&host.value);
        if !is_host_name(name) {
            cx.invalid_value(
                host.span,
                "exposed host",
                &host.value,
                "not a DNS name",
                "write a host name such as `shop.example.com` or a wildcard such as `*.example.com`",
            );
        }
    }
    let internal = prop(node, "internal").and_then(|entry| cx.boolean(entry, "`internal`")).is_some_and(|b| b.value);
    Some(Expose { path: path?, port, host, internal, span: cx.span_of(node) })
}

pub(super) fn resources(cx: &mut Ctx<'_>, node: &KdlNode) -> Resources {
    let props = ["cpu", "memory", "cpu-limit", "memory-limit", "ephemeral-storage", "ephemeral-storage-limit"];
    cx.shape(node, &props, 0, "only properties");
    cx.no_children(node);
    let resources = Resources {
        cpu: prop(node, "cpu").and_then(|entry| cx.quantity(entry, "`cpu`", Quantity::Cpu)),
        memory: prop(node, "memory").and_then(|entry| cx.quantity(entry, "`memory`", Quantity::Memory)),
        cpu_limit: prop(node, "cpu-limit").and_then(|entry| cx.quantity(entry, "`cpu-limit`", Quantity::Cpu)),
        memory_limit: prop(node, "memory-limit")
            .and_then(|entry| cx.quantity(entry, "`memory-limit`", Quantity::Memory)),
        ephemeral_storage: prop(node, "ephemeral-storage")
            .and_then(|entry| cx.quantity(entry, "`ephemeral-storage`", Quantity::Memory)),
        ephemeral_storage_limit: prop(node, "ephemeral-storage-limit")
            .and_then(|entry| cx.quantity(entry, "`ephemeral-storage-limit`", Quantity::Memory)),
        span: Some(cx.span_of(node)),
    };
    for (what, value) in [
        ("`memory`", &resources.memory),
        ("`memory-limit`", &resources.memory_limit),
        ("`cpu-limit`", &resources.cpu_limit),
        ("`ephemeral-storage`", &resources.ephemeral_storage),
        ("`ephemeral-storage-limit`", &resources.ephemeral_storage_limit),
    ] {
        if let Some(value) = value
            && check::quantity_value(&value.value) == Some(0.0)
        {
            cx.invalid_value(value.span, what, &value.value, "zero", "give a positive amount, or leave it out");
        }
    }
    for (what, request, limit) in [
        ("cpu", &resources.cpu, &resources.cpu_limit),
        ("memory", &resources.memory, &resources.memory_limit),
        ("ephemeral-storage", &resources.ephemeral_storage, &resources.ephemeral_storage_limit),
    ] {
        if let (Some(request), Some(limit)) = (request, limit)
            && let (Some(low), Some(high)) =
                (check::quantity_value(&limit.value), check::quantity_value(&request.value))
            && low < high
        {
            let reason = format!("below the `{what}` request `{}`", request.value);
            cx.invalid_value(
                limit.span,
                &format!("`{what}-limit`"),
                &limit.value,
                &reason,
                "a limit must be at least the request: raise the limit or lower the request",
            );
        }
    }
    resources
}

pub(super) fn scale(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<Scale> {
    cx.shape(node, &["min", "max", "cpu-percent"], 0, "only `min=`, `max=` and `cpu-percent=`");
    cx.no_children(node);
    let min = match prop(node, "min") {
        Some(entry) => cx.integer(entry, "`min`", SCALE.0, SCALE.1),
        None => {
            cx.missing(node, "`min`", "write `scale min=2 max=10`");
            None
        }
    };
    let max = match prop(node, "max") {
        Some(entry) => cx.integer(entry, "`max`", SCALE.0, SCALE.1),
        None => {
            cx.missing(node, "`max`", "write `scale min=2 max=10`");
            None
        }
    };
    let cpu_percent = prop(node, "cpu-percent").and_then(|entry| cx.integer(entry, "`cpu-percent`", 1, 100));
    let (min, max) = (min?, max?);
    if max.value < min.value {
        cx.diags.at(
            max.span,
            LowerError::OutOfRange {
                what: "`max`".to_owned(),
                value: max.value.to_string(),
                range: format!("{} to {}", min.value, SCALE.1),
                span: max.span,
                help: "make `max` at least `min`".to_owned(),
            },
        );
    }
    Some(Scale { min, max, cpu_percent, span: cx.span_of(node) })
}

pub(super) fn config(cx: &mut Ctx<'_>, node: &KdlNode, config: &mut IndexMap<String, Spanned<String>>, parent: &str) {
    cx.extra_args(node, 0, "write `config KEY=\"value\"`");
    cx.no_children(node);
    if node.entries().is_empty() {
        cx.missing(node, "at least one `KEY=value`", "write `config KEY=\"value\"`");
    }
    for entry in node.entries() {
        let Some(key) = entry.name() else { continue };
        let span = cx.span(entry.span());
        if !check::is_env_name(key.value()) {
            cx.invalid_value(span, "config key", key.value(), "not an environment variable name", ENV_NAME_HELP);
        }
        let value = match entry.value() {
            KdlValue::String(text) => text.clone(),
            KdlValue::Integer(number) => number.to_string(),
            KdlValue::Bool(flag) => flag.to_string(),
            KdlValue::Float(_) => entry.value().to_string(),
            KdlValue::Null => {
                let what = format!("config `{}`", key.value());
                cx.wrong_type(span, &what, "a string", entry.value(), "write `KEY=\"value\"`");
                continue;
            }
        };
        if let Some(first) = config.get(key.value()) {
            let first = first.span;
            cx.duplicate_setting(key.value(), parent, span, first);
            continue;
        }
        config.insert(key.value().to_owned(), Spanned::new(value, span));
    }
}

pub(super) fn secret(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<SecretRef> {
    cx.shape(node, &["key", "property"], 1, "the environment variable name");
    cx.no_children(node);
    let env = match args(node).next() {
        Some(entry) => cx.string(entry, "the environment variable name"),
        None => {
            cx.missing(node, "an environment variable name", "write `secret \"NAME\" key=\"path/in/store\"`");
            None
        }
    };
    if let Some(env) = &env
        && !check::is_env_name(&env.value)
    {
        cx.invalid_value(
            env.span,
            "secret variable name",
            &env.value,
            "not an environment variable name",
            ENV_NAME_HELP,
        );
    }
    let key = cx.required_string_prop(node, "key", "write `key=\"path/in/store\"`: a reference, never the value");
    if let Some(key) = &key
        && key.value.trim().is_empty()
    {
        cx.invalid_value(
            key.span,
            "secret `key`",
            &key.value,
            "empty",
            "write the path of the secret in the store, such as `key=\"shop/api/token\"`",
        );
    }
    let property = cx.string_prop(node, "property");
    Some(SecretRef { env: env?, key: key?, property, span: cx.span_of(node) })
}

pub(super) fn uses(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<Use> {
    cx.shape(node, &["as", "prefix", "env", "port"], 1, "the name it uses");
    let derived = vars::derived_env(cx, node);
    let env = cx.string_prop(node, "env");
    if let Some(env) = &env
        && !check::is_env_name(&env.value)
    {
        cx.invalid_value(
            env.span,
            "variable name",
            &env.value,
            "not an environment variable name",
            "use letters, digits and `_`, not starting with a digit, such as `CART_ADDR`",
        );
    }
    let port = cx.string_prop(node, "port");
    let Some(entry) = args(node).next() else {
        cx.missing(node, "a name", "write `uses \"<name>\"` or `uses \"<domain>/<name>\"`");
        return None;
    };
    let reference = cx.string(entry, "the `uses` target")?;
    let role = cx.string_prop(node, "as");
    if let Some(role) = &role {
        cx.choice(role, "role", &["producer", "consumer"]);
    }
    let prefix = cx.string_prop(node, "prefix");
    if let Some(prefix) = &prefix
        && !check::is_env_name(&prefix.value)
    {
        cx.invalid_value(
            prefix.span,
            "variable prefix",
            &prefix.value,
            "not the start of an environment variable name",
            "use letters, digits and `_`, not starting with a digit, such as `ARCHIVE_`",
        );
    }
    let parts: Vec<&str> = reference.value.split('/').collect();
    let (domain, name) = match parts.as_slice() {
        [name] if !name.is_empty() => (None, (*name).to_owned()),
        [domain, name] if !domain.is_empty() && !name.is_empty() => (Some((*domain).to_owned()), (*name).to_owned()),
        _ => {
            cx.invalid_value(
                reference.span,
                "`uses` target",
                &reference.value,
                "not `<name>` or `<domain>/<name>`",
                "write `uses \"orders-db\"` or `uses \"payment/payment-api\"`",
            );
            return None;
        }
    };
    Some(Use { domain, name, span: reference.span, role, prefix, env, port, derived })
}

/// `egress "api.stripe.com" port=443 cidr="203.0.113.0/24"`.
pub(super) fn egress(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<Egress> {
    cx.shape(node, &["port", "cidr"], 1, "the host name");
    cx.no_children(node);
    let Some(entry) = args(node).next() else {
        cx.missing(node, "a host name", "write `egress \"api.example.com\" port=443`");
        return None;
    };
    let host = cx.string(entry, "the egress host")?;
    if !is_host_name(&host.value) {
        cx.invalid_value(
            host.span,
            "egress host",
            &host.value,
            "not a DNS host name",
            "write a host name such as `api.stripe.com`",
        );
    }
    let Some(port) = prop(node, "port").and_then(|entry| cx.port(entry, "`port`", PORT)) else {
        if prop(node, "port").is_none() {
            cx.missing(node, "a port", "write `egress \"<host>\" port=443`");
        }
        return None;
    };
    let cidr = cx.string_prop(node, "cidr");
    if let Some(cidr) = &cidr
        && !is_cidr(&cidr.value)
    {
        cx.invalid_value(
            cidr.span,
            "egress cidr",
            &cidr.value,
            "not an address range",
            "write an address and a prefix length, such as `203.0.113.0/24`",
        );
    }
    Some(Egress { host, port, cidr, span: cx.span_of(node) })
}

/// What an environment variable name may be (the API server's rule for `env` names, which
/// also makes every config key a valid ConfigMap key).
const ENV_NAME_HELP: &str = "use ASCII letters, digits and `_`, not starting with a digit, such as `LOG_LEVEL`";

/// `/` would make the read-only root writable again, `/tmp` is always mounted, and a
/// path mounted twice is refused by the API server.
fn writable_path(cx: &mut Ctx<'_>, path: &Spanned<String>, earlier: &[Spanned<String>]) {
    let trimmed = path.value.trim_end_matches('/');
    let reason = if trimmed.is_empty() {
        "the whole root filesystem"
    } else if trimmed == "/tmp" {
        "always writable already"
    } else if earlier.iter().any(|e| e.value.trim_end_matches('/') == trimmed) {
        "listed twice"
    } else {
        return;
    };
    cx.invalid_value(
        path.span,
        "`writable` path",
        &path.value,
        reason,
        "name a folder the program writes to, such as `/var/cache/app`; `/tmp` is writable without it",
    );
}

pub(super) fn absolute_path(cx: &mut Ctx<'_>, path: &Spanned<String>, what: &str) {
    if !path.value.starts_with('/') || path.value.split('/').any(|part| part == "..") {
        cx.invalid_value(
            path.span,
            what,
            &path.value,
            "not an absolute path",
            "write an absolute path without `..`, such as `/var/cache/app`",
        );
    }
}
