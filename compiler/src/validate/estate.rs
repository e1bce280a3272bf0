//! The JSON Schema of the resolved model, [`Estate`](crate::resolve::Estate).
//!
//! In: nothing. Out: a JSON Schema (draft 2020-12) as a value or as text, printed by
//! `berth schema` and committed as `schemas/berth-estate.schema.json` (a test rewrites
//! it with `BERTH_UPDATE=1` and fails with a diff when it is stale). It describes the
//! estate as JSON: field names are the Rust field names, enums are lower-case strings,
//! `uses` targets and health checks are objects tagged by `type`, spans are
//! `{file, offset, len}`. Built by hand with `serde_json` rather than derived, so the
//! resolve types stay free of schema attributes; a test checks that every field of
//! `resolve/types.rs` is here.

use serde_json::{Map, Value, json};

/// The schema as a JSON value.
pub fn estate_schema() -> Value {
    let mut defs = Map::new();
    defs.insert("View".to_owned(), view());
    defs.insert("ResolvedProfile".to_owned(), profile());
    defs.insert("ResolvedDomain".to_owned(), domain());
    defs.insert("ResolvedQuota".to_owned(), quota());
    defs.insert("ResolvedWorkload".to_owned(), workload());
    defs.insert("ResolvedPort".to_owned(), port());
    defs.insert("ResolvedEgress".to_owned(), egress());
    defs.insert("ResolvedExpose".to_owned(), expose());
    defs.insert("ResolvedHealth".to_owned(), health());
    defs.insert("HealthCheck".to_owned(), health_check());
    defs.insert("ResolvedResources".to_owned(), resources());
    defs.insert("ResolvedScale".to_owned(), scale());
    defs.insert("ResolvedSecret".to_owned(), secret());
    defs.insert("ResolvedUse".to_owned(), uses());
    defs.insert("UseTarget".to_owned(), use_target());
    defs.insert("ResolvedBacking".to_owned(), backing());
    defs.insert("ResolvedGateway".to_owned(), gateway());
    defs.insert("ResolvedIdentity".to_owned(), identity());
    defs.insert("ResolvedEnv".to_owned(), env());
    defs.insert("EnvSource".to_owned(), env_source());
    defs.insert("ResolvedFiles".to_owned(), files());
    defs.insert("ResolvedSecretFile".to_owned(), secret_file());
    defs.insert("ResolvedRealisation".to_owned(), realisation());
    defs.insert("Value".to_owned(), scalar());
    defs.insert("Span".to_owned(), span());
    let mut schema = object(
        "The resolved estate: one fully resolved view per (environment, target). Defaults, the target's cloud profile, the environment and `in` overrides are applied; references are bound.",
        &[
            ("platform", string(), "Platform name."),
            ("kubernetes", string(), "Kubernetes minor version the output targets, e.g. `1.33`."),
            ("secret_store", string(), "`ClusterSecretStore` that secret references read from."),
            (
                "views",
                array(reference("View")),
                "One entry per (environment, target), in promotion order, then target order.",
            ),
            ("span", nullable(reference("Span")), "The `platform` node (provenance of estate-wide files)."),
        ],
    );
    let head = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Berth resolved estate",
    });
    if let (Value::Object(head), Value::Object(body)) = (head, &mut schema) {
        let mut ordered = head;
        ordered.extend(std::mem::take(body));
        ordered.insert("$defs".to_owned(), Value::Object(defs));
        *body = ordered;
    }
    schema
}

/// The schema as pretty-printed text with a final newline: the committed file's bytes.
pub fn estate_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&estate_schema()).unwrap_or_default();
    text.push('\n');
    text
}

fn view() -> Value {
    object(
        "The estate as deployed in one environment on one target cluster.",
        &[
            ("env", string(), "Environment name."),
            ("env_index", integer(), "Index of the environment in promotion order."),
            ("production", boolean(), "Whether the environment is marked production."),
            ("approval", nullable(string()), "Approval group for promotion into this environment."),
            ("rollout", string(), "Rollout strategy name (`rolling` default)."),
            ("target", string(), "Target name."),
            ("profile", reference("ResolvedProfile"), "The target's resolved facts."),
            ("domains", array(reference("ResolvedDomain")), "Domains in declaration order."),
            ("span", reference("Span"), "The environment node, for provenance."),
        ],
    )
}

