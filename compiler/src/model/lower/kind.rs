//! Lowering `backing-kind`: properties, bindings and realisations.

use super::values::{Ctx, Names, Once, Quantity, args, children, prop};
use crate::diag::{Otherwise, Spanned, did_you_mean};
use crate::model::bounds::{PORT, PortNumber};
use crate::model::check;
use crate::model::errors::LowerError;
use crate::model::kind_types::*;
use crate::model::types::*;
use indexmap::IndexMap;
use kdl::{KdlEntry, KdlNode};

/// Children of `backing-kind`.
const KIND: &[&str] = &["description", "stateful", "port", "property", "binding", "realise"];

/// Children of `realise`.
const REALISE: &[&str] = &[
    "requires",
    "bind",
    "pods",
    "operator-namespace",
    "api-server",
    "port",
    "object",
    "accepts",
    "unsupported",
    "pod-size",
    "monitor",
];

pub(super) fn backing_kind(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<BackingKind> {
    cx.shape(node, &[], 1, "the kind name");
    let name = cx.name_arg(node, "backing-kind", true);
    let mut description = None;
    let mut stateful = false;
    let mut port = None;
    let mut properties: Vec<KindProperty> = Vec::new();
    let mut binding = Vec::new();
    let mut realisations = Vec::new();
    let mut property_names = Names::default();
    let mut once = Once::default();
    for child in children(node) {
        let key = child.name().value();
        match key {
            "description" => {
                if cx.once(&mut once, child, key, "backing-kind") {
                    description = cx.single_string(child);
                }
            }
            "stateful" => {
                if cx.once(&mut once, child, key, "backing-kind") {
                    stateful = cx.single_bool(child).is_some_and(|value| value.value);
                }
            }
            "port" => {
                if cx.once(&mut once, child, key, "backing-kind") {
                    port = cx.single_port(child, PORT);
                }
            }
            "property" => {
                if let Some(property) = kind_property(cx, child)
                    && cx.unique(&mut property_names, "property", &property.name, "", "declare each property once")
                {
                    properties.push(property);
                }
            }
            "binding" => {
                if cx.once(&mut once, child, key, "backing-kind") {
                    binding = self::binding(cx, child);
                }
            }
            "realise" => realisations.extend(realisation(cx, child)),
            _ => {
                let help = did_you_mean(key, KIND, Otherwise::Vocabulary);
                cx.unknown_node(child, "in `backing-kind`", help);
            }
        }
    }
    Some(BackingKind {
        name: name?,
        description,
        stateful,
        port,
        properties,
        binding,
        realisations,
        span: cx.span_of(node),
    })
}

/// `binding { env "PGHOST" key="host"; env "DATABASE_URL" value="..." }`.
pub(super) fn binding(cx: &mut Ctx<'_>, node: &KdlNode) -> Vec<BindingEnv> {
    cx.shape(node, &[], 0, "nothing");
    let mut out: Vec<BindingEnv> = Vec::new();
    let mut names = Names::default();
    for child in children(node) {
        if child.name().value() != "env" {
            cx.unknown_node(
                child,
                "in `binding`",
                "a `binding` block holds `env \"<NAME>\" key=\"<key>\"` or `value=\"...\"` nodes".to_owned(),
            );
            continue;
        }
        cx.shape(child, &["key", "value"], 1, "the variable name");
        cx.no_children(child);
        let Some(name) = args(child).next().and_then(|entry| cx.string(entry, "the variable name")) else {
            cx.missing(child, "a variable name", "write `env \"PGHOST\" key=\"host\"`");
            continue;
        };
        if !check::is_env_name(&name.value) {
            cx.invalid_value(
                name.span,
                "variable name",
                &name.value,
                "not an environment variable name",
                "use letters, digits and `_`, not starting with a digit, such as `PGHOST`",
            );
        }
        let key = cx.string_prop(child, "key");
        let value = cx.string_prop(child, "value");
        let source = match (key, value) {
            (Some(key), None) => BindingEnvSource::Key(key),
            (None, Some(value)) => BindingEnvSource::Value(value),
            _ => {
                cx.missing(
                    child,
                    "either `key=` or `value=`",
                    "write `key=\"host\"` (provided by every realisation) or `value=\"...\"` (a literal)",
                );
                continue;
            }
        };
        if cx.unique(&mut names, "binding variable", &name, "", "list each variable once") {
            out.push(BindingEnv { name, source, span: cx.span_of(child) });
        }
    }
    out
}

/// `realise "managed" cloud="eks" { requires ...; bind ...; pods ...; object ... }`.
pub(super) fn realisation(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<Realisation> {
    cx.shape(node, &["cloud", "when"], 1, "`in-cluster` or `managed`");
    let mode = args(node).next().and_then(|entry| cx.string(entry, "the realisation mode"));
    let mode = match mode {
        Some(mode) => {
            let choice = cx.choice(&mode, "realisation mode", &["in-cluster", "managed"])?;
            let value = if choice == "managed" { RealisationMode::Managed } else { RealisationMode::InCluster };
            Spanned::new(value, mode.span)
        }
        None => {
            cx.missing(node, "a mode", "write `realise \"in-cluster\"` or `realise \"managed\" cloud=\"<profile>\"`");
            return None;
        }
    };
    let cloud = cx.string_prop(node, "cloud");
    let when = cx.string_prop(node, "when");
    let mut realisation = Realisation {
        mode,
        cloud,
        when,
        requires: Vec::new(),
        param_formats: Vec::new(),
        binds: Vec::new(),
        pods: IndexMap::new(),
        operator_namespace: None,
        api_server: false,
        port: None,
        objects: Vec::new(),
        accepts: Vec::new(),
        accepts_params: Vec::new(),
        unsupported: IndexMap::new(),
        unsupported_when: IndexMap::new(),
        pod_sizes: Vec::new(),
        monitor: None,
        span: cx.span_of(node),
    };
    let mut once = Once::default();
    let mut bound = Names::default();
    let mut accepted = Names::default();
    let mut accepted_params = Names::default();
    let mut unsupported = Names::default();
    for child in children(node) {
        let key = child.name().value();
        match key {
            "requires" => requires(cx, child, &mut realisation),
            "bind" => {
                if let Some(bind) = bind(cx, child)
                    && cx.unique(&mut bound, "binding key", &bind.key, "", "bind each key once")
                {
                    realisation.binds.push(bind);
                }
            }
            "pods" => {
                cx.shape(child, &[], 2, "a label name and a value");
                cx.no_children(child);
                let entries: Vec<&KdlEntry> = args(child).collect();
                match (entries.first(), entries.get(1)) {
                    (Some(name), Some(value)) => {
                        if let (Some(name), Some(value)) =
                            (cx.string(name, "the label name"), cx.string(value, "the label value"))
                        {
                            realisation.pods.insert(name.value, value);
                        }
                    }
                    _ => cx.missing(
                        child,
                        "a label name and a value",
                        "write `pods \"app.kubernetes.io/name\" \"{{ name }}\"`",
                    ),
                }
            }
            "operator-namespace" => {
                if cx.once(&mut once, child, key, "realise") {
                    realisation.operator_namespace = cx.single_string(child);
                }
            }
            "api-server" => {
                if cx.once(&mut once, child, key, "realise") {
                    realisation.api_server = cx.single_bool(child).is_some_and(|b| b.value);
                }
            }
            "object" => {
                cx.no_children(child);
                realisation.objects.extend(cx.single_string(child));
            }
            "accepts" | "accepts-param" => {
                let param = key == "accepts-param";
                let (names, what) = if param {
                    (&mut accepted_params, "`accepts-param` of param")
                } else {
                    (&mut accepted, "`accepts` of property")
                };
                if let Some(accepts) = accepts(cx, child, param)
                    && cx.unique(names, what, &accepts.property, "", "list all its values in one node")
                {
                    if param { realisation.accepts_params.push(accepts) } else { realisation.accepts.push(accepts) }
                }
            }
            "unsupported" => unsupported_node(cx, child, &mut unsupported, &mut realisation),
            "pod-size" => realisation.pod_sizes.extend(pod_size(cx, child)),
            "monitor" if cx.once(&mut once, child, key, "realise") => realisation.monitor = monitor(cx, child),
            "monitor" => {}
            "port" => {
                if cx.once(&mut once, child, key, "realise") {
                    realisation.port = cx.single_port(child, PORT);
                }
            }
            _ => {
                let help = did_you_mean(key, REALISE, Otherwise::Vocabulary);
                cx.unknown_node(child, "in `realise`", help);
            }
        }
    }
    Some(realisation)
}

/// `pod-size count="{{ props.replicas }}" cpu="..." memory="..."` (templates).
fn pod_size(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<PodSize> {
    cx.shape(node, &["count", "cpu", "memory"], 0, "only `count=`, `cpu=` and `memory=`");
    cx.no_children(node);
    let help = "write `pod-size count=\"{{ props.replicas }}\" cpu=\"{{ props.cpu }}\" memory=\"{{ props.memory }}\"`";
    let count = cx.required_string_prop(node, "count", help);
    let cpu = cx.required_string_prop(node, "cpu", help);
    let memory = cx.required_string_prop(node, "memory", help);
    Some(PodSize { count: count?, cpu: cpu?, memory: memory?, span: cx.span_of(node) })
}

/// `monitor port=9187 #"<template>"#`.
fn monitor(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<RealisationMonitor> {
    cx.shape(node, &["port"], 1, "the monitor template");
    cx.no_children(node);
    let help = "write the exporter's container port and the monitor's template: `monitor port=9187 #\"\"\"...\"\"\"#`";
    let template = match args(node).next() {
        Some(entry) => cx.string(entry, "the monitor template"),
        None => {
            cx.missing(node, "the monitor template", help);
            None
        }
    };
    let port = match prop(node, "port") {
        Some(entry) => cx.integer(entry, "`port`", PORT.0, PORT.1),
        None => {
            cx.missing(node, "`port`", help);
            None
        }
    };
    let port = port.and_then(|port| PortNumber::try_from(port.value).ok().map(|value| Spanned::new(value, port.span)));
    Some(RealisationMonitor { template: template?, port: port?, span: cx.span_of(node) })
}

/// One `unsupported` node of a `realise` block, recorded unless its property is listed already.
fn unsupported_node(cx: &mut Ctx<'_>, node: &KdlNode, seen: &mut Names, realisation: &mut Realisation) {
    if let Some((name, help)) = unsupported_property(cx, node)
        && cx.unique(seen, "`unsupported` property", &name, "", "list each property once")
    {
        if let Some(when) = cx.string_prop(node, "when") {
            realisation.unsupported_when.insert(name.value.clone(), when);
        }
        realisation.unsupported.insert(name.value, help);
    }
}

/// `unsupported "partitions" help="..."` (and an optional `when="{{ ... }}"`, read by the caller).
fn unsupported_property(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<(Spanned<String>, Spanned<String>)> {
    cx.shape(node, &["help", "when"], 1, "the property name");
    cx.no_children(node);
    let name = args(node).next().and_then(|entry| cx.string(entry, "the property name"));
    let help = cx.required_string_prop(
        node,
        "help",
        "write `help=\"<why it has no effect here, and what to write instead>\"`",
    );
    Some((name?, help?))
}

/// `accepts "version" "15" "16"`: strings, or integers for an integer property; an
/// `accepts` (not `accepts-param`) may say `help="..."`.
fn accepts(cx: &mut Ctx<'_>, node: &KdlNode, param: bool) -> Option<Accepts> {
    let allowed: &[&str] = if param { &[] } else { &["help"] };
    cx.shape(node, allowed, usize::MAX, "a property name and its values");
    let help = if param { None } else { cx.string_prop(node, "help") };
    cx.no_children(node);
    let mut entries = args(node);
    let property = entries.next().and_then(|entry| cx.string(entry, "the property name"));
    let values: Vec<String> = entries
        .filter_map(|entry| match cx.value(entry, "an accepted value")?.value {
            Value::String(text) => Some(text),
            Value::Integer(number) => Some(number.to_string()),
            Value::Float(_) | Value::Bool(_) => None,
        })
        .collect();
    if values.is_empty() {
        cx.missing(node, "a property name and at least one value", "write `accepts \"version\" \"15\" \"16\"`");
        return None;
    }
    Some(Accepts { property: property?, values, help, span: cx.span_of(node) })
}

/// `bind "host" secret="..." key="..."`, `config-map="..."` or `value="..."`.
pub(super) fn bind(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<Bind> {
    cx.shape(node, &["secret", "config-map", "key", "value"], 1, "the binding key");
    cx.no_children(node);
    let Some(key) = args(node).next().and_then(|entry| cx.string(entry, "the binding key")) else {
        cx.missing(node, "a binding key", "write `bind \"host\" secret=\"{{ name }}-app\"`");
        return None;
    };
    let secret = cx.string_prop(node, "secret");
    let config_map = cx.string_prop(node, "config-map");
    let value = cx.string_prop(node, "value");
    let inner = cx.string_prop(node, "key").map_or_else(|| key.value.clone(), |k| k.value);
    let source = match (secret, config_map, value) {
        (Some(name), None, None) => BindSource::Secret { name, key: inner },
        (None, Some(name), None) => BindSource::ConfigMap { name, key: inner },
        (None, None, Some(value)) => BindSource::Value(value),
        _ => {
            cx.missing(node, "exactly one of `secret=`, `config-map=` or `value=`", "write `secret=\"<name>\"` (with `key=` when the Secret's key differs), `config-map=\"<name>\"` or `value=\"<literal>\"`");
            return None;
        }
    };
    Some(Bind { key, source, span: cx.span_of(node) })
}

/// `requires "param" ...`, optionally with the form the params must have.
fn requires(cx: &mut Ctx<'_>, node: &KdlNode, realisation: &mut Realisation) {
    cx.shape(node, &["pattern", "example"], usize::MAX, "param names");
    cx.no_children(node);
    let span = cx.span_of(node);
    let names: Vec<String> = args(node).filter_map(|entry| cx.string(entry, "`requires`").map(|s| s.value)).collect();
    if args(node).next().is_none() {
        cx.missing(node, "at least one param name", "write `requires \"<param>\" ...`");
        return;
    }
    let example = cx.string_prop(node, "example").map(|example| example.value);
    if let Some(pattern) = cx.string_prop(node, "pattern") {
        if let Err(error) = regex::Regex::new(&pattern.value) {
            let reason = error.to_string().lines().last().unwrap_or_default().trim().to_owned();
            cx.invalid_value(
                pattern.span,
                "`pattern`",
                &pattern.value,
                &reason,
                "write a regular expression (Rust `regex` syntax)",
            );
        } else {
            for name in &names {
                realisation.param_formats.push(ParamFormat {
                    param: name.clone(),
                    pattern: pattern.clone(),
                    example: example.clone(),
                });
            }
        }
    }
    realisation.requires.extend(names.into_iter().map(|name| Spanned::new(name, span)));
}

pub(super) fn kind_property(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<KindProperty> {
    cx.shape(node, &["type", "default", "required", "min", "max", "max-length"], 1, "the property name");
    cx.no_children(node);
    let name = cx.name_arg(node, "property", false);
    let ty = cx.required_string_prop(
        node,
        "type",
        "write `type=\"string\"` (or `integer`, `bool`, `quantity`, `file`, `identifier`)",
    );
    let ty = ty.and_then(|ty| {
        let choice =
            cx.choice(&ty, "property type", &["string", "integer", "bool", "quantity", "file", "identifier"])?;
        Some(match choice {
            "integer" => PropertyType::Integer,
            "bool" => PropertyType::Bool,
            "quantity" => PropertyType::Quantity,
            "file" => PropertyType::File,
            "identifier" => PropertyType::Identifier,
            _ => PropertyType::String,
        })
    });
    let default = prop(node, "default").and_then(|entry| cx.value(entry, "`default`"));
    if let (Some(ty), Some(default)) = (ty, &default) {
        check_kind_default(cx, ty, default);
    }
    let required = prop(node, "required").and_then(|entry| cx.boolean(entry, "`required`")).is_some_and(|r| r.value);
    let bound = |cx: &mut Ctx<'_>, key: &str| {
        prop(node, key).and_then(|entry| cx.integer(entry, &format!("`{key}`"), i64::MIN, i64::MAX)).map(|n| n.value)
    };
    let range = (bound(cx, "min"), bound(cx, "max"));
    if range != (None, None) && ty.is_some_and(|ty| ty != PropertyType::Integer) {
        let span = cx.span_of(node);
        cx.invalid_value(span, "`min`/`max`", "", "only integer properties have a range", "remove `min=` and `max=`");
    }
    let max_length = prop(node, "max-length").and_then(|entry| cx.integer(entry, "`max-length`", 1, IDENTIFIER_MAX));
    Some(KindProperty { name: name?, ty: ty?, default, required, range, max_length })
}

pub(super) fn check_kind_default(cx: &mut Ctx<'_>, ty: PropertyType, default: &Spanned<Value>) {
    let (expected, ok) = match (ty, &default.value) {
        (PropertyType::String | PropertyType::File | PropertyType::Identifier, value) => {
            ("a string", matches!(value, Value::String(_)))
        }
        (PropertyType::Integer, value) => ("an integer", matches!(value, Value::Integer(_))),
        (PropertyType::Bool, value) => ("a boolean", matches!(value, Value::Bool(_))),
        (PropertyType::Quantity, Value::String(text)) => {
            if !check::is_quantity(text) {
                cx.invalid_quantity("`default`", text, default.span, Quantity::Memory);
            }
            ("a quantity", true)
        }
        (PropertyType::Quantity, value) => ("a quantity", matches!(value, Value::Integer(_))),
    };
    if !ok {
        let found = match default.value {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a number with a fraction",
            Value::Bool(_) => "a boolean",
        };
        cx.diags.at(
            default.span,
            LowerError::WrongType {
                what: "`default`".to_owned(),
                expected,
                found,
                span: default.span,
                help: "make the default match the property's `type`".to_owned(),
            },
        );
    }
}
