//! Helm charts that render exactly what the build writes: one per target and domain
//! (`charts/<target>/<domain>/`), and one umbrella chart per environment and target
//! (`charts/<target>/umbrella.<env>/`) with the domain charts as dependencies.
//!
//! In: the Kubernetes objects of the emitters before it ([`ArtifactTree`]), when the
//! platform has a `helm` node, and the library's `chart-template`s. Out: text artifacts
//! (`Chart.yaml`, values files, the values schema, templates, notes and a README); every
//! file but the schema is written by a library template ([`render`]) from a context Berth
//! builds. A domain chart is derived from the objects of
//! every environment on its target ([`derive`]): what they share is literal, what differs
//! comes from `values-<env>.yaml`, so `helm template -f values-<env>.yaml` gives back the
//! environment's objects (plus Helm's `helm.sh/chart` label).

mod derive;
mod files;
mod render;
mod values;
mod yaml;

use crate::diag::{Diagnostics, Span};
use crate::emit::{Artifact, ArtifactTree, Body, Format, Scope};
use crate::resolve::Estate;
use derive::{Deriver, SHORT_KEYS, Slot};
use render::Templates;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The top-level folder of the charts.
pub const FOLDER: &str = "charts";

/// The values key of a domain's own objects (namespace, quota, default-deny policy): not a
/// DNS label, so no workload can take it.
pub const DOMAIN_OWNER: &str = "domainObjects";

/// The objects of one domain on one target: per environment (in promotion order), the
/// artifacts by object key.
struct Group<'a> {
    envs: Vec<String>,
    /// The domain node of the first environment (origin of the chart's files).
    origin: Span,
    objects: Vec<BTreeMap<String, &'a Artifact>>,
}

/// Emit the charts of every target and domain, and the umbrella charts.
pub fn emit(diags: &mut Diagnostics, estate: &Estate, tree: &ArtifactTree) -> Vec<Artifact> {
    let Some(version) = &estate.helm else { return Vec::new() };
    let mut templates = Templates::new(&estate.chart_templates, estate.span);
    let mut groups: BTreeMap<(String, String), Group<'_>> = BTreeMap::new();
    for view in &estate.views {
        for domain in &view.domains {
            let group = groups.entry((view.target.clone(), domain.name.clone())).or_insert_with(|| Group {
                envs: Vec::new(),
                origin: domain.span,
                objects: Vec::new(),
            });
            group.envs.push(view.env.clone());
            group.objects.push(BTreeMap::new());
        }
    }
    for artifact in tree.values() {
        let (Scope::View { env, target, domain: Some(domain) }, Body::Object(_)) = (&artifact.scope, &artifact.body)
        else {
            continue;
        };
        let Some(group) = groups.get_mut(&(target.clone(), domain.clone())) else { continue };
        let Some(index) = group.envs.iter().position(|name| name == env) else { continue };
        let file = artifact.path.rsplit('/').next().unwrap_or_default();
        let stem = file.strip_suffix(".yaml").unwrap_or(file);
        let key = stem.strip_suffix(&format!("-{env}")).filter(|key| !key.is_empty()).unwrap_or(stem);
        let objects = &mut group.objects[index];
        if objects.contains_key(key) {
            objects.insert(stem.to_owned(), artifact);
        } else {
            objects.insert(key.to_owned(), artifact);
        }
    }
    let mut out = Vec::new();
    let mut umbrellas: BTreeMap<(String, String), Vec<(String, Value)>> = BTreeMap::new();
    for ((target, domain), group) in &groups {
        let chart = Chart { estate, version, target, domain, group };
        let env_values = chart.write(diags, &mut templates, &mut out);
        for (env, values) in group.envs.iter().zip(env_values) {
            umbrellas.entry((target.clone(), env.clone())).or_default().push((domain.clone(), values));
        }
    }
    for view in &estate.views {
        if let Some(domains) = umbrellas.remove(&(view.target.clone(), view.env.clone())) {
            files::umbrella(diags, &mut templates, &mut out, (estate, version, view), &domains);
        }
    }
    out
}

/// One domain chart being written.
struct Chart<'a> {
    estate: &'a Estate,
    version: &'a str,
    target: &'a str,
    domain: &'a str,
    group: &'a Group<'a>,
}