fn profile() -> Value {
    object(
        "Cloud profile facts after layering stdlib -> profile -> target.",
        &[
            ("cloud", string(), "Cloud profile name (`eks`, ...)."),
            ("region", nullable(string()), "Region, if declared."),
            ("dns", nullable(string()), "DNS zone for exposed hosts."),
            ("registry", nullable(string()), "Registry prefix for bare image names."),
            ("exposure", string_enum(&["ingress", "route"]), "`ingress` or `route`."),
            ("ingress_class", nullable(string()), "IngressClass name."),
            ("ingress_annotations", map(string()), "Annotations added to every Ingress."),
            ("storage_class", nullable(string()), "Default StorageClass."),
            ("fixed_uid", boolean(), "Whether pod security contexts carry fixed UID/GID/fsGroup."),
            ("run_as_user", integer(), "UID and GID to use where fixed UIDs are allowed."),
            ("tmp_size", string(), "Size limit of the `/tmp` emptyDir."),
            ("dns_namespace", string(), "Namespace of the cluster DNS pods (`kube-system` default)."),
            ("dns_labels", map(string()), "Labels selecting the cluster DNS pods (`k8s-app: kube-dns` default)."),
            ("dns_port", integer(), "Pod port of the cluster DNS, UDP and TCP (53 default)."),
            (
                "ingress_namespace",
                nullable(string()),
                "Namespace of the ingress controller pods; null when the profile cannot name one, so no in-cluster peer is allowed.",
            ),
            (
                "ingress_labels",
                map(string()),
                "Labels selecting the ingress controller pods within `ingress_namespace`; empty means every pod of that namespace.",
            ),
            (
                "monitoring_namespace",
                nullable(string()),
                "Namespace of the monitoring pods that scrape `metrics` ports; null when the profile names none.",
            ),
            (
                "monitoring_labels",
                map(string()),
                "Labels selecting the monitoring pods within `monitoring_namespace`; empty means every pod of that namespace.",
            ),
            ("cni", nullable(string()), "The cluster's CNI when the profile names one (`cilium`)."),
            (
                "ingress_cidrs",
                array(string()),
                "Address ranges the ingress load balancer reaches pods from, for exposed ports.",
            ),
            ("managed_cidrs", array(string()), "Address ranges of managed backing services."),
            ("dns_cidrs", array(string()), "Node-local DNS addresses."),
            ("api_server_cidrs", array(string()), "Address ranges of the Kubernetes API server."),
            (
                "gateway",
                nullable(reference("ResolvedGateway")),
                "The shared Gateway HTTPRoutes attach to (`exposure \"gateway\"`).",
            ),
            (
                "internal_gateway",
                nullable(reference("ResolvedGateway")),
                "The Gateway internal exposures attach to (the profile's `internal-gateway`, else `gateway`).",
            ),
            (
                "internal_ingress_class",
                nullable(string()),
                "IngressClass of internal exposures (`internal-ingress-class`, else `ingress-class`).",
            ),
            (
                "internal_ingress_annotations",
                map(string()),
                "Annotations of the internal Ingress: `ingress-annotation` with `internal-ingress-annotation` over it.",
            ),
            ("params", map(string()), "Named values for realisation and identity templates."),
            (
                "identity_annotations",
                map(string()),
                "ServiceAccount annotations of a workload with an `identity` (templates).",
            ),
            ("identity_labels", map(string()), "Pod labels of a workload with an `identity` (templates)."),
            ("backing_managed", nullable(boolean()), "Whether backing services are managed unless declared otherwise."),
            ("span", reference("Span"), "The target node."),
        ],
    )
}

