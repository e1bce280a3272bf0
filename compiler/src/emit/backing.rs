//! Backing services: the objects of each declaration's realisation on its target.
//!
//! In: the resolved [`Estate`]; each [`ResolvedBacking`] carries the `realise` block the
//! resolver chose (in-cluster operator resources, or the cloud controller's managed
//! resources) with its template context. Out: one [`Artifact`] per rendered object at
//! `<env>/<target>/<domain>/<kind>-<name>.yaml`, in the domain's namespace, with Berth's
//! standard labels added; the realisation's `monitor` too on a target with a
//! `monitoring-namespace`. The templates are library data (`stdlib/kinds/*.kdl` or a
//! `--lib` folder): this module knows no kind, controller or cloud.

use crate::diag::Diagnostics;
use crate::emit::errors::EmitError;
use crate::emit::{Artifact, Body, common};
use crate::resolve::{Estate, ResolvedBacking, ResolvedDomain, View};
use crate::template;
use serde_json::Value;

/// Emit the realisation objects of every backing service of every view.
pub fn emit(diags: &mut Diagnostics, estate: &Estate) -> Vec<Artifact> {
    let mut out = Vec::new();
    // A broken template is reported once, not once per view.
    let mut reported = std::collections::BTreeSet::new();
    for view in &estate.views {
        for domain in &view.domains {
            for backing in &domain.backing {
                objects(diags, estate, view, domain, backing, &mut reported, &mut out);
            }
        }
    }
    out
}

fn objects(
    diags: &mut Diagnostics,
    estate: &Estate,
    view: &View,
    domain: &ResolvedDomain,
    backing: &ResolvedBacking,
    reported: &mut std::collections::BTreeSet<crate::diag::Span>,
    out: &mut Vec<Artifact>,
) {
    let realisation = &backing.realisation;
    let labels = common::backing_labels(&estate.platform, view, backing);
    let mut context = realisation.context.clone();
    if let Some(map) = context.as_object_mut() {
        map.insert("labels".to_owned(), serde_json::to_value(&labels).unwrap_or(Value::Null));
    }
    let mut broken = |span: crate::diag::Span, reason: String| {
        if reported.insert(span) {
            let error = EmitError::Template {
                kind: backing.kind.clone(),
                mode: realisation.mode.as_str(),
                target: view.target.clone(),
                reason,
                span,
            };
            diags.at(span, error);
        }
    };
    // The exporter's monitor, where Prometheus runs (the prometheus-operator's CRDs).
    let monitor = realisation.monitor.iter().filter(|_| view.profile.monitoring_namespace.is_some());
    for template_text in realisation.objects.iter().chain(monitor) {
        // An object only some declarations need renders nothing for the others.
        let mut object = match template::render_optional_object(&template_text.value, &context) {
            Ok(Some(object)) => object,
            Ok(None) => continue,
            Err(reason) => {
                broken(template_text.span, reason);
                continue;
            }
        };
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or_default().to_owned();
        let name = object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_owned();
        if kind.is_empty() || name.is_empty() || object.get("apiVersion").and_then(Value::as_str).is_none() {
            broken(template_text.span, "the object needs `apiVersion`, `kind` and `metadata.name` strings".to_owned());
            continue;
        }
        common::place(&mut object, &domain.namespace, &labels);
        out.push(Artifact {
            path: common::artifact_path(view, &domain.name, &kind, &name),
            origin_label: common::backing_origin(domain, backing),
            origin: backing.span,
            scope: common::domain_scope(view, &domain.name),
            body: Body::Object(object),
        });
    }
}