impl Chart<'_> {
    fn folder(&self) -> String {
        format!("{FOLDER}/{}/{}", self.target, self.domain)
    }

    /// Render chart file `template` into `name`, if it renders.
    fn file(
        &self,
        diags: &mut Diagnostics,
        templates: &mut Templates<'_>,
        out: &mut Vec<Artifact>,
        (template, name, format): (&str, &str, Format),
        context: &Value,
    ) {
        let subject = format!(" for chart {} on target {}", self.domain, self.target);
        let Some(text) = templates.render(diags, template, &subject, context) else { return };
        out.push(Artifact {
            path: format!("{}/{name}", self.folder()),
            origin_label: format!("domain {}", self.domain),
            origin: self.group.origin,
            scope: Scope::Estate,
            body: Body::Text { format, text },
        });
    }

    /// Write the chart; returns each environment's values (for the umbrella charts).
    fn write(&self, diags: &mut Diagnostics, templates: &mut Templates<'_>, out: &mut Vec<Artifact>) -> Vec<Value> {
        let envs = &self.group.envs;
        let base = files::chart_context(self.estate, self.version, self.domain, self.target, envs);
        let leaves = self.objects(diags, templates, out, &base);
        let values = values::Values::new(envs, &leaves);
        let context = files::with(
            &base,
            json!({"environment": null, "document": yaml::document(&values.defaults), "values": values.defaults}),
        );
        self.file(diags, templates, out, ("values", "values.yaml", Format::Yaml), &context);
        for (env, env_values) in envs.iter().zip(&values.per_env) {
            let context = files::with(
                &base,
                json!({"environment": env, "document": yaml::document(env_values), "values": env_values}),
            );
            self.file(diags, templates, out, ("values", &format!("values-{env}.yaml"), Format::Yaml), &context);
        }
        let schema = values::schema(envs, &leaves);
        let schema_text = serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n";
        out.push(Artifact {
            path: format!("{}/values.schema.json", self.folder()),
            origin_label: format!("domain {}", self.domain),
            origin: self.group.origin,
            scope: Scope::Estate,
            body: Body::Text { format: Format::Json, text: schema_text },
        });
        self.file(diags, templates, out, ("chart", "Chart.yaml", Format::HelmChart), &base);
        self.file(diags, templates, out, ("helpers", "templates/_helpers.tpl", Format::HelmTemplate), &base);
        let notes = files::with(&base, files::notes(envs, &self.group.objects));
        self.file(diags, templates, out, ("notes", "templates/NOTES.txt", Format::HelmTemplate), &notes);
        let readme = files::with(&base, files::readme(&leaves));
        self.file(diags, templates, out, ("readme", "README.md", Format::Markdown), &readme);
        values.per_env
    }

    /// Write the template of every object (the `object` chart template around the object's
    /// derived YAML); returns the values found.
    fn objects(
        &self,
        diags: &mut Diagnostics,
        templates: &mut Templates<'_>,
        out: &mut Vec<Artifact>,
        base: &Value,
    ) -> Vec<derive::Leaf> {
        let envs = &self.group.envs;
        let mut keys: Vec<&String> = Vec::new();
        for objects in &self.group.objects {
            for key in objects.keys() {
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
        keys.sort();
        // How many objects of each kind an owner has: one gets the short paths.
        let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut firsts = Vec::new();
        for key in &keys {
            let Some(first) = self.group.objects.iter().find_map(|objects| objects.get(*key)) else { continue };
            let owner = owner(first);
            *counts.entry((owner.clone(), first.kind().to_owned())).or_default() += 1;
            firsts.push((*key, *first, owner));
        }
        let mut deriver = Deriver { envs, leaves: Vec::new(), claimed: BTreeMap::new() };
        let ctx = yaml::Ctx { chart: self.domain };
        let subject = format!(" for chart {} on target {}", self.domain, self.target);
        for (key, first, owner) in firsts {
            let kind = first.kind();
            let camel = lower_camel(kind);
            let count = counts.get(&(owner.clone(), kind.to_owned())).copied().unwrap_or(1);
            let short = count == 1 && !SHORT_KEYS.contains(&camel.as_str());
            let slot_name = if short { camel } else { key.clone() };
            let slot = Slot { owner: &owner, slot: &slot_name, kind, short, workload: owner != DOMAIN_OWNER };
            let versions: Vec<Option<&Value>> =
                self.group.objects.iter().map(|objects| objects.get(key).and_then(|a| a.object())).collect();
            let node = deriver.object(&slot, &versions);
            let enabled = versions
                .iter()
                .any(Option::is_none)
                .then(|| vec![owner.clone(), slot_name.clone(), "enabled".to_owned()]);
            let context = files::with(
                base,
                json!({
                    "key": key,
                    "kind": kind,
                    "owner": owner,
                    "slot": slot_name,
                    "enabled": enabled,
                    "body": yaml::template(&ctx, &node),
                }),
            );
            let Some(text) = templates.render(diags, "object", &subject, &context) else { continue };
            out.push(Artifact {
                path: format!("{}/templates/{key}.yaml", self.folder()),
                origin_label: first.origin_label.clone(),
                origin: first.origin,
                scope: Scope::Estate,
                body: Body::Text { format: Format::HelmTemplate, text },
            });
        }
        deriver.leaves
    }
}

/// The values key of an object's owner: the workload or backing service of its origin
/// (`service order/order-api` -> `order-api`), or [`DOMAIN_OWNER`].
fn owner(artifact: &Artifact) -> String {
    match artifact.origin_label.split_once(' ').and_then(|(_, name)| name.rsplit_once('/')) {
        Some((_, name)) if !name.is_empty() => name.to_owned(),
        _ => DOMAIN_OWNER.to_owned(),
    }
}

/// `HorizontalPodAutoscaler` -> `horizontalPodAutoscaler`.
fn lower_camel(kind: &str) -> String {
    let mut chars = kind.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}