fn gateway() -> Value {
    object(
        "A platform-owned Gateway.",
        &[
            ("name", string(), "Gateway name."),
            ("namespace", string(), "Its namespace."),
            ("section", nullable(string()), "Listener name, if routes attach to one listener only."),
        ],
    )
}

fn identity() -> Value {
    object(
        "A workload identity on one target.",
        &[
            ("name", string(), "The logical name (`identity \"orders\"`)."),
            ("annotations", map(string()), "ServiceAccount annotations, rendered."),
            ("labels", map(string()), "Pod labels, rendered."),
        ],
    )
}

fn env() -> Value {
    object(
        "One environment variable of a container.",
        &[("name", string(), "Variable name."), ("source", reference("EnvSource"), "Where the value comes from.")],
    )
}

fn env_source() -> Value {
    json!({
        "description": "The value of an environment variable.",
        "oneOf": [
            tagged("value", "A literal (may contain `$(VAR)` references to earlier variables).", &[("value", string(), "The literal.")]),
            tagged("secret", "A key of a Secret in the namespace.", &[("name", string(), "Secret name."), ("key", string(), "Key.")]),
            tagged("config_map", "A key of a ConfigMap in the namespace.", &[("name", string(), "ConfigMap name."), ("key", string(), "Key.")]),
            tagged("pod_field", "A field of the pod (downward API `fieldPath`).", &[("path", string(), "The field path, e.g. `metadata.namespace`.")]),
        ],
    })
}

fn secret_file() -> Value {
    object(
        "One file whose content comes from the secret store.",
        &[
            ("file", string(), "File name."),
            ("key", string(), "Store key."),
            ("property", nullable(string()), "Property within the key."),
        ],
    )
}

fn files() -> Value {
    object(
        "A directory of mounted files.",
        &[
            ("path", string(), "Absolute directory."),
            ("mode", integer(), "File mode of every file (e.g. `0o440`)."),
            (
                "secrets",
                array(reference("ResolvedSecretFile")),
                "Files from the secret store: file name, store key, property.",
            ),
            ("config", map(string()), "Plain files: file name to content, sorted."),
            ("span", reference("Span"), "The `files` node."),
        ],
    )
}

fn realisation() -> Value {
    object(
        "The realisation of a backing service on one target.",
        &[
            ("mode", string_enum(&["in-cluster", "managed"]), "In-cluster or managed."),
            ("objects", array(string()), "Object templates from the library."),
            (
                "context",
                json!({"type": "object"}),
                "The template context (`name`, `namespace`, `props`, `params`, ...).",
            ),
            ("pods", map(string()), "Labels of the pods consumers connect to (in-cluster), rendered."),
            ("operator_namespace", nullable(string()), "Namespace of the operator managing those pods."),
            ("api_server", boolean(), "Whether those pods call the Kubernetes API."),
            ("span", reference("Span"), "The `realise` node in the library."),
        ],
    )
}

fn domain() -> Value {
    object(
        "A domain in one view: becomes a namespace.",
        &[
            ("name", string(), "Domain name (the output folder)."),
            ("namespace", string(), "Namespace of this domain in this environment: `<domain>-<env>`."),
            ("team", nullable(string()), "Owning team."),
            ("group", nullable(string()), "Group bound to the namespace's `edit` ClusterRole."),
            ("quota", reference("ResolvedQuota"), "Namespace quota (always present: stdlib default when not written)."),
            (
                "workloads",
                array(reference("ResolvedWorkload")),
                "Workloads enabled in this environment, in declaration order.",
            ),
            ("backing", array(reference("ResolvedBacking")), "Backing services, in declaration order."),
            ("span", reference("Span"), "The domain node."),
        ],
    )
}

fn quota() -> Value {
    object(
        "Resolved namespace quota.",
        &[
            ("cpu", string(), "CPU total, a Kubernetes quantity."),
            ("memory", string(), "Memory total."),
            ("pods", nullable(integer()), "Pod count."),
        ],
    )
}

