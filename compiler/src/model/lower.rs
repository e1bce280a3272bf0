//! Lowering proper: one function per node kind, over a private context.
//!
//! Every problem is pushed and lowering goes on, so one run reports every error. A node
//! whose required name is missing is still walked for errors but not added to the spec.

use super::check;
use super::errors::LowerError;
use super::types::*;
use crate::diag::{Diagnostics, FileId, Span, Spanned};
use crate::syntax::Parsed;
use indexmap::IndexMap;
use kdl::{KdlDocument, KdlEntry, KdlNode, KdlValue};
use std::collections::BTreeMap;

/// Top-level nodes.
const TOP: &[&str] = &["platform", "target", "environment", "domain", "policy", "waive", "cloud", "backing-kind", "defaults"];
/// Workload settings nodes (top level of a workload and inside `in`).
const SETTINGS: &[&str] = &[
    "image", "command", "args", "port", "expose", "health", "resources", "replicas", "scale", "config", "secret", "uses",
    "writable", "enabled", "egress", "identity", "placement",
];
/// Cloud profile facts (in `target` and `cloud`).
const FACTS: &[&str] = &[
    "dns",
    "registry",
    "exposure",
    "ingress-class",
    "ingress-annotation",
    "storage-class",
    "fixed-uid",
    "dns-namespace",
    "dns-label",
    "dns-port",
    "ingress-namespace",
    "ingress-label",
    "monitoring-namespace",
    "monitoring-label",
    "cni",
    "ingress-cidr",
    "managed-cidr",
    "api-server-cidr",
    "dns-cidr",
    "gateway",
    "internal-gateway",
    "internal-ingress-class",
    "internal-ingress-annotation",
    "identity-annotation",
    "identity-label",
    "param",
    "backing-managed",
];
/// Children of `backing-kind`.
const KIND: &[&str] = &["description", "stateful", "port", "property", "binding", "realise"];
/// Children of `realise`.
const REALISE: &[&str] = &["requires", "bind", "pods", "operator-namespace", "api-server", "port", "object"];
/// Extra nodes of `defaults`.
const DEFAULTS: &[&str] = &["kubernetes", "run-as-user", "tmp-size", "quota", "probe"];
/// Domain children other than backing services.
const DOMAIN: &[&str] = &["service", "worker", "job", "quota"];

/// Lower `parsed` into a [`Spec`].
pub(crate) fn lower(diags: &mut Diagnostics, parsed: &Parsed) -> Spec {
    let mut ctx = Ctx { diags, file: parsed.file };
    ctx.document(&parsed.document)
}

struct Ctx<'a> {
    diags: &'a mut Diagnostics,
    file: FileId,
}

/// What kind of quantity a value is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Quantity {
    Cpu,
    Memory,
}

/// Names already defined in one scope, with where.
#[derive(Default)]
struct Names(BTreeMap<String, Span>);

/// Settings already set once in one block, with where.
#[derive(Default)]
struct Once(BTreeMap<String, Span>);