fn workload() -> Value {
    object(
        "A workload after all layers apply.",
        &[
            ("kind", string_enum(&["service", "worker", "job"]), "Service, worker or job."),
            ("name", string(), "Name."),
            ("image", string(), "Full image reference: `registry/name:tag@digest`."),
            ("command", array(string()), "Container command."),
            ("args", array(string()), "Container args."),
            ("schedule", nullable(string()), "Cron schedule (jobs)."),
            ("ports", array(reference("ResolvedPort")), "Ports in declaration order."),
            ("expose", array(reference("ResolvedExpose")), "Public exposures."),
            (
                "health",
                nullable(reference("ResolvedHealth")),
                "Health probe, if any (`health`, the short form, as written).",
            ),
            ("readiness", nullable(reference("ResolvedHealth")), "Readiness probe: `readiness`, else from `health`."),
            ("liveness", nullable(reference("ResolvedHealth")), "Liveness probe: `liveness`, else from `health`."),
            ("startup", nullable(reference("ResolvedHealth")), "Startup probe (`startup`)."),
            ("resources", reference("ResolvedResources"), "Requests and limits."),
            ("replicas", integer(), "Fixed replica count (ignored when `scale` is set; HPA owns replicas then)."),
            ("scale", nullable(reference("ResolvedScale")), "Autoscaling."),
            ("config", map(string()), "Config entries for the ConfigMap, sorted by key (those without `$(VAR)`)."),
            (
                "composed",
                array(reference("ResolvedEnv")),
                "Config entries that name other variables as `$(VAR)`: `env` entries after every other variable, each after those it names.",
            ),
            ("pod_env", array(reference("ResolvedEnv")), "Variables from the pod (`from-pod`), in declaration order."),
            ("secrets", array(reference("ResolvedSecret")), "Secret references, in declaration order."),
            ("uses", array(reference("ResolvedUse")), "Bound dependencies."),
            ("writable", array(string()), "Extra writable paths (emptyDir)."),
            ("files", array(reference("ResolvedFiles")), "Directories of read-only files, in declaration order."),
            (
                "egress",
                array(reference("ResolvedEgress")),
                "Allowed endpoints outside the cluster, in declaration order.",
            ),
            (
                "bindings",
                array(reference("ResolvedEnv")),
                "Connection variables of the backing services it uses and variables derived from its `uses` (`env=`, `env` children), in `uses` order.",
            ),
            (
                "identity",
                nullable(reference("ResolvedIdentity")),
                "The cloud identity its pods assume, realised for this target.",
            ),
            ("span", reference("Span"), "The workload node (provenance)."),
        ],
    )
}

fn port() -> Value {
    object(
        "A resolved port.",
        &[
            ("name", string(), "Name."),
            ("container_port", integer(), "Container port."),
            ("service_port", integer(), "Service port."),
            ("protocol", string_enum(&["http", "grpc", "tcp", "udp"]), "Application protocol."),
            ("metrics", boolean(), "Whether the monitoring namespace may scrape this port."),
        ],
    )
}

fn egress() -> Value {
    object(
        "An allowed endpoint outside the cluster.",
        &[
            ("host", string(), "Host name."),
            ("port", integer(), "TCP port."),
            ("cidr", nullable(string()), "Address range, when written."),
            ("span", reference("Span"), "The `egress` node."),
        ],
    )
}

fn expose() -> Value {
    object(
        "A resolved exposure.",
        &[
            ("host", string(), "Host name."),
            ("path", string(), "Path prefix."),
            ("port", string(), "Port name on the Service."),
            ("internal", boolean(), "Reachable from the private network only."),
            ("span", reference("Span"), "The `expose` node."),
        ],
    )
}

fn health() -> Value {
    object(
        "A resolved health probe.",
        &[
            ("check", reference("HealthCheck"), "What to probe."),
            ("port", string(), "Port name."),
            ("port_number", integer(), "Container port number (gRPC probes need a number)."),
            ("initial_delay", integer(), "Initial delay (s); for `health`, of the liveness probe."),
            ("period", integer(), "Period (s)."),
            ("timeout", integer(), "Timeout (s)."),
            ("failure_threshold", integer(), "Failed probes in a row before the probe fails."),
            (
                "headers",
                array(json!({"type": "array", "items": string(), "minItems": 2, "maxItems": 2})),
                "HTTP headers, in order.",
            ),
        ],
    )
}

fn health_check() -> Value {
    json!({
        "description": "Health check kinds, tagged by `type`.",
        "oneOf": [
            tagged("http", "HTTP GET on a path.", &[("path", string(), "The path.")]),
            tagged("grpc", "gRPC health protocol.", &[]),
            tagged("tcp", "TCP connect.", &[]),
        ],
    })
}

fn resources() -> Value {
    object(
        "Resolved requests and limits (Kubernetes quantities).",
        &[
            ("cpu", string(), "CPU request."),
            ("memory", string(), "Memory request."),
            ("cpu_limit", string(), "CPU limit."),
            ("memory_limit", string(), "Memory limit."),
        ],
    )
}

fn scale() -> Value {
    object(
        "Resolved autoscaling.",
        &[
            ("min", integer(), "Min replicas."),
            ("max", integer(), "Max replicas."),
            ("cpu_percent", integer(), "Target CPU utilisation (%)."),
        ],
    )
}

fn secret() -> Value {
    object(
        "A resolved secret reference.",
        &[
            ("env", string(), "Env var name."),
            ("key", string(), "Store key."),
            ("property", nullable(string()), "Property within the key."),
            ("span", reference("Span"), "The `secret` node."),
        ],
    )
}

fn uses() -> Value {
    object(
        "A bound `uses` edge.",
        &[
            ("target", reference("UseTarget"), "What it points at."),
            ("role", nullable(string()), "Role (`producer`, `consumer`)."),
            (
                "prefix",
                nullable(string()),
                "Prefix of the connection variables of a backing service (`prefix=\"ARCHIVE_\"`).",
            ),
            ("span", reference("Span"), "The `uses` node."),
        ],
    )
}

fn use_target() -> Value {
    json!({
        "description": "What a `uses` edge points at, tagged by `type`.",
        "oneOf": [
            tagged("workload", "A workload (service) in a domain.", &[
                ("domain", string(), "Callee domain."),
                ("name", string(), "Callee name."),
            ]),
            tagged("backing", "A backing service in a domain.", &[
                ("domain", string(), "Owning domain."),
                ("name", string(), "Backing service name."),
                ("kind", string(), "Its kind."),
            ]),
        ],
    })
}

fn backing() -> Value {
    object(
        "A backing service in one view.",
        &[
            ("kind", string(), "Kind name."),
            ("name", string(), "Declared name."),
            ("managed", boolean(), "Managed by the cloud (true) or in-cluster (false)."),
            ("stateful", boolean(), "Whether the kind is stateful."),
            (
                "port",
                nullable(json!({"type": "integer", "minimum": 0, "maximum": 65535})),
                "Port consumers connect to (the realisation's `port`, else the kind's).",
            ),
            ("properties", map(reference("Value")), "All properties, kind defaults applied, sorted by name."),
            ("realisation", reference("ResolvedRealisation"), "How it runs on this target."),
            ("binding", array(reference("ResolvedEnv")), "What a consumer gets, in the kind's order."),
            ("span", reference("Span"), "The declaration node."),
        ],
    )
}

fn scalar() -> Value {
    json!({
        "description": "A scalar value as written.",
        "type": ["string", "integer", "number", "boolean"],
    })
}

fn span() -> Value {
    object(
        "A byte range in one source file (the spec, a stdlib file or a user library file).",
        &[
            ("file", json!({"type": "integer", "minimum": 0}), "Index of the file in the compilation's sources."),
            ("offset", json!({"type": "integer", "minimum": 0}), "Byte offset of the first byte."),
            ("len", json!({"type": "integer", "minimum": 0}), "Length in bytes."),
        ],
    )
}