impl Ctx<'_> {
    // ---------------------------------------------------------------- top level

    fn document(&mut self, document: &KdlDocument) -> Spec {
        let mut spec = Spec::default();
        let mut once = Once::default();
        let (mut targets, mut environments, mut domains, mut policies, mut clouds, mut kinds) =
            (Names::default(), Names::default(), Names::default(), Names::default(), Names::default(), Names::default());
        for node in document.nodes() {
            match node.name().value() {
                "platform" => {
                    if self.once(&mut once, node, "platform", "the file") {
                        spec.platform = self.platform(node);
                    }
                }
                "target" => {
                    if let Some(target) = self.target(node)
                        && self.unique(&mut targets, "target", &target.name, "", "rename one of the targets") {
                            spec.targets.push(target);
                        }
                }
                "environment" => {
                    if let Some(environment) = self.environment(node)
                        && self.unique(&mut environments, "environment", &environment.name, "", "rename one of them") {
                            spec.environments.push(environment);
                        }
                }
                "domain" => {
                    if let Some(domain) = self.domain(node)
                        && self.unique(&mut domains, "domain", &domain.name, "", "merge the two domain blocks into one") {
                            spec.domains.push(domain);
                        }
                }
                "policy" => {
                    if let Some(policy) = self.policy(node)
                        && self.unique(&mut policies, "policy", &policy.id, "", "give each policy its own id") {
                            spec.policies.push(policy);
                        }
                }
                "waive" => spec.waivers.extend(self.waiver(node)),
                "cloud" => {
                    if let Some(cloud) = self.cloud(node)
                        && self.unique(&mut clouds, "cloud profile", &cloud.name, "", "rename one of them") {
                            spec.clouds.push(cloud);
                        }
                }
                "backing-kind" => {
                    if let Some(kind) = self.backing_kind(node)
                        && self.unique(&mut kinds, "backing kind", &kind.name, "", "rename one of them") {
                            spec.backing_kinds.push(kind);
                        }
                }
                "defaults" => {
                    if self.once(&mut once, node, "defaults", "the file") {
                        spec.defaults = Some(self.defaults(node));
                    } else {
                        self.defaults(node);
                    }
                }
                name if matches!(name, "service" | "worker" | "job" | "quota") => {
                    let help = format!("move `{name}` into a `domain \"<name>\" {{ ... }}` block");
                    self.unknown_node(node, "at the top level", help);
                }
                name => {
                    let help = check::suggestion(name, TOP);
                    self.unknown_node(node, "at the top level", help);
                }
            }
        }
        spec
    }

    fn platform(&mut self, node: &KdlNode) -> Option<Platform> {
        self.shape(node, &[], 1, "the platform name");
        let name = self.name_arg(node, "platform", true);
        let mut registry = None;
        let mut kubernetes = None;
        let mut secret_store = None;
        let mut policies = None;
        let mut once = Once::default();
        for child in children(node) {
            let key = child.name().value();
            let slot = match key {
                "registry" => &mut registry,
                "kubernetes" => &mut kubernetes,
                "secret-store" => &mut secret_store,
                "policies" => {
                    if self.once(&mut once, child, key, "platform") {
                        self.shape(child, &[], usize::MAX, "pack names");
                        self.no_children(child);
                        policies = Some(args(child).filter_map(|entry| self.string(entry, "a policy pack name")).collect());
                    }
                    continue;
                }
                _ => {
                    let help = check::suggestion(key, &["registry", "kubernetes", "secret-store", "policies"]);
                    self.unknown_node(child, "in `platform`", help);
                    continue;
                }
            };
            if self.once(&mut once, child, key, "platform") {
                *slot = self.single_string(child);
            }
        }
        if let Some(version) = &kubernetes {
            self.kubernetes_version(version);
        }
        Some(Platform { name: name?, registry, kubernetes, secret_store, policies, span: self.span_of(node) })
    }

    fn kubernetes_version(&mut self, version: &Spanned<String>) {
        let minor = version.value.strip_prefix("1.").and_then(|minor| minor.parse::<u32>().ok());
        if !minor.is_some_and(|minor| (30..=37).contains(&minor)) {
            self.diags.at(
                version.span,
                LowerError::InvalidValue {
                    what: "Kubernetes version".to_owned(),
                    value: version.value.clone(),
                    reason: "not a supported version".to_owned(),
                    span: version.span,
                    help: "write a version from `1.30` to `1.37`, such as `\"1.33\"`".to_owned(),
                },
            );
        }
    }

    fn target(&mut self, node: &KdlNode) -> Option<Target> {
        self.shape(node, &["cloud", "region"], 1, "the target name");
        let name = self.name_arg(node, "target", true);
        let cloud = self.required_string_prop(node, "cloud", "write `cloud=\"eks\"` (or `gke`, `aks`, `openshift`, `onprem`)");
        let region = self.string_prop(node, "region");
        let mut facts = ProfileFacts::default();
        let mut once = Once::default();
        for child in children(node) {
            if !self.fact(child, &mut facts, &mut once, "target") {
                let help = check::suggestion(child.name().value(), FACTS);
                self.unknown_node(child, "in `target`", help);
            }
        }
        Some(Target { name: name?, cloud: cloud?, region, facts, span: self.span_of(node) })
    }

    /// Lower `child` if it is a profile fact; `false` if it is not one.
    fn fact(&mut self, child: &KdlNode, facts: &mut ProfileFacts, once: &mut Once, parent: &str) -> bool {
        let key = child.name().value();
        match key {
            "dns" | "registry" | "ingress-class" | "storage-class" | "exposure" | "dns-namespace" | "ingress-namespace"
            | "monitoring-namespace" | "cni" | "internal-ingress-class" => {
                if self.once(once, child, key, parent) {
                    let value = self.single_string(child);
                    if key == "exposure"
                        && let Some(value) = &value {
                            self.choice(value, "exposure", &["ingress", "route", "gateway"]);
                        }
                    if key == "cni"
                        && let Some(value) = &value {
                            self.choice(value, "cni", &["cilium", "calico", "ovn-kubernetes", "vpc-cni", "azure"]);
                        }
                    let slot = match key {
                        "dns" => &mut facts.dns,
                        "registry" => &mut facts.registry,
                        "ingress-class" => &mut facts.ingress_class,
                        "storage-class" => &mut facts.storage_class,
                        "dns-namespace" => &mut facts.dns_namespace,
                        "ingress-namespace" => &mut facts.ingress_namespace,
                        "monitoring-namespace" => &mut facts.monitoring_namespace,
                        "cni" => &mut facts.cni,
                        "internal-ingress-class" => &mut facts.internal_ingress_class,
                        _ => &mut facts.exposure,
                    };
                    *slot = value;
                }
            }
            "fixed-uid" => {
                if self.once(once, child, key, parent) {
                    facts.fixed_uid = self.single_bool(child);
                }
            }
            "backing-managed" => {
                if self.once(once, child, key, parent) {
                    facts.backing_managed = self.single_bool(child);
                }
            }
            "ingress-cidr" | "managed-cidr" | "api-server-cidr" | "dns-cidr" => {
                if let Some(cidr) = self.single_string(child) {
                    if is_cidr(&cidr.value) {
                        let list = match key {
                            "ingress-cidr" => &mut facts.ingress_cidrs,
                            "managed-cidr" => &mut facts.managed_cidrs,
                            "dns-cidr" => &mut facts.dns_cidrs,
                            _ => &mut facts.api_server_cidrs,
                        };
                        list.push(cidr);
                    } else {
                        self.invalid_value(cidr.span, key, &cidr.value, "not an address range", "write an address and a prefix length, such as `10.0.0.0/16`");
                    }
                }
            }
            "gateway" | "internal-gateway" => {
                if self.once(once, child, key, parent) {
                    let gateway = self.gateway(child);
                    if key == "gateway" {
                        facts.gateway = gateway;
                    } else {
                        facts.internal_gateway = gateway;
                    }
                }
            }
            "dns-port" => {
                if self.once(once, child, key, parent) {
                    facts.dns_port = self.single_integer(child, 1, 65535);
                }
            }
            "ingress-annotation" | "dns-label" | "ingress-label" | "monitoring-label" | "identity-annotation"
            | "identity-label" | "param" | "internal-ingress-annotation" => {
                let (what, map) = match key {
                    "dns-label" => ("label", &mut facts.dns_labels),
                    "ingress-label" => ("label", &mut facts.ingress_labels),
                    "monitoring-label" => ("label", &mut facts.monitoring_labels),
                    "identity-annotation" => ("annotation", &mut facts.identity_annotations),
                    "identity-label" => ("label", &mut facts.identity_labels),
                    "param" => ("param", &mut facts.params),
                    "internal-ingress-annotation" => ("annotation", &mut facts.internal_ingress_annotations),
                    _ => ("annotation", &mut facts.ingress_annotations),
                };
                self.shape(child, &[], 2, &format!("an {what} name and a value"));
                let args: Vec<&KdlEntry> = args(child).collect();
                match (args.first(), args.get(1)) {
                    (Some(name), Some(value)) => {
                        let name = self.string(name, &format!("the {what} name"));
                        let value = self.string(value, &format!("the {what} value"));
                        if let (Some(name), Some(value)) = (name, value) {
                            if let Some(first) = map.get(&name.value) {
                                let first = first.span;
                                self.duplicate_setting(&name.value, parent, name.span, first);
                            } else {
                                map.insert(name.value, value);
                            }
                        }
                    }
                    _ => self.missing(
                        child,
                        &format!("an {what} name and a value"),
                        &format!("write `{key} \"<name>\" \"<value>\"`"),
                    ),
                }
            }
            _ => return false,
        }
        true
    }

    /// `gateway "public" namespace="gateway-system" section="https"`.
    fn gateway(&mut self, node: &KdlNode) -> Option<GatewayRef> {
        self.shape(node, &["namespace", "section"], 1, "the Gateway name");
        self.no_children(node);
        let name = self.name_arg(node, "gateway", true);
        let namespace = self.required_string_prop(node, "namespace", "write `gateway \"<name>\" namespace=\"<namespace>\"`");
        let section = self.string_prop(node, "section");
        Some(GatewayRef { name: name?, namespace: namespace?, section, span: self.span_of(node) })
    }

    fn cloud(&mut self, node: &KdlNode) -> Option<CloudProfile> {
        self.shape(node, &[], 1, "the cloud profile name");
        let name = self.name_arg(node, "cloud", true);
        let mut description = None;
        let mut facts = ProfileFacts::default();
        let mut once = Once::default();
        for child in children(node) {
            if child.name().value() == "description" {
                if self.once(&mut once, child, "description", "cloud") {
                    description = self.single_string(child);
                }
            } else if !self.fact(child, &mut facts, &mut once, "cloud") {
                let mut allowed = FACTS.to_vec();
                allowed.push("description");
                let help = check::suggestion(child.name().value(), &allowed);
                self.unknown_node(child, "in `cloud`", help);
            }
        }
        Some(CloudProfile { name: name?, description, facts, span: self.span_of(node) })
    }

    fn backing_kind(&mut self, node: &KdlNode) -> Option<BackingKind> {
        self.shape(node, &[], 1, "the kind name");
        let name = self.name_arg(node, "backing-kind", true);
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
                    if self.once(&mut once, child, key, "backing-kind") {
                        description = self.single_string(child);
                    }
                }
                "stateful" => {
                    if self.once(&mut once, child, key, "backing-kind") {
                        stateful = self.single_bool(child).is_some_and(|value| value.value);
                    }
                }
                "port" => {
                    if self.once(&mut once, child, key, "backing-kind") {
                        port = self.single_integer(child, 1, 65535).and_then(|port| {
                            u16::try_from(port.value).ok().map(|value| Spanned::new(value, port.span))
                        });
                    }
                }
                "property" => {
                    if let Some(property) = self.kind_property(child)
                        && self.unique(&mut property_names, "property", &property.name, "", "declare each property once") {
                            properties.push(property);
                        }
                }
                "binding" => {
                    if self.once(&mut once, child, key, "backing-kind") {
                        binding = self.binding(child);
                    }
                }
                "realise" => realisations.extend(self.realisation(child)),
                _ => {
                    let help = check::suggestion(key, KIND);
                    self.unknown_node(child, "in `backing-kind`", help);
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
            span: self.span_of(node),
        })
    }

    /// `binding { env "PGHOST" key="host"; env "DATABASE_URL" value="..." }`.
    fn binding(&mut self, node: &KdlNode) -> Vec<BindingEnv> {
        self.shape(node, &[], 0, "nothing");
        let mut out: Vec<BindingEnv> = Vec::new();
        let mut names = Names::default();
        for child in children(node) {
            if child.name().value() != "env" {
                self.unknown_node(child, "in `binding`", "a `binding` block holds `env \"<NAME>\" key=\"<key>\"` or `value=\"...\"` nodes".to_owned());
                continue;
            }
            self.shape(child, &["key", "value"], 1, "the variable name");
            self.no_children(child);
            let Some(name) = args(child).next().and_then(|entry| self.string(entry, "the variable name")) else {
                self.missing(child, "a variable name", "write `env \"PGHOST\" key=\"host\"`");
                continue;
            };
            if !check::is_env_name(&name.value) {
                self.invalid_value(name.span, "variable name", &name.value, "not an environment variable name", "use letters, digits and `_`, not starting with a digit, such as `PGHOST`");
            }
            let key = self.string_prop(child, "key");
            let value = self.string_prop(child, "value");
            let source = match (key, value) {
                (Some(key), None) => BindingEnvSource::Key(key),
                (None, Some(value)) => BindingEnvSource::Value(value),
                _ => {
                    self.missing(child, "either `key=` or `value=`", "write `key=\"host\"` (provided by every realisation) or `value=\"...\"` (a literal)");
                    continue;
                }
            };
            if self.unique(&mut names, "binding variable", &name, "", "list each variable once") {
                out.push(BindingEnv { name, source, span: self.span_of(child) });
            }
        }
        out
    }

    /// `realise "managed" cloud="eks" { requires ...; bind ...; pods ...; object ... }`.
    fn realisation(&mut self, node: &KdlNode) -> Option<Realisation> {
        self.shape(node, &["cloud"], 1, "`in-cluster` or `managed`");
        let mode = args(node).next().and_then(|entry| self.string(entry, "the realisation mode"));
        let mode = match mode {
            Some(mode) => {
                let choice = self.choice(&mode, "realisation mode", &["in-cluster", "managed"])?;
                let value = if choice == "managed" { RealisationMode::Managed } else { RealisationMode::InCluster };
                Spanned::new(value, mode.span)
            }
            None => {
                self.missing(node, "a mode", "write `realise \"in-cluster\"` or `realise \"managed\" cloud=\"eks\"`");
                return None;
            }
        };
        let cloud = self.string_prop(node, "cloud");
        let mut realisation = Realisation {
            mode,
            cloud,
            requires: Vec::new(),
            binds: Vec::new(),
            pods: IndexMap::new(),
            operator_namespace: None,
            api_server: false,
            port: None,
            objects: Vec::new(),
            span: self.span_of(node),
        };
        let mut once = Once::default();
        let mut bound = Names::default();
        for child in children(node) {
            let key = child.name().value();
            match key {
                "requires" => {
                    if let Some(values) = self.strings(child) {
                        let span = values.span;
                        realisation.requires.extend(values.value.into_iter().map(|v| Spanned::new(v, span)));
                    }
                }
                "bind" => {
                    if let Some(bind) = self.bind(child)
                        && self.unique(&mut bound, "binding key", &bind.key, "", "bind each key once") {
                            realisation.binds.push(bind);
                        }
                }
                "pods" => {
                    self.shape(child, &[], 2, "a label name and a value");
                    self.no_children(child);
                    let entries: Vec<&KdlEntry> = args(child).collect();
                    match (entries.first(), entries.get(1)) {
                        (Some(name), Some(value)) => {
                            if let (Some(name), Some(value)) = (self.string(name, "the label name"), self.string(value, "the label value")) {
                                realisation.pods.insert(name.value, value);
                            }
                        }
                        _ => self.missing(child, "a label name and a value", "write `pods \"app.kubernetes.io/name\" \"{{ name }}\"`"),
                    }
                }
                "operator-namespace" => {
                    if self.once(&mut once, child, key, "realise") {
                        realisation.operator_namespace = self.single_string(child);
                    }
                }
                "api-server" => {
                    if self.once(&mut once, child, key, "realise") {
                        realisation.api_server = self.single_bool(child).is_some_and(|b| b.value);
                    }
                }
                "object" => {
                    self.no_children(child);
                    realisation.objects.extend(self.single_string(child));
                }
                "port" => {
                    if self.once(&mut once, child, key, "realise") {
                        realisation.port = self.single_integer(child, 1, 65535).and_then(|port| {
                            u16::try_from(port.value).ok().map(|value| Spanned::new(value, port.span))
                        });
                    }
                }
                _ => {
                    let help = check::suggestion(key, REALISE);
                    self.unknown_node(child, "in `realise`", help);
                }
            }
        }
        Some(realisation)
    }

    /// `bind "host" secret="..." key="..."`, `config-map="..."` or `value="..."`.
    fn bind(&mut self, node: &KdlNode) -> Option<Bind> {
        self.shape(node, &["secret", "config-map", "key", "value"], 1, "the binding key");
        self.no_children(node);
        let Some(key) = args(node).next().and_then(|entry| self.string(entry, "the binding key")) else {
            self.missing(node, "a binding key", "write `bind \"host\" secret=\"{{ name }}-app\"`");
            return None;
        };
        let secret = self.string_prop(node, "secret");
        let config_map = self.string_prop(node, "config-map");
        let value = self.string_prop(node, "value");
        let inner = self.string_prop(node, "key").map_or_else(|| key.value.clone(), |k| k.value);
        let source = match (secret, config_map, value) {
            (Some(name), None, None) => BindSource::Secret { name, key: inner },
            (None, Some(name), None) => BindSource::ConfigMap { name, key: inner },
            (None, None, Some(value)) => BindSource::Value(value),
            _ => {
                self.missing(node, "exactly one of `secret=`, `config-map=` or `value=`", "write `secret=\"<name>\"` (with `key=` when the Secret's key differs), `config-map=\"<name>\"` or `value=\"<literal>\"`");
                return None;
            }
        };
        Some(Bind { key, source, span: self.span_of(node) })
    }

    fn kind_property(&mut self, node: &KdlNode) -> Option<KindProperty> {
        self.shape(node, &["type", "default", "required"], 1, "the property name");
        self.no_children(node);
        let name = self.name_arg(node, "property", false);
        let ty = self.required_string_prop(node, "type", "write `type=\"string\"` (or `integer`, `bool`, `quantity`)");
        let ty = ty.and_then(|ty| {
            let choice = self.choice(&ty, "property type", &["string", "integer", "bool", "quantity"])?;
            Some(match choice {
                "integer" => PropertyType::Integer,
                "bool" => PropertyType::Bool,
                "quantity" => PropertyType::Quantity,
                _ => PropertyType::String,
            })
        });
        let default = prop(node, "default").and_then(|entry| self.value(entry, "`default`"));
        if let (Some(ty), Some(default)) = (ty, &default) {
            self.check_kind_default(ty, default);
        }
        let required = prop(node, "required").and_then(|entry| self.boolean(entry, "`required`")).is_some_and(|r| r.value);
        Some(KindProperty { name: name?, ty: ty?, default, required })
    }

    fn check_kind_default(&mut self, ty: PropertyType, default: &Spanned<Value>) {
        let (expected, ok) = match (ty, &default.value) {
            (PropertyType::String, value) => ("a string", matches!(value, Value::String(_))),
            (PropertyType::Integer, value) => ("an integer", matches!(value, Value::Integer(_))),
            (PropertyType::Bool, value) => ("a boolean", matches!(value, Value::Bool(_))),
            (PropertyType::Quantity, Value::String(text)) => {
                if !check::is_quantity(text) {
                    self.invalid_quantity("`default`", text, default.span, Quantity::Memory);
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
            self.diags.at(
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

    fn defaults(&mut self, node: &KdlNode) -> WorkloadDefaults {
        self.shape(node, &[], 0, "nothing");
        let mut defaults = WorkloadDefaults::default();
        let mut once = Once::default();
        for child in children(node) {
            let key = child.name().value();
            match key {
                "kubernetes" => {
                    if self.once(&mut once, child, key, "defaults") {
                        defaults.kubernetes = self.single_string(child);
                        if let Some(version) = defaults.kubernetes.clone() {
                            self.kubernetes_version(&version);
                        }
                    }
                }
                "run-as-user" => {
                    if self.once(&mut once, child, key, "defaults") {
                        defaults.run_as_user = self.single_integer(child, 1, 2_147_483_647);
                    }
                }
                "tmp-size" => {
                    if self.once(&mut once, child, key, "defaults") {
                        self.shape(child, &[], 1, "a size such as `\"64Mi\"`");
                        self.no_children(child);
                        defaults.tmp_size = match args(child).next() {
                            Some(entry) => self.quantity(entry, "`tmp-size`", Quantity::Memory),
                            None => {
                                self.missing(child, "a size", "write `tmp-size \"64Mi\"`");
                                None
                            }
                        };
                    }
                }
                "quota" => {
                    if self.once(&mut once, child, key, "defaults") {
                        defaults.quota = Some(self.quota(child));
                    }
                }
                "probe" => {
                    if self.once(&mut once, child, key, "defaults") {
                        self.shape(child, &["initial-delay", "period"], 0, "only `initial-delay=` and `period=`");
                        self.no_children(child);
                        defaults.probe_initial_delay =
                            prop(child, "initial-delay").and_then(|e| self.integer(e, "`initial-delay`", 0, 3600));
                        defaults.probe_period = prop(child, "period").and_then(|e| self.integer(e, "`period`", 1, 3600));
                    }
                }
                _ => {
                    if !self.setting(child, &mut defaults.settings, &mut once, "defaults") {
                        let mut allowed = DEFAULTS.to_vec();
                        allowed.extend_from_slice(SETTINGS);
                        let help = check::suggestion(key, &allowed);
                        self.unknown_node(child, "in `defaults`", help);
                    }
                }
            }
        }
        defaults
    }

    // ---------------------------------------------------------------- environments

    fn environment(&mut self, node: &KdlNode) -> Option<Environment> {
        self.shape(node, &["target", "production"], 1, "the environment name");
        let name = self.name_arg(node, "environment", true);
        let mut targets: Vec<Spanned<String>> = self.string_prop(node, "target").into_iter().collect();
        let production = prop(node, "production").and_then(|entry| self.boolean(entry, "`production`"));
        let mut approval = None;
        let mut rollout = None;
        let mut once = Once::default();
        if let Some(entry) = prop(node, "target") {
            once.0.insert("target".to_owned(), self.span(entry.span()));
        }
        for child in children(node) {
            let key = child.name().value();
            match key {
                "approval" => {
                    if self.once(&mut once, child, key, "environment") {
                        approval = self.single_string(child);
                    }
                }
                "rollout" => {
                    if self.once(&mut once, child, key, "environment") {
                        rollout = self.rollout(child);
                    }
                }
                "target" => {
                    if self.once(&mut once, child, key, "environment") {
                        self.shape(child, &[], usize::MAX, "target names");
                        self.no_children(child);
                        targets = args(child).filter_map(|entry| self.string(entry, "a target name")).collect();
                        if targets.is_empty() {
                            self.missing(child, "at least one target name", "write `target \"<name>\" \"<name>\"`");
                        }
                    }
                }
                _ => {
                    let help = check::suggestion(key, &["approval", "rollout", "target"]);
                    self.unknown_node(child, "in `environment`", help);
                }
            }
        }
        if targets.is_empty() && name.is_some() && prop(node, "target").is_none() && !has_child(node, "target") {
            self.missing(node, "a `target`", "write `target=\"<name>\"` after the environment name");
        }
        Some(Environment { name: name?, targets, production, approval, rollout, span: self.span_of(node) })
    }

    fn rollout(&mut self, node: &KdlNode) -> Option<Rollout> {
        self.shape(node, &["steps"], 1, "the strategy");
        self.no_children(node);
        let strategy = match args(node).next() {
            Some(entry) => self.string(entry, "the rollout strategy"),
            None => {
                self.missing(node, "a strategy", "write `rollout \"rolling\"` (or `canary`, `blue-green`)");
                None
            }
        };
        if let Some(strategy) = &strategy {
            self.choice(strategy, "rollout strategy", &["rolling", "canary", "blue-green"]);
        }
        let mut steps = Vec::new();
        if let Some(entry) = prop(node, "steps") {
            let span = self.span(entry.span());
            let written = match entry.value() {
                KdlValue::String(text) => Some(text.clone()),
                KdlValue::Integer(number) => Some(number.to_string()),
                other => {
                    self.wrong_type(span, "`steps`", "a string of percentages", other, "write `steps=\"10,30,60\"`");
                    None
                }
            };
            for part in written.iter().flat_map(|text| text.split(',')) {
                match part.trim().parse::<u8>() {
                    Ok(step) if (1..=100).contains(&step) => steps.push(step),
                    _ => {
                        self.diags.at(
                            span,
                            LowerError::InvalidValue {
                                what: "`steps`".to_owned(),
                                value: written.clone().unwrap_or_default(),
                                reason: format!("`{}` is not a percentage from 1 to 100", part.trim()),
                                span,
                                help: "write comma-separated percentages, such as `steps=\"10,30,60\"`".to_owned(),
                            },
                        );
                        break;
                    }
                }
            }
        }
        Some(Rollout { strategy: strategy?, steps, span: self.span_of(node) })
    }

    // ---------------------------------------------------------------- domains

    fn domain(&mut self, node: &KdlNode) -> Option<Domain> {
        self.shape(node, &["team", "group"], 1, "the domain name");
        let name = self.name_arg(node, "domain", true);
        let team = self.string_prop(node, "team");
        let group = self.string_prop(node, "group");
        let scope = name.as_ref().map(|n| format!(" in domain `{}`", n.value)).unwrap_or_default();
        let mut quota = None;
        let mut workloads = Vec::new();
        let mut backing = Vec::new();
        let mut names = Names::default();
        let mut once = Once::default();
        let help = "workloads and backing services of a domain share one set of names; rename one";
        for child in children(node) {
            let key = child.name().value();
            match key {
                "service" | "worker" | "job" => {
                    let kind = match key {
                        "service" => WorkloadKind::Service,
                        "worker" => WorkloadKind::Worker,
                        _ => WorkloadKind::Job,
                    };
                    if let Some(workload) = self.workload(child, kind)
                        && self.unique(&mut names, "name", &workload.name, &scope, help) {
                            workloads.push(workload);
                        }
                }
                "quota" => {
                    if self.once(&mut once, child, key, "domain") {
                        quota = Some(self.quota(child));
                    }
                }
                _ => {
                    // Anything else is a backing service whose kind `resolve` checks, unless
                    // it is a likely typo of a workload keyword.
                    if let Some(keyword) = likely_keyword_typo(key) {
                        let help = format!("did you mean `{keyword}`? (otherwise `{key}` is read as a backing-service kind)");
                        self.unknown_node(child, "in `domain`", help);
                        continue;
                    }
                    if let Some(service) = self.backing_service(child)
                        && self.unique(&mut names, "name", &service.name, &scope, help) {
                            backing.push(service);
                        }
                }
            }
        }
        Some(Domain { name: name?, team, group, quota, workloads, backing, span: self.span_of(node) })
    }

    fn quota(&mut self, node: &KdlNode) -> Quota {
        self.shape(node, &["cpu", "memory", "pods"], 0, "only `cpu=`, `memory=` and `pods=`");
        self.no_children(node);
        Quota {
            cpu: prop(node, "cpu").and_then(|entry| self.quantity(entry, "`cpu`", Quantity::Cpu)),
            memory: prop(node, "memory").and_then(|entry| self.quantity(entry, "`memory`", Quantity::Memory)),
            pods: prop(node, "pods").and_then(|entry| self.integer(entry, "`pods`", 1, 100_000)),
            span: self.span_of(node),
        }
    }

    fn backing_service(&mut self, node: &KdlNode) -> Option<BackingService> {
        let kind_name = node.name().value();
        let kind = Spanned::new(kind_name.to_owned(), self.span(node.name().span()));
        self.extra_args(node, 1, "the name, then `property=value` pairs");
        let name = self.name_arg(node, kind_name, true);
        let properties = self.properties(node);
        let mut overrides = Vec::new();
        let mut envs = Once::default();
        for child in children(node) {
            if child.name().value() != "in" {
                let help = "a backing service block holds only `in \"<env>\" property=value` overrides".to_owned();
                self.unknown_node(child, &format!("in `{kind_name}`"), help);
                continue;
            }
            self.extra_args(child, 1, "the environment name, then `property=value` pairs");
            self.no_children(child);
            let env = self.env_arg(child);
            let properties = self.properties(child);
            if let Some(env) = env {
                if let Some(first) = envs.0.get(&env.value) {
                    let first = *first;
                    self.duplicate_setting(&format!("in \"{}\"", env.value), kind_name, env.span, first);
                    continue;
                }
                envs.0.insert(env.value.clone(), env.span);
                overrides.push(BackingOverride { env, properties, span: self.span_of(child) });
            }
        }
        Some(BackingService { kind, name: name?, properties, overrides, span: self.span_of(node) })
    }

    /// All properties of a node as values.
    fn properties(&mut self, node: &KdlNode) -> IndexMap<String, Spanned<Value>> {
        let mut properties = IndexMap::new();
        for entry in node.entries() {
            let Some(name) = entry.name() else { continue };
            let what = format!("`{}`", name.value());
            if let Some(value) = self.value(entry, &what) {
                properties.insert(name.value().to_owned(), value);
            }
        }
        properties
    }

    // ---------------------------------------------------------------- workloads

    fn workload(&mut self, node: &KdlNode, kind: WorkloadKind) -> Option<Workload> {
        let node_name = kind.as_str();
        let props: &[&str] = if kind == WorkloadKind::Job { &["schedule"] } else { &[] };
        self.shape(node, props, 1, "the workload name");
        let name = self.name_arg(node, node_name, true);
        let schedule = if kind == WorkloadKind::Job {
            let schedule = self.required_string_prop(node, "schedule", "write `schedule=\"0 3 * * *\"` (5-field cron)");
            if let Some(schedule) = &schedule
                && let Some(reason) = check::cron_schedule(&schedule.value) {
                    self.diags.at(
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
        for child in children(node) {
            if child.name().value() == "in" {
                if let Some(environment_override) = self.env_override(child, node_name) {
                    if let Some(first) = envs.0.get(&environment_override.env.value) {
                        let first = *first;
                        let setting = format!("in \"{}\"", environment_override.env.value);
                        self.duplicate_setting(&setting, node_name, environment_override.env.span, first);
                    } else {
                        envs.0.insert(environment_override.env.value.clone(), environment_override.env.span);
                        overrides.push(environment_override);
                    }
                }
            } else if !self.setting(child, &mut settings, &mut once, node_name) {
                let mut allowed = SETTINGS.to_vec();
                allowed.push("in");
                let help = check::suggestion(child.name().value(), &allowed);
                self.unknown_node(child, &format!("in `{node_name}`"), help);
            }
        }
        Some(Workload { kind, name: name?, schedule, settings, overrides, span: self.span_of(node) })
    }

    fn env_override(&mut self, node: &KdlNode, parent: &str) -> Option<EnvOverride> {
        self.shape(node, &[], 1, "the environment name");
        let env = self.env_arg(node);
        let mut settings = WorkloadSettings::default();
        let mut once = Once::default();
        for child in children(node) {
            if !self.setting(child, &mut settings, &mut once, "in") {
                let key = child.name().value();
                let help = if key == "in" {
                    "`in` blocks do not nest; move it next to this one".to_owned()
                } else {
                    check::suggestion(key, SETTINGS)
                };
                self.unknown_node(child, &format!("in `in` of `{parent}`"), help);
            }
        }
        Some(EnvOverride { env: env?, settings, span: self.span_of(node) })
    }

    fn env_arg(&mut self, node: &KdlNode) -> Option<Spanned<String>> {
        match args(node).next() {
            Some(entry) => self.string(entry, "the environment name"),
            None => {
                self.missing(node, "an environment name", "write `in \"<environment>\" ...`");
                None
            }
        }
    }

    /// Lower a workload setting into `settings`; `false` if `node` is not a setting.
    fn setting(&mut self, node: &KdlNode, settings: &mut WorkloadSettings, once: &mut Once, parent: &str) -> bool {
        let key = node.name().value();
        let single = matches!(
            key,
            "image" | "command" | "args" | "health" | "resources" | "replicas" | "scale" | "enabled" | "identity" | "placement"
        );
        if !SETTINGS.contains(&key) {
            return false;
        }
        if single && !self.once(once, node, key, parent) {
            return true;
        }
        match key {
            "image" => settings.image = self.image(node),
            "command" => settings.command = self.strings(node),
            "args" => settings.args = self.strings(node),
            "port" => settings.ports.extend(self.port(node)),
            "expose" => settings.expose.extend(self.expose(node)),
            "health" => settings.health = self.health(node),
            "resources" => settings.resources = Some(self.resources(node)),
            "replicas" => settings.replicas = self.single_integer(node, 0, 1000),
            "scale" => settings.scale = self.scale(node),
            "config" => self.config(node, &mut settings.config, parent),
            "secret" => settings.secrets.extend(self.secret(node)),
            "uses" => settings.uses.extend(self.uses(node)),
            "egress" => settings.egress.extend(self.egress(node)),
            "writable" => {
                if let Some(path) = self.single_string(node) {
                    self.absolute_path(&path, "`writable` path");
                    settings.writable.push(path);
                }
            }
            "identity" => {
                settings.identity = self.single_string(node);
                if let Some(identity) = &settings.identity
                    && !check::is_dns_label(&identity.value) {
                        self.invalid_value(
                            identity.span,
                            "identity",
                            &identity.value,
                            "not a DNS-1123 label",
                            "use lower-case letters, digits and `-`, such as `order-api`: profiles build role and account names from it",
                        );
                    }
            }
            "placement" => settings.placement = self.strings(node),
            _ => settings.enabled = self.single_bool(node),
        }
        true
    }

    fn image(&mut self, node: &KdlNode) -> Option<Image> {
        self.shape(node, &["tag", "digest"], 1, "the image name");
        self.no_children(node);
        let Some(entry) = args(node).next() else {
            self.missing(node, "an image name", "write `image \"<name>\"`, optionally with `tag=\"1.2.3\"`");
            return None;
        };
        let written = self.string(entry, "the image name")?;
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
        if name.is_empty() || name.contains(char::is_whitespace) {
            self.invalid_value(span, "image name", &written.value, "not an image reference", "write a name such as `order-api` or `ghcr.io/acme/api`");
        }
        if let Some(entry) = prop(node, "tag")
            && let Some(explicit) = self.string(entry, "`tag`") {
                if let Some(first) = &tag {
                    self.duplicate_setting("tag", "image", explicit.span, first.span);
                }
                tag = Some(explicit);
            }
        if let Some(entry) = prop(node, "digest")
            && let Some(explicit) = self.string(entry, "`digest`") {
                if let Some(first) = &digest {
                    self.duplicate_setting("digest", "image", explicit.span, first.span);
                }
                digest = Some(explicit);
            }
        if let Some(tag) = &tag
            && !check::is_image_tag(&tag.value) {
                self.invalid_value(tag.span, "image tag", &tag.value, "not a valid tag", "use letters, digits, `_`, `.` and `-`, up to 128 characters");
            }
        if let Some(digest) = &digest
            && !check::is_digest(&digest.value) {
                self.invalid_value(digest.span, "image digest", &digest.value, "not `sha256:` and 64 hex digits", "write `sha256:` followed by 64 lowercase hex digits");
            }
        Some(Image { name: Spanned::new(name, span), tag, digest, span: self.span_of(node) })
    }

    fn strings(&mut self, node: &KdlNode) -> Option<Spanned<Vec<String>>> {
        self.shape(node, &[], usize::MAX, "strings");
        self.no_children(node);
        let key = node.name().value();
        let values: Vec<String> =
            args(node).filter_map(|entry| self.string(entry, &format!("`{key}`")).map(|s| s.value)).collect();
        if args(node).next().is_none() {
            self.missing(node, "at least one argument", &format!("write `{key} \"<value>\" ...`"));
            return None;
        }
        Some(Spanned::new(values, self.span_of(node)))
    }

    fn port(&mut self, node: &KdlNode) -> Option<Port> {
        self.shape(node, &["service-port", "protocol", "metrics"], 2, "a name and a number");
        self.no_children(node);
        let mut args = args(node);
        let name = match args.next() {
            Some(entry) => self.string(entry, "the port name"),
            None => {
                self.missing(node, "a name and a number", "write `port \"http\" 8080`");
                return None;
            }
        };
        if let Some(name) = &name
            && let Some(reason) = check::port_name(&name.value) {
                self.diags.at(name.span, LowerError::InvalidPortName { name: name.value.clone(), reason, span: name.span });
            }
        let number = match args.next() {
            Some(entry) => self.integer(entry, "the port number", 1, 65535),
            None => {
                self.missing(node, "a port number", "write `port \"http\" 8080`");
                None
            }
        };
        let service_port = prop(node, "service-port").and_then(|entry| self.integer(entry, "`service-port`", 1, 65535));
        let protocol = match prop(node, "protocol").and_then(|entry| self.string(entry, "`protocol`")) {
            Some(written) => {
                let choice = self.choice(&written, "protocol", &["http", "grpc", "tcp", "udp"]);
                let protocol = match choice {
                    Some("grpc") => PortProtocol::Grpc,
                    Some("tcp") => PortProtocol::Tcp,
                    Some("udp") => PortProtocol::Udp,
                    _ => PortProtocol::Http,
                };
                Spanned::new(protocol, written.span)
            }
            // The default protocol is implied by the `port` node itself.
            None => Spanned::new(PortProtocol::Http, self.span(node.name().span())),
        };
        let metrics = prop(node, "metrics").and_then(|entry| self.boolean(entry, "`metrics`")).is_some_and(|m| m.value);
        Some(Port { name: name?, container_port: number?, service_port, protocol, metrics, span: self.span_of(node) })
    }

    fn expose(&mut self, node: &KdlNode) -> Option<Expose> {
        self.shape(node, &["port", "host", "internal"], 1, "the URL path");
        self.no_children(node);
        let path = match args(node).next() {
            Some(entry) => self.string(entry, "the exposed path"),
            None => {
                self.missing(node, "a URL path", "write `expose \"/api\"`");
                None
            }
        };
        if let Some(path) = &path
            && !path.value.starts_with('/') {
                self.invalid_value(path.span, "exposed path", &path.value, "does not start with `/`", "write an absolute URL path such as `/api/orders`");
            }
        let port = self.string_prop(node, "port");
        let host = self.string_prop(node, "host");
        let internal = prop(node, "internal").and_then(|entry| self.boolean(entry, "`internal`")).is_some_and(|b| b.value);
        Some(Expose { path: path?, port, host, internal, span: self.span_of(node) })
    }

    fn health(&mut self, node: &KdlNode) -> Option<Health> {
        self.shape(node, &["grpc", "tcp", "port", "initial-delay", "period"], 1, "an HTTP path");
        self.no_children(node);
        let span = self.span_of(node);
        let path = args(node).next().and_then(|entry| self.string(entry, "the health check path"));
        let grpc = prop(node, "grpc").and_then(|entry| self.boolean(entry, "`grpc`")).filter(|b| b.value);
        let tcp = prop(node, "tcp").and_then(|entry| self.boolean(entry, "`tcp`")).filter(|b| b.value);
        let mut checks = Vec::new();
        if let Some(path) = &path {
            if !path.value.starts_with('/') {
                self.invalid_value(path.span, "health check path", &path.value, "does not start with `/`", "write an absolute path such as `/healthz`");
            }
            checks.push(Spanned::new(HealthCheck::Http { path: path.value.clone() }, path.span));
        }
        if let Some(grpc) = grpc {
            checks.push(Spanned::new(HealthCheck::Grpc, grpc.span));
        }
        if let Some(tcp) = tcp {
            checks.push(Spanned::new(HealthCheck::Tcp, tcp.span));
        }
        if let Some(second) = checks.get(1) {
            self.invalid_value(second.span, "`health`", "", "a second probe kind", "choose one of a path, `grpc=#true` or `tcp=#true`");
        }
        let port = self.string_prop(node, "port");
        let initial_delay = prop(node, "initial-delay").and_then(|entry| self.integer(entry, "`initial-delay`", 0, 3600));
        let period = prop(node, "period").and_then(|entry| self.integer(entry, "`period`", 1, 3600));
        let Some(check) = checks.into_iter().next() else {
            self.missing(node, "a probe", "write `health \"/healthz\"`, `health grpc=#true` or `health tcp=#true`");
            return None;
        };
        Some(Health { check, port, initial_delay, period, span })
    }

    fn resources(&mut self, node: &KdlNode) -> Resources {
        self.shape(node, &["cpu", "memory", "cpu-limit", "memory-limit"], 0, "only properties");
        self.no_children(node);
        Resources {
            cpu: prop(node, "cpu").and_then(|entry| self.quantity(entry, "`cpu`", Quantity::Cpu)),
            memory: prop(node, "memory").and_then(|entry| self.quantity(entry, "`memory`", Quantity::Memory)),
            cpu_limit: prop(node, "cpu-limit").and_then(|entry| self.quantity(entry, "`cpu-limit`", Quantity::Cpu)),
            memory_limit: prop(node, "memory-limit")
                .and_then(|entry| self.quantity(entry, "`memory-limit`", Quantity::Memory)),
            span: Some(self.span_of(node)),
        }
    }

    fn scale(&mut self, node: &KdlNode) -> Option<Scale> {
        self.shape(node, &["min", "max", "cpu-percent"], 0, "only `min=`, `max=` and `cpu-percent=`");
        self.no_children(node);
        let min = match prop(node, "min") {
            Some(entry) => self.integer(entry, "`min`", 1, 1000),
            None => {
                self.missing(node, "`min`", "write `scale min=2 max=10`");
                None
            }
        };
        let max = match prop(node, "max") {
            Some(entry) => self.integer(entry, "`max`", 1, 1000),
            None => {
                self.missing(node, "`max`", "write `scale min=2 max=10`");
                None
            }
        };
        let cpu_percent = prop(node, "cpu-percent").and_then(|entry| self.integer(entry, "`cpu-percent`", 1, 100));
        let (min, max) = (min?, max?);
        if max.value < min.value {
            self.diags.at(
                max.span,
                LowerError::OutOfRange {
                    what: "`max`".to_owned(),
                    value: max.value.to_string(),
                    range: format!("{} to 1000", min.value),
                    span: max.span,
                    help: "make `max` at least `min`".to_owned(),
                },
            );
        }
        Some(Scale { min, max, cpu_percent, span: self.span_of(node) })
    }

    fn config(&mut self, node: &KdlNode, config: &mut IndexMap<String, Spanned<String>>, parent: &str) {
        self.extra_args(node, 0, "write `config KEY=\"value\"`");
        self.no_children(node);
        if node.entries().is_empty() {
            self.missing(node, "at least one `KEY=value`", "write `config KEY=\"value\"`");
        }
        for entry in node.entries() {
            let Some(key) = entry.name() else { continue };
            let span = self.span(entry.span());
            let value = match entry.value() {
                KdlValue::String(text) => text.clone(),
                KdlValue::Integer(number) => number.to_string(),
                KdlValue::Bool(flag) => flag.to_string(),
                KdlValue::Float(_) => entry.value().to_string(),
                KdlValue::Null => {
                    let what = format!("config `{}`", key.value());
                    self.wrong_type(span, &what, "a string", entry.value(), "write `KEY=\"value\"`");
                    continue;
                }
            };
            if let Some(first) = config.get(key.value()) {
                let first = first.span;
                self.duplicate_setting(key.value(), parent, span, first);
                continue;
            }
            config.insert(key.value().to_owned(), Spanned::new(value, span));
        }
    }

    fn secret(&mut self, node: &KdlNode) -> Option<SecretRef> {
        self.shape(node, &["key", "property"], 1, "the environment variable name");
        self.no_children(node);
        let env = match args(node).next() {
            Some(entry) => self.string(entry, "the environment variable name"),
            None => {
                self.missing(node, "an environment variable name", "write `secret \"NAME\" key=\"path/in/store\"`");
                None
            }
        };
        let key = self.required_string_prop(node, "key", "write `key=\"path/in/store\"`: a reference, never the value");
        let property = self.string_prop(node, "property");
        Some(SecretRef { env: env?, key: key?, property, span: self.span_of(node) })
    }

    fn uses(&mut self, node: &KdlNode) -> Option<Use> {
        self.shape(node, &["as", "prefix"], 1, "the name it uses");
        self.no_children(node);
        let Some(entry) = args(node).next() else {
            self.missing(node, "a name", "write `uses \"<name>\"` or `uses \"<domain>/<name>\"`");
            return None;
        };
        let reference = self.string(entry, "the `uses` target")?;
        let role = self.string_prop(node, "as");
        if let Some(role) = &role {
            self.choice(role, "role", &["producer", "consumer"]);
        }
        let prefix = self.string_prop(node, "prefix");
        if let Some(prefix) = &prefix
            && !check::is_env_name(&prefix.value)
        {
            self.invalid_value(prefix.span, "variable prefix", &prefix.value, "not the start of an environment variable name", "use letters, digits and `_`, not starting with a digit, such as `ARCHIVE_`");
        }
        let parts: Vec<&str> = reference.value.split('/').collect();
        let (domain, name) = match parts.as_slice() {
            [name] if !name.is_empty() => (None, (*name).to_owned()),
            [domain, name] if !domain.is_empty() && !name.is_empty() => (Some((*domain).to_owned()), (*name).to_owned()),
            _ => {
                self.invalid_value(reference.span, "`uses` target", &reference.value, "not `<name>` or `<domain>/<name>`", "write `uses \"orders-db\"` or `uses \"payment/payment-api\"`");
                return None;
            }
        };
        Some(Use { domain, name, span: reference.span, role, prefix })
    }

    /// `egress "api.stripe.com" port=443 cidr="203.0.113.0/24"`.
    fn egress(&mut self, node: &KdlNode) -> Option<Egress> {
        self.shape(node, &["port", "cidr"], 1, "the host name");
        self.no_children(node);
        let Some(entry) = args(node).next() else {
            self.missing(node, "a host name", "write `egress \"api.example.com\" port=443`");
            return None;
        };
        let host = self.string(entry, "the egress host")?;
        if !is_host_name(&host.value) {
            self.invalid_value(host.span, "egress host", &host.value, "not a DNS host name", "write a host name such as `api.stripe.com`");
        }
        let Some(port) = prop(node, "port").and_then(|entry| self.integer(entry, "`port`", 1, 65535)) else {
            if prop(node, "port").is_none() {
                self.missing(node, "a port", "write `egress \"<host>\" port=443`");
            }
            return None;
        };
        let cidr = self.string_prop(node, "cidr");
        if let Some(cidr) = &cidr
            && !is_cidr(&cidr.value) {
                self.invalid_value(cidr.span, "egress cidr", &cidr.value, "not an address range", "write an address and a prefix length, such as `203.0.113.0/24`");
            }
        Some(Egress { host, port, cidr, span: self.span_of(node) })
    }

    fn absolute_path(&mut self, path: &Spanned<String>, what: &str) {
        if !path.value.starts_with('/') || path.value.split('/').any(|part| part == "..") {
            self.invalid_value(path.span, what, &path.value, "not an absolute path", "write an absolute path without `..`, such as `/var/cache/app`");
        }
    }

    // ---------------------------------------------------------------- policies

    fn policy(&mut self, node: &KdlNode) -> Option<Policy> {
        self.shape(node, &["severity", "pack", "status", "since"], 1, "the policy id");
        let id = self.name_arg(node, "policy", true);
        let pack = self.string_prop(node, "pack");
        let status = self.string_prop(node, "status");
        if let Some(status) = &status {
            self.choice(status, "status", &["preview", "stable"]);
        }
        let since = self.string_prop(node, "since");
        let severity = self.required_string_prop(node, "severity", "write `severity=\"error\"` (or `warning`, `info`)");
        if let Some(severity) = &severity {
            self.choice(severity, "severity", &["error", "warning", "info"]);
        }
        let mut matches = Vec::new();
        let mut rules = Vec::new();
        for child in children(node) {
            let key = child.name().value();
            match key {
                "match" => {
                    self.shape(child, &["env"], 1, "an entity or Kubernetes kind");
                    self.no_children(child);
                    let kind = match args(child).next() {
                        Some(entry) => self.string(entry, "the matched kind"),
                        None => {
                            self.missing(child, "a kind", "write `match \"service\"`");
                            None
                        }
                    };
                    let env = self.string_prop(child, "env");
                    if let Some(kind) = kind {
                        matches.push(PolicyMatch { kind, env });
                    }
                }
                "require" | "deny" => {
                    self.shape(child, &["message"], 1, "a CEL expression");
                    self.no_children(child);
                    let expression = match args(child).next() {
                        Some(entry) => self.string(entry, "the CEL expression"),
                        None => {
                            self.missing(child, "a CEL expression", &format!("write `{key} \"replicas >= 2\"`"));
                            None
                        }
                    };
                    let message = self.string_prop(child, "message");
                    if let Some(expression) = expression {
                        rules.push(PolicyRule { require: key == "require", expression, message });
                    }
                }
                _ => {
                    let help = check::suggestion(key, &["match", "require", "deny"]);
                    self.unknown_node(child, "in `policy`", help);
                }
            }
        }
        let id = id?;
        if matches.is_empty() && !has_child(node, "match") {
            self.missing(node, "a `match`", "add `match \"service\"` (or another kind) inside the policy");
        }
        if rules.is_empty() && !has_child(node, "require") && !has_child(node, "deny") {
            self.diags.at(id.span, LowerError::PolicyWithoutRules { id: id.value.clone(), span: id.span });
        }
        Some(Policy { id, severity: severity?, matches, rules, pack, status, since, span: self.span_of(node) })
    }

    fn waiver(&mut self, node: &KdlNode) -> Option<Waiver> {
        self.shape(node, &["on", "reason", "until"], 1, "the policy id");
        self.no_children(node);
        let policy = self.name_arg(node, "waive", false);
        let on = self.required_string_prop(node, "on", "write `on=\"<domain>/<name>\"` or `on=\"<domain>\"`");
        let reason = self.string_prop(node, "reason");
        let until = self.string_prop(node, "until");
        if let Some(until) = &until
            && let Some(reason) = check::date(&until.value) {
                self.invalid_value(until.span, "`until` date", &until.value, &reason, "write a date as YYYY-MM-DD, such as `2027-03-31`");
            }
        Some(Waiver { policy: policy?, on: on?, reason, until, span: self.span_of(node) })
    }

    // ---------------------------------------------------------------- node shape helpers

    fn span(&self, range: miette::SourceSpan) -> Span {
        Span::new(self.file, range)
    }

    fn span_of(&self, node: &KdlNode) -> Span {
        self.span(node.span())
    }

    /// Check properties against `allowed` and positional arguments against `max_args`.
    fn shape(&mut self, node: &KdlNode, allowed: &[&str], max_args: usize, takes: &str) {
        let node_name = node.name().value().to_owned();
        for entry in node.entries() {
            if let Some(name) = entry.name()
                && !allowed.contains(&name.value()) {
                    let span = self.span(entry.span());
                    let help = check::suggestion(name.value(), allowed);
                    self.diags.at(span, LowerError::UnknownProperty { name: name.value().to_owned(), node: node_name.clone(), span, help });
                }
        }
        self.extra_args(node, max_args, takes);
    }

    fn extra_args(&mut self, node: &KdlNode, max_args: usize, takes: &str) {
        if let Some(extra) = args(node).nth(max_args) {
            let span = self.span(extra.span());
            let node_name = node.name().value().to_owned();
            let help = if max_args == 0 { format!("`{node_name}` takes {takes}") } else { format!("`{node_name}` takes only {takes}") };
            self.diags.at(span, LowerError::UnexpectedArgument { node: node_name, span, help });
        }
    }

    fn no_children(&mut self, node: &KdlNode) {
        if node.children().is_some() {
            let span = self.span_of(node);
            self.diags.at(span, LowerError::UnexpectedChildren { node: node.name().value().to_owned(), span });
        }
    }

    fn unknown_node(&mut self, node: &KdlNode, parent: &str, help: String) {
        let span = self.span(node.name().span());
        self.diags.at(span, LowerError::UnknownNode { name: node.name().value().to_owned(), parent: parent.to_owned(), span, help });
    }

    fn missing(&mut self, node: &KdlNode, what: &str, help: &str) {
        let span = self.span(node.name().span());
        self.diags.at(
            span,
            LowerError::MissingValue { node: node.name().value().to_owned(), what: what.to_owned(), span, help: help.to_owned() },
        );
    }

    /// Record `key` as set in a block; report and return `false` if it was set before.
    fn once(&mut self, once: &mut Once, node: &KdlNode, key: &str, parent: &str) -> bool {
        let span = self.span(node.name().span());
        if let Some(first) = once.0.get(key) {
            let first = *first;
            self.duplicate_setting(key, parent, span, first);
            return false;
        }
        once.0.insert(key.to_owned(), span);
        true
    }

    fn duplicate_setting(&mut self, setting: &str, parent: &str, span: Span, first: Span) {
        let parent = if parent == "the file" { "in the file".to_owned() } else { format!("in `{parent}`") };
        self.diags.at(span, LowerError::DuplicateSetting { setting: setting.to_owned(), parent, span, first });
    }

    /// Record a name in a scope; report and return `false` if it is taken.
    fn unique(&mut self, names: &mut Names, kind: &'static str, name: &Spanned<String>, scope: &str, help: &str) -> bool {
        if let Some(first) = names.0.get(&name.value) {
            let first = *first;
            self.diags.at(
                name.span,
                LowerError::DuplicateName {
                    kind,
                    name: name.value.clone(),
                    scope: scope.to_owned(),
                    span: name.span,
                    first,
                    help: help.to_owned(),
                },
            );
            return false;
        }
        names.0.insert(name.value.clone(), name.span);
        true
    }

    /// The first argument as a name; reports a missing or (with `dns`) invalid name.
    fn name_arg(&mut self, node: &KdlNode, kind: &str, dns: bool) -> Option<Spanned<String>> {
        let Some(entry) = args(node).next() else {
            self.missing(node, "a name", &format!("write `{kind} \"<name>\"`"));
            return None;
        };
        let name = self.string(entry, &format!("the {kind} name"))?;
        if dns
            && let Some(reason) = check::dns_label(&name.value) {
                self.diags.at(
                    name.span,
                    LowerError::InvalidName { kind: kind.to_owned(), name: name.value.clone(), reason, span: name.span },
                );
            }
        Some(name)
    }

    /// A node written as `key "value"` with nothing else.
    fn single_string(&mut self, node: &KdlNode) -> Option<Spanned<String>> {
        let entry = self.single_entry(node, "a string")?;
        self.string(entry, &format!("`{}`", node.name().value()))
    }

    fn single_bool(&mut self, node: &KdlNode) -> Option<Spanned<bool>> {
        let entry = self.single_entry(node, "`#true` or `#false`")?;
        self.boolean(entry, &format!("`{}`", node.name().value()))
    }

    fn single_integer(&mut self, node: &KdlNode, min: i64, max: i64) -> Option<Spanned<i64>> {
        let entry = self.single_entry(node, "an integer")?;
        self.integer(entry, &format!("`{}`", node.name().value()), min, max)
    }

    fn single_entry<'n>(&mut self, node: &'n KdlNode, takes: &str) -> Option<&'n KdlEntry> {
        self.shape(node, &[], 1, &format!("one value, {takes}"));
        self.no_children(node);
        let entry = args(node).next();
        if entry.is_none() {
            let key = node.name().value();
            self.missing(node, "a value", &format!("write `{key}` followed by {takes}"));
        }
        entry
    }

    fn string_prop(&mut self, node: &KdlNode, key: &str) -> Option<Spanned<String>> {
        let entry = prop(node, key)?;
        self.string(entry, &format!("`{key}`"))
    }

    fn required_string_prop(&mut self, node: &KdlNode, key: &str, help: &str) -> Option<Spanned<String>> {
        if prop(node, key).is_none() {
            self.missing(node, &format!("`{key}`"), help);
            return None;
        }
        self.string_prop(node, key)
    }

    // ---------------------------------------------------------------- value helpers

    fn string(&mut self, entry: &KdlEntry, what: &str) -> Option<Spanned<String>> {
        let span = self.span(entry.span());
        match entry.value() {
            KdlValue::String(text) => Some(Spanned::new(text.clone(), span)),
            other => {
                let help = format!("write it in quotes: `\"{}\"`", other.to_string().trim_start_matches('#'));
                self.wrong_type(span, what, "a string", other, &help);
                None
            }
        }
    }

    fn boolean(&mut self, entry: &KdlEntry, what: &str) -> Option<Spanned<bool>> {
        let span = self.span(entry.span());
        match entry.value() {
            KdlValue::Bool(flag) => Some(Spanned::new(*flag, span)),
            other => {
                self.wrong_type(span, what, "a boolean", other, "write `#true` or `#false`");
                None
            }
        }
    }

    fn integer(&mut self, entry: &KdlEntry, what: &str, min: i64, max: i64) -> Option<Spanned<i64>> {
        let span = self.span(entry.span());
        let number = match entry.value() {
            KdlValue::Integer(number) => *number,
            other => {
                let help = match other {
                    KdlValue::String(text) if text.trim().parse::<i128>().is_ok() => {
                        format!("write the number without quotes: `{}`", text.trim())
                    }
                    _ => format!("write a whole number from {min} to {max}"),
                };
                self.wrong_type(span, what, "an integer", other, &help);
                return None;
            }
        };
        if number < i128::from(min) || number > i128::from(max) {
            self.diags.at(
                span,
                LowerError::OutOfRange {
                    what: what.to_owned(),
                    value: number.to_string(),
                    range: format!("{min} to {max}"),
                    span,
                    help: format!("write a whole number from {min} to {max}"),
                },
            );
            return None;
        }
        i64::try_from(number).ok().map(|value| Spanned::new(value, span))
    }

    /// A CPU or memory quantity; integers (and, for CPU, fractions) are accepted.
    fn quantity(&mut self, entry: &KdlEntry, what: &str, kind: Quantity) -> Option<Spanned<String>> {
        let span = self.span(entry.span());
        let text = match entry.value() {
            KdlValue::String(text) => text.clone(),
            KdlValue::Integer(number) if *number >= 0 => number.to_string(),
            KdlValue::Float(number) if kind == Quantity::Cpu && *number >= 0.0 && number.is_finite() => number.to_string(),
            other => {
                let help = match kind {
                    Quantity::Cpu => "write a quantity such as `\"250m\"`, `1` or `\"0.5\"`",
                    Quantity::Memory => "write a quantity in quotes such as `\"512Mi\"` or `\"1Gi\"`",
                };
                self.wrong_type(span, what, "a quantity", other, help);
                return None;
            }
        };
        if !check::is_quantity(&text) || (kind == Quantity::Memory && check::is_fractional_bytes(&text)) {
            self.invalid_quantity(what, &text, span, kind);
            return None;
        }
        Some(Spanned::new(text, span))
    }

    fn invalid_quantity(&mut self, what: &str, value: &str, span: Span, kind: Quantity) {
        let help = match kind {
            Quantity::Cpu => "write CPU as cores or millicores, such as `250m`, `1` or `0.5`".to_owned(),
            Quantity::Memory if check::is_quantity(value) => {
                let number = value.trim_end_matches(['m', 'u', 'n']);
                format!("a `m` suffix means thousandths of a byte; did you mean `{number}Mi`?")
            }
            Quantity::Memory => "write memory in bytes with a suffix, such as `512Mi`, `1Gi` or `1G`".to_owned(),
        };
        self.diags.at(span, LowerError::InvalidQuantity { what: what.to_owned(), value: value.to_owned(), span, help });
    }

    /// Any scalar value; `#null` is refused.
    fn value(&mut self, entry: &KdlEntry, what: &str) -> Option<Spanned<Value>> {
        let span = self.span(entry.span());
        let value = match entry.value() {
            KdlValue::String(text) => Value::String(text.clone()),
            KdlValue::Integer(number) => match i64::try_from(*number) {
                Ok(number) => Value::Integer(number),
                Err(_) => {
                    self.diags.at(
                        span,
                        LowerError::OutOfRange {
                            what: what.to_owned(),
                            value: number.to_string(),
                            range: "the 64-bit integers".to_owned(),
                            span,
                            help: "write a smaller number".to_owned(),
                        },
                    );
                    return None;
                }
            },
            KdlValue::Float(number) => Value::Float(*number),
            KdlValue::Bool(flag) => Value::Bool(*flag),
            KdlValue::Null => {
                self.wrong_type(span, what, "a value", entry.value(), "write a string, a number, `#true` or `#false`");
                return None;
            }
        };
        Some(Spanned::new(value, span))
    }

    /// Check a string against fixed choices; returns the matching choice.
    fn choice(&mut self, value: &Spanned<String>, what: &str, choices: &[&'static str]) -> Option<&'static str> {
        if let Some(choice) = choices.iter().find(|choice| **choice == value.value) {
            return Some(choice);
        }
        let help = match check::did_you_mean(&value.value, choices) {
            Some(candidate) => format!("did you mean `{candidate}`?"),
            None => format!("write one of {}", check::backticked(choices)),
        };
        self.diags.at(
            value.span,
            LowerError::InvalidChoice {
                what: what.to_owned(),
                value: value.value.clone(),
                choices: check::backticked(choices),
                span: value.span,
                help,
            },
        );
        None
    }

    fn wrong_type(&mut self, span: Span, what: &str, expected: &'static str, found: &KdlValue, help: &str) {
        self.diags.at(
            span,
            LowerError::WrongType { what: what.to_owned(), expected, found: type_name(found), span, help: help.to_owned() },
        );
    }

    fn invalid_value(&mut self, span: Span, what: &str, value: &str, reason: &str, help: &str) {
        self.diags.at(
            span,
            LowerError::InvalidValue {
                what: what.to_owned(),
                value: value.to_owned(),
                reason: reason.to_owned(),
                span,
                help: help.to_owned(),
            },
        );
    }
}

// -------------------------------------------------------------------- free helpers

/// Positional arguments of a node.
fn args(node: &KdlNode) -> impl Iterator<Item = &KdlEntry> {
    node.entries().iter().filter(|entry| entry.name().is_none())
}

/// The last property `key` of a node (repeats are reported by `syntax`).
fn prop<'n>(node: &'n KdlNode, key: &str) -> Option<&'n KdlEntry> {
    node.entries().iter().rev().find(|entry| entry.name().is_some_and(|name| name.value() == key))
}

/// Child nodes of a node (none without a block).
fn children(node: &KdlNode) -> impl Iterator<Item = &KdlNode> {
    node.children().map(KdlDocument::nodes).unwrap_or_default().iter()
}

fn has_child(node: &KdlNode, key: &str) -> bool {
    children(node).any(|child| child.name().value() == key)
}

/// A domain child name that is one typo away from a workload keyword.
fn likely_keyword_typo(name: &str) -> Option<&'static str> {
    DOMAIN.iter().copied().find(|keyword| {
        let distance = strsim::damerau_levenshtein(name, keyword);
        distance > 0 && distance <= if keyword.len() <= 3 { 1 } else { 2 }
    })
}

fn type_name(value: &KdlValue) -> &'static str {
    match value {
        KdlValue::String(_) => "a string",
        KdlValue::Integer(_) => "an integer",
        KdlValue::Float(_) => "a number with a fraction",
        KdlValue::Bool(_) => "a boolean",
        KdlValue::Null => "`#null`",
    }
}

/// A DNS host name: dot-separated labels of letters, digits and inner `-`, at most 253
/// characters, with at least one dot.
fn is_host_name(host: &str) -> bool {
    host.len() <= 253
        && host.contains('.')
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// An IPv4 or IPv6 address range `address/prefix` with a prefix length the family allows.
fn is_cidr(cidr: &str) -> bool {
    let Some((address, prefix)) = cidr.split_once('/') else { return false };
    let Ok(prefix) = prefix.parse::<u8>() else { return false };
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => prefix <= 32,
        Ok(std::net::IpAddr::V6(_)) => prefix <= 128,
        Err(_) => false,
    }
}