/// A closed object whose fields are all required (optional ones are nullable).
fn object(description: &str, fields: &[(&str, Value, &str)]) -> Value {
    let mut properties = Map::new();
    for (name, schema, field_description) in fields {
        let mut schema = schema.clone();
        if let Value::Object(map) = &mut schema {
            map.insert("description".to_owned(), json!(field_description));
        }
        properties.insert((*name).to_owned(), schema);
    }
    let required: Vec<&str> = fields.iter().map(|(name, _, _)| *name).collect();
    json!({
        "description": description,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

/// One variant of an enum with data: an object with `type` set to `tag`.
fn tagged(tag: &str, description: &str, fields: &[(&str, Value, &str)]) -> Value {
    let mut all = vec![("type", json!({"const": tag}), "The variant.")];
    all.extend(fields.iter().cloned());
    object(description, &all)
}

fn string() -> Value {
    json!({"type": "string"})
}

fn integer() -> Value {
    json!({"type": "integer"})
}

fn boolean() -> Value {
    json!({"type": "boolean"})
}

fn string_enum(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

fn array(items: Value) -> Value {
    json!({"type": "array", "items": items})
}

fn map(values: Value) -> Value {
    json!({"type": "object", "additionalProperties": values})
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/$defs/{name}")})
}

fn nullable(schema: Value) -> Value {
    json!({"anyOf": [schema, {"type": "null"}]})
}

#[cfg(test)]
mod tests {
    use super::{estate_schema, estate_schema_text};
    use std::collections::BTreeMap;

    /// `schemas/berth-estate.schema.json` is what `berth schema` prints; `BERTH_UPDATE=1`
    /// rewrites it.
    #[test]
    fn committed_estate_schema_is_up_to_date() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/berth-estate.schema.json");
        let expected = estate_schema_text();
        if std::env::var_os("BERTH_UPDATE").is_some_and(|value| value == "1") {
            std::fs::write(&path, &expected).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != expected {
            let diff = similar::TextDiff::from_lines(&committed, &expected)
                .unified_diff()
                .header("schemas/berth-estate.schema.json (committed)", "generated")
                .to_string();
            panic!(
                "schemas/berth-estate.schema.json is stale; run `BERTH_UPDATE=1 cargo test -p berth estate_schema`:\n{diff}"
            );
        }
    }

    #[test]
    fn estate_schema_is_a_valid_json_schema() {
        let schema = estate_schema();
        assert!(jsonschema::meta::is_valid(&schema));
        let validator = jsonschema::validator_for(&schema).unwrap();
        let empty =
            serde_json::json!({"platform": "p", "kubernetes": "1.33", "secret_store": "s", "views": [], "span": null});
        assert!(validator.is_valid(&empty));
        assert!(!validator.is_valid(&serde_json::json!({"platform": "p"})));
    }

    /// Every struct of `resolve/types.rs` has a definition listing exactly its fields, so
    /// a field added there without a schema entry fails here.
    #[test]
    fn every_resolved_field_is_in_the_schema() {
        let source = include_str!("../resolve/types.rs");
        let mut structs: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut current: Option<String> = None;
        for line in source.lines() {
            if let Some(rest) = line.strip_prefix("pub struct ") {
                let name = rest.split_whitespace().next().unwrap().to_owned();
                structs.insert(name.clone(), Vec::new());
                current = Some(name);
            } else if line.starts_with('}') {
                current = None;
            } else if let (Some(name), Some(field)) = (&current, line.trim().strip_prefix("pub "))
                && let Some((field, _)) = field.split_once(':')
            {
                structs.get_mut(name).unwrap().push(field.to_owned());
            }
        }
        assert!(structs.len() >= 14, "{structs:?}");
        let schema = estate_schema();
        for (name, fields) in structs {
            let definition = if name == "Estate" { &schema } else { &schema["$defs"][&name] };
            let properties: Vec<String> = definition["properties"]
                .as_object()
                .unwrap_or_else(|| panic!("no schema definition for `{name}`"))
                .keys()
                .cloned()
                .collect();
            assert_eq!(properties, fields, "`{name}`");
        }
    }
}
