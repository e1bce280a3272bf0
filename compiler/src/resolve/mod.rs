//! Resolution: spec + library become one concrete [`View`] per (environment, target).
//!
//! In: the user's [`Spec`] and the [`Library`]. Out: [`Estate`].
//! Layers apply in this order: stdlib `defaults`, the target's cloud profile, the target's
//! own facts, the environment, then the workload's `in "<env>"` blocks. This stage binds
//! every name (targets, clouds, environments, `uses`, backing kinds) and reports each
//! problem once, however many views it affects. It never sees a KDL node.

mod errors;
mod layer;
mod library;
mod realise;
mod types;

pub use errors::ResolveError;
pub use library::Library;
pub use types::*;

use crate::diag::{Diagnostics, Span, Spanned};
use crate::model::{
    BackingService, CloudProfile, Domain, Environment, ProfileFacts,
    PropertyType, Spec, Target, Value, Workload, WorkloadKind, WorkloadSettings,
};
use realise::Scope;
use std::collections::{BTreeMap, BTreeSet};

/// Kubernetes minor versions Berth can emit for (the bundled schemas cover these).
pub const SUPPORTED_KUBERNETES: &[&str] =
    &["1.30", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37"];

/// Warn about the nodes of a user library file that only a spec may hold (`platform`,
/// `target`, `environment`, `domain`, `waive`): the library is read for its `cloud`,
/// `backing-kind`, `defaults` and `policy` nodes only, so these would be ignored.
pub fn warn_spec_nodes_in_library(diags: &mut Diagnostics, library: &Spec) {
    let mut found: Vec<(&'static str, Span)> = Vec::new();
    found.extend(library.platform.iter().map(|p| ("platform", p.span)));
    found.extend(library.targets.iter().map(|t| ("target", t.span)));
    found.extend(library.environments.iter().map(|e| ("environment", e.span)));
    found.extend(library.domains.iter().map(|d| ("domain", d.span)));
    found.extend(library.waivers.iter().map(|w| ("waive", w.span)));
    for (node, span) in found {
        diags.at(span, ResolveError::SpecNodeInLibrary { node, span });
    }
}

/// Resolve a lowered spec against the library, pushing every problem found.
pub fn resolve(diags: &mut Diagnostics, spec: &Spec, library: &Library) -> Estate {
    let mut ctx = Ctx { diags, library, reported: BTreeSet::new(), platform: String::new(), secret_store: String::new() };
    ctx.estate(spec)
}

/// Private state: the sink, the library and what was already reported, so an error in a
/// workload shared by five views is shown once.
struct Ctx<'a> {
    diags: &'a mut Diagnostics,
    library: &'a Library,
    reported: BTreeSet<(Span, String)>,
    /// Platform name, for templates.
    platform: String,
    /// ClusterSecretStore name, for templates.
    secret_store: String,
}

/// A declared entity a `uses` can point at.
#[derive(Clone)]
enum Entity<'s> {
    Workload(&'s Workload),
    Backing(&'s BackingService),
}

impl Ctx<'_> {
    fn error(&mut self, span: Span, error: ResolveError) {
        let key = (span, error.to_string());
        if self.reported.insert(key) {
            self.diags.at(span, error);
        }
    }

    fn estate(&mut self, spec: &Spec) -> Estate {
        let Some(platform) = &spec.platform else {
            self.diags.push(None, ResolveError::MissingPlatform);
            return Estate::default();
        };
        let kubernetes = self.kubernetes_version(spec);
        let secret_store =
            platform.secret_store.as_ref().map_or_else(|| "default".to_owned(), |s| s.value.clone());
        if spec.environments.is_empty() {
            self.diags.push(None, ResolveError::MissingEnvironment);
        }
        self.platform = platform.name.value.clone();
        self.secret_store = secret_store.clone();

        let env_names: Vec<&str> = spec.environments.iter().map(|e| e.name.value.as_str()).collect();
        self.check_override_envs(spec, &env_names);
        let entities = entity_index(spec);
        self.check_uses(spec, &entities);

        let profiles: BTreeMap<&str, Option<ResolvedProfile>> = spec
            .targets
            .iter()
            .map(|target| (target.name.value.as_str(), self.profile(target, platform.registry.as_ref())))
            .collect();

        let mut views = Vec::new();
        for (env_index, environment) in spec.environments.iter().enumerate() {
            for target_name in &environment.targets {
                let Some(profile) = profiles.get(target_name.value.as_str()) else {
                    let help = suggest(&target_name.value, spec.targets.iter().map(|t| t.name.value.as_str()));
                    self.error(
                        target_name.span,
                        ResolveError::UnknownReference {
                            what: "target",
                            name: target_name.value.clone(),
                            span: target_name.span,
                            help,
                        },
                    );
                    continue;
                };
                let Some(profile) = profile.clone() else { continue };
                views.push(self.view(spec, environment, env_index, &target_name.value, profile, &entities));
            }
        }
        Estate { platform: platform.name.value.clone(), kubernetes, secret_store, views }
    }

    fn kubernetes_version(&mut self, spec: &Spec) -> String {
        let written = spec
            .platform
            .as_ref()
            .and_then(|p| p.kubernetes.clone())
            .or_else(|| self.library.defaults.kubernetes.clone());
        match written {
            Some(version) if SUPPORTED_KUBERNETES.contains(&version.value.as_str()) => version.value,
            Some(version) => {
                self.error(
                    version.span,
                    ResolveError::KubernetesVersion { version: version.value.clone(), span: version.span },
                );
                "1.33".to_owned()
            }
            None => "1.33".to_owned(),
        }
    }

    /// Every `in "<env>"` must name a declared environment.
    fn check_override_envs(&mut self, spec: &Spec, env_names: &[&str]) {
        let mut written: Vec<&Spanned<String>> = Vec::new();
        for domain in &spec.domains {
            for workload in &domain.workloads {
                written.extend(workload.overrides.iter().map(|o| &o.env));
            }
            for backing in &domain.backing {
                written.extend(backing.overrides.iter().map(|o| &o.env));
            }
        }
        for env in written {
            if !env_names.contains(&env.value.as_str()) {
                let help = suggest(&env.value, env_names.iter().copied());
                self.error(
                    env.span,
                    ResolveError::UnknownReference {
                        what: "environment",
                        name: env.value.clone(),
                        span: env.span,
                        help,
                    },
                );
            }
        }
    }

    /// Bind every `uses` once (base settings and every `in` block).
    fn check_uses(&mut self, spec: &Spec, entities: &BTreeMap<(String, String), Entity<'_>>) {
        for domain in &spec.domains {
            for workload in &domain.workloads {
                let all_uses = workload
                    .settings
                    .uses
                    .iter()
                    .chain(workload.overrides.iter().flat_map(|o| o.settings.uses.iter()));
                for used in all_uses {
                    self.bind_use(&domain.name.value, workload, used, entities);
                }
            }
        }
    }

    fn bind_use(
        &mut self,
        domain: &str,
        workload: &Workload,
        used: &crate::model::Use,
        entities: &BTreeMap<(String, String), Entity<'_>>,
    ) -> Option<UseTarget> {
        let callee_domain = used.domain.clone().unwrap_or_else(|| domain.to_owned());
        let reference = match &used.domain {
            Some(d) => format!("{d}/{}", used.name),
            None => used.name.clone(),
        };
        match entities.get(&(callee_domain.clone(), used.name.clone())) {
            None => {
                let domain_exists = entities.keys().any(|(d, _)| *d == callee_domain);
                let help = if domain_exists {
                    let candidates = entities
                        .iter()
                        .filter(|((d, _), _)| *d == callee_domain)
                        .map(|((_, n), _)| n.as_str());
                    suggest(&used.name, candidates)
                } else {
                    let mut domains: Vec<&str> = entities.keys().map(|(d, _)| d.as_str()).collect();
                    domains.dedup();
                    format!("no domain `{callee_domain}` is declared; {}", suggest(&callee_domain, domains.into_iter()))
                };
                self.error(
                    used.span,
                    ResolveError::DanglingUses { reference, span: used.span, domain: callee_domain, help },
                );
                None
            }
            Some(Entity::Workload(callee)) if callee.kind != WorkloadKind::Service => {
                self.error(
                    used.span,
                    ResolveError::UsesNonService {
                        reference,
                        kind: callee.kind.as_str(),
                        span: used.span,
                        declared: callee.name.span,
                    },
                );
                None
            }
            Some(Entity::Workload(callee)) => {
                if callee_domain == domain && callee.name.value == workload.name.value {
                    self.error(used.span, ResolveError::SelfUse { name: reference, span: used.span });
                    return None;
                }
                Some(UseTarget::Workload { domain: callee_domain, name: used.name.clone() })
            }
            Some(Entity::Backing(backing)) if callee_domain != domain => {
                let services: Vec<&str> = entities
                    .iter()
                    .filter(|((d, _), e)| *d == callee_domain && matches!(e, Entity::Workload(w) if w.kind == WorkloadKind::Service))
                    .map(|((_, n), _)| n.as_str())
                    .collect();
                let help = match services.first() {
                    Some(first) => format!(
                        "call a service of domain `{callee_domain}` instead, e.g. `uses \"{callee_domain}/{first}\"`; a backing service is used only by its own domain"
                    ),
                    None => format!(
                        "add a `service` to domain `{callee_domain}` that serves this data and use it; a backing service is used only by its own domain"
                    ),
                };
                self.error(
                    used.span,
                    ResolveError::CrossDomainBacking {
                        reference,
                        owner: callee_domain,
                        name: used.name.clone(),
                        kind: backing.kind.value.clone(),
                        span: used.span,
                        declared: backing.name.span,
                        help,
                    },
                );
                None
            }
            Some(Entity::Backing(backing)) => Some(UseTarget::Backing {
                domain: callee_domain,
                name: used.name.clone(),
                kind: backing.kind.value.clone(),
            }),
        }
    }

    /// Layer stdlib profile facts and the target's own facts.
    fn profile(&mut self, target: &Target, platform_registry: Option<&Spanned<String>>) -> Option<ResolvedProfile> {
        let Some(cloud) = self.library.clouds.get(&target.cloud.value) else {
            let help = suggest(&target.cloud.value, self.library.clouds.keys().map(String::as_str));
            self.error(
                target.cloud.span,
                ResolveError::UnknownReference {
                    what: "cloud profile",
                    name: target.cloud.value.clone(),
                    span: target.cloud.span,
                    help,
                },
            );
            return None;
        };
        let facts = layer_facts(cloud, &target.facts);
        if facts.exposure.as_ref().is_some_and(|e| e.value == "gateway") && facts.gateway.is_none() {
            self.error(
                target.name.span,
                ResolveError::MissingGateway { target: target.name.value.clone(), cloud: cloud.name.value.clone(), span: target.name.span },
            );
        }
        let defaults = &self.library.defaults;
        // Internal exposure falls back to the external facts, with its own on top.
        let internal_gateway = facts.internal_gateway.as_ref().or(facts.gateway.as_ref()).map(resolved_gateway);
        let internal_ingress_class =
            facts.internal_ingress_class.as_ref().or(facts.ingress_class.as_ref()).map(|c| c.value.clone());
        let internal_ingress_annotations: BTreeMap<String, String> = facts
            .ingress_annotations
            .iter()
            .chain(facts.internal_ingress_annotations.iter())
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect();
        Some(ResolvedProfile {
            cloud: cloud.name.value.clone(),
            region: target.region.as_ref().map(|r| r.value.clone()),
            dns: facts.dns.map(|d| d.value),
            registry: facts.registry.map(|r| r.value).or_else(|| platform_registry.map(|r| r.value.clone())),
            exposure: facts.exposure.map_or_else(|| "ingress".to_owned(), |e| e.value),
            ingress_class: facts.ingress_class.map(|c| c.value),
            ingress_annotations: facts.ingress_annotations.into_iter().map(|(k, v)| (k, v.value)).collect(),
            storage_class: facts.storage_class.map(|s| s.value),
            fixed_uid: facts.fixed_uid.is_none_or(|f| f.value),
            run_as_user: defaults.run_as_user.as_ref().map_or(10001, |u| u.value),
            tmp_size: defaults.tmp_size.as_ref().map_or_else(|| "64Mi".to_owned(), |t| t.value.clone()),
            // The kube-dns labels are only a default for the default namespace: a profile
            // that names another DNS namespace without labels means all its pods.
            dns_labels: if facts.dns_labels.is_empty() && facts.dns_namespace.is_none() {
                BTreeMap::from([("k8s-app".to_owned(), "kube-dns".to_owned())])
            } else {
                facts.dns_labels.into_iter().map(|(k, v)| (k, v.value)).collect()
            },
            dns_namespace: facts.dns_namespace.map_or_else(|| "kube-system".to_owned(), |n| n.value),
            dns_port: facts.dns_port.and_then(|p| i32::try_from(p.value).ok()).unwrap_or(53),
            ingress_namespace: facts.ingress_namespace.map(|n| n.value),
            ingress_labels: facts.ingress_labels.into_iter().map(|(k, v)| (k, v.value)).collect(),
            monitoring_namespace: facts.monitoring_namespace.map(|n| n.value),
            monitoring_labels: facts.monitoring_labels.into_iter().map(|(k, v)| (k, v.value)).collect(),
            cni: facts.cni.map(|c| c.value),
            ingress_cidrs: facts.ingress_cidrs.into_iter().map(|c| c.value).collect(),
            managed_cidrs: facts.managed_cidrs.into_iter().map(|c| c.value).collect(),
            dns_cidrs: facts.dns_cidrs.into_iter().map(|c| c.value).collect(),
            api_server_cidrs: facts.api_server_cidrs.into_iter().map(|c| c.value).collect(),
            internal_gateway,
            gateway: facts.gateway.as_ref().map(resolved_gateway),
            internal_ingress_class,
            internal_ingress_annotations,
            params: facts.params.into_iter().map(|(k, v)| (k, v.value)).collect(),
            identity_annotations: facts.identity_annotations.into_iter().collect(),
            identity_labels: facts.identity_labels.into_iter().collect(),
            backing_managed: facts.backing_managed.map(|b| b.value),
            span: target.name.span,
        })
    }

    fn view(
        &mut self,
        spec: &Spec,
        environment: &Environment,
        env_index: usize,
        target: &str,
        profile: ResolvedProfile,
        entities: &BTreeMap<(String, String), Entity<'_>>,
    ) -> View {
        let env = environment.name.value.clone();
        let production = environment.production.as_ref().is_some_and(|p| p.value);
        let env_targets: Vec<String> = environment.targets.iter().map(|t| t.value.clone()).collect();
        let domains = spec
            .domains
            .iter()
            .map(|domain| {
                let namespace = format!("{}-{env}", domain.name.value);
                let scope = Scope {
                    env: &env,
                    production,
                    target,
                    target_span: profile.span,
                    env_targets: &env_targets,
                    profile: &profile,
                    domain: &domain.name.value,
                    namespace: &namespace,
                };
                self.domain(domain, &scope, entities)
            })
            .collect();
        View {
            env,
            env_index,
            production,
            approval: environment.approval.as_ref().map(|a| a.value.clone()),
            rollout: environment.rollout.as_ref().map_or_else(|| "rolling".to_owned(), |r| r.strategy.value.clone()),
            target: target.to_owned(),
            profile,
            domains,
            span: environment.span,
        }
    }

    fn domain(
        &mut self,
        domain: &Domain,
        scope: &Scope<'_>,
        entities: &BTreeMap<(String, String), Entity<'_>>,
    ) -> ResolvedDomain {
        let namespace = scope.namespace.to_owned();
        self.check_length(&namespace, 63, domain.name.span);
        let default_quota = self.library.defaults.quota.as_ref();
        let pick = |own: Option<&Spanned<String>>, fallback: Option<&Spanned<String>>, last: &str| {
            own.or(fallback).map_or_else(|| last.to_owned(), |q| q.value.clone())
        };
        let quota = ResolvedQuota {
            cpu: pick(
                domain.quota.as_ref().and_then(|q| q.cpu.as_ref()),
                default_quota.and_then(|q| q.cpu.as_ref()),
                "4",
            ),
            memory: pick(
                domain.quota.as_ref().and_then(|q| q.memory.as_ref()),
                default_quota.and_then(|q| q.memory.as_ref()),
                "8Gi",
            ),
            pods: domain
                .quota
                .as_ref()
                .and_then(|q| q.pods.as_ref())
                .or_else(|| default_quota.and_then(|q| q.pods.as_ref()))
                .map(|p| p.value),
        };
        let backing: Vec<ResolvedBacking> = domain.backing.iter().filter_map(|b| self.backing(b, scope)).collect();
        let workloads = domain
            .workloads
            .iter()
            .filter_map(|workload| self.workload(domain, workload, scope, &backing, entities))
            .collect();
        ResolvedDomain {
            name: domain.name.value.clone(),
            namespace,
            team: domain.team.as_ref().map(|t| t.value.clone()),
            group: domain.group.as_ref().or(domain.team.as_ref()).map(|g| g.value.clone()),
            quota,
            workloads,
            backing,
            span: domain.span,
        }
    }

    fn check_length(&mut self, name: &str, max: usize, span: Span) {
        if name.len() > max {
            self.error(
                span,
                ResolveError::GeneratedNameTooLong { name: name.to_owned(), len: name.len(), max, span },
            );
        }
    }

    #[allow(clippy::too_many_arguments, clippy::too_many_lines)]
    fn workload(
        &mut self,
        domain: &Domain,
        workload: &Workload,
        scope: &Scope<'_>,
        backings: &[ResolvedBacking],
        entities: &BTreeMap<(String, String), Entity<'_>>,
    ) -> Option<ResolvedWorkload> {
        let (env, target, namespace, profile) = (scope.env, scope.target, scope.namespace, scope.profile);
        let mut settings: WorkloadSettings = self.library.defaults.settings.clone();
        // Defaults never carry identity: ports, uses or images belong to the workload.
        layer::apply_settings(&mut settings, &workload.settings);
        for block in workload.overrides.iter().filter(|o| o.env.value == env) {
            layer::apply_settings(&mut settings, &block.settings);
        }
        if settings.enabled.as_ref().is_some_and(|e| !e.value) {
            return None;
        }
        if !self.placed_here(scope, settings.placement.as_ref()) {
            return None;
        }
        let name = workload.name.value.clone();
        let kind = workload.kind;

        let Some(image) = settings.image.as_ref() else {
            self.error(
                workload.name.span,
                ResolveError::MissingImage {
                    kind: kind.as_str(),
                    name: name.clone(),
                    span: workload.name.span,
                    env: env.to_owned(),
                },
            );
            return None;
        };
        let image = image_reference(image, profile.registry.as_deref());

        let ports = self.ports(&name, &settings);
        if kind == WorkloadKind::Service && ports.is_empty() {
            self.error(workload.name.span, ResolveError::ServiceWithoutPort { name: name.clone(), span: workload.name.span });
        }

        let mut expose = Vec::new();
        for exposure in &settings.expose {
            let Some(port) = self.port_ref(&name, &ports, exposure.port.as_ref(), "expose", exposure.span) else {
                continue;
            };
            let host = match (&exposure.host, &profile.dns) {
                (Some(host), _) => host.value.clone(),
                (None, Some(dns)) => {
                    // An internal exposure sits behind another load balancer: its own
                    // default name keeps the two DNS records apart.
                    let suffix = if exposure.internal { "-internal" } else { "" };
                    let label = format!("{name}-{namespace}{suffix}");
                    self.check_length(&label, 63, exposure.span);
                    format!("{label}.{dns}")
                }
                (None, None) => {
                    self.error(exposure.span, ResolveError::MissingHost { target: target.to_owned(), span: exposure.span });
                    continue;
                }
            };
            expose.push(ResolvedExpose {
                host,
                path: exposure.path.value.clone(),
                port: port.name.clone(),
                internal: exposure.internal,
                span: exposure.span,
            });
        }

        let defaults = &self.library.defaults;
        let initial_delay_default = defaults.probe_initial_delay.as_ref().map_or(10, |d| d.value);
        let period_default = defaults.probe_period.as_ref().map_or(10, |d| d.value);
        let health = match &settings.health {
            None => None,
            Some(health) => self.port_ref(&name, &ports, health.port.as_ref(), "health", health.span).map(|port| {
                ResolvedHealth {
                    check: health.check.value.clone(),
                    port: port.name.clone(),
                    port_number: port.container_port,
                    initial_delay: health.initial_delay.as_ref().map_or(initial_delay_default, |d| d.value),
                    period: health.period.as_ref().map_or(period_default, |p| p.value),
                }
            }),
        };

        let resources = settings.resources.clone().unwrap_or_default();
        let cpu = resources.cpu.map_or_else(|| "100m".to_owned(), |c| c.value);
        let memory = resources.memory.map_or_else(|| "128Mi".to_owned(), |m| m.value);
        let resources = ResolvedResources {
            cpu_limit: resources.cpu_limit.map_or_else(|| cpu.clone(), |c| c.value),
            memory_limit: resources.memory_limit.map_or_else(|| memory.clone(), |m| m.value),
            cpu,
            memory,
        };

        let replicas = settings.replicas.as_ref().map_or(1, |r| r.value);
        if let Some(r) = &settings.replicas
            && !(0..=10_000).contains(&r.value)
        {
            self.error(r.span, ResolveError::OutOfRange { what: "replicas", value: r.value, help: "use 0 to 10000 replicas", span: r.span });
        }
        let scale = settings.scale.as_ref().map(|scale| {
            if scale.min.value > scale.max.value {
                self.error(scale.span, ResolveError::ScaleRange { min: scale.min.value, max: scale.max.value, span: scale.span });
            }
            if scale.min.value < 1 {
                self.error(scale.min.span, ResolveError::OutOfRange { what: "scale min", value: scale.min.value, help: "an autoscaler needs at least 1 replica", span: scale.min.span });
            }
            ResolvedScale {
                min: scale.min.value,
                max: scale.max.value,
                cpu_percent: scale.cpu_percent.as_ref().map_or(80, |c| c.value),
            }
        });

        let uses: Vec<ResolvedUse> = settings
            .uses
            .iter()
            .filter_map(|used| {
                let target = self.bind_use(&domain.name.value, workload, used, entities)?;
                Some(ResolvedUse {
                    target,
                    role: used.role.as_ref().map(|r| r.value.clone()),
                    prefix: used.prefix.as_ref().map(|p| p.value.clone()),
                    span: used.span,
                })
            })
            .collect();
        self.check_cross_target(scope, &name, &uses, entities);
        let bindings = self.bindings(&name, &settings, &uses, backings);
        let identity = settings.identity.as_ref().and_then(|identity| self.identity(scope, &name, identity));

        Some(ResolvedWorkload {
            kind,
            name,
            image,
            command: settings.command.map(|c| c.value).unwrap_or_default(),
            args: settings.args.map(|a| a.value).unwrap_or_default(),
            schedule: workload.schedule.as_ref().map(|s| s.value.clone()),
            ports,
            expose,
            health,
            resources,
            replicas,
            scale,
            config: settings.config.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect(),
            secrets: settings
                .secrets
                .iter()
                .map(|s| ResolvedSecret {
                    env: s.env.value.clone(),
                    key: s.key.value.clone(),
                    property: s.property.as_ref().map(|p| p.value.clone()),
                    span: s.span,
                })
                .collect(),
            uses,
            writable: settings.writable.iter().map(|w| w.value.clone()).collect(),
            egress: settings
                .egress
                .iter()
                .filter_map(|e| {
                    Some(ResolvedEgress {
                        host: e.host.value.clone(),
                        port: self.port_number(&e.port)?,
                        cidr: e.cidr.as_ref().map(|c| c.value.clone()),
                        span: e.span,
                    })
                })
                .collect(),
            bindings,
            identity,
            span: workload.span,
        })
    }

    /// The connection variables of every backing service a workload uses here, checked
    /// against each other and against its `secret` and `config` names.
    fn bindings(
        &mut self,
        workload: &str,
        settings: &WorkloadSettings,
        uses: &[ResolvedUse],
        backings: &[ResolvedBacking],
    ) -> Vec<ResolvedEnv> {
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        for secret in &settings.secrets {
            seen.entry(secret.env.value.clone()).or_insert(secret.span);
        }
        for (key, value) in &settings.config {
            seen.entry(key.clone()).or_insert(value.span);
        }
        let mut out = Vec::new();
        let mut done: Vec<&str> = Vec::new();
        for used in uses {
            let UseTarget::Backing { name, .. } = &used.target else { continue };
            if done.contains(&name.as_str()) {
                continue;
            }
            done.push(name);
            let Some(backing) = backings.iter().find(|b| &b.name == name) else { continue };
            let binding = prefixed(&backing.binding, used.prefix.as_deref());
            let mut collided: Vec<&str> = Vec::new();
            let mut first = None;
            for env in &binding {
                if let Some(earlier) = seen.get(&env.name) {
                    first.get_or_insert(*earlier);
                    collided.push(&env.name);
                }
            }
            if let Some(first) = first {
                self.error(
                    used.span,
                    ResolveError::EnvCollision {
                        workload: workload.to_owned(),
                        variables: collided.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", "),
                        span: used.span,
                        first,
                    },
                );
                continue;
            }
            for env in binding {
                seen.insert(env.name.clone(), used.span);
                out.push(env);
            }
        }
        out
    }

    /// Report `uses` edges that leave this view's cluster: a service placed on other
    /// targets only (a warning) or a backing service placed elsewhere (an error).
    fn check_cross_target(
        &mut self,
        scope: &Scope<'_>,
        caller: &str,
        uses: &[ResolvedUse],
        entities: &BTreeMap<(String, String), Entity<'_>>,
    ) {
        if scope.env_targets.len() < 2 {
            return;
        }
        for used in uses {
            let (domain, name) = match &used.target {
                UseTarget::Workload { domain, name } | UseTarget::Backing { domain, name, .. } => (domain, name),
            };
            let placed: Option<Vec<String>> = match entities.get(&(domain.clone(), name.clone())) {
                Some(Entity::Workload(callee)) => {
                    let mut placement = callee.settings.placement.clone();
                    for block in callee.overrides.iter().filter(|o| o.env.value == scope.env) {
                        library::overlay_option(&mut placement, &block.settings.placement);
                    }
                    placement.map(|p| p.value)
                }
                Some(Entity::Backing(backing)) => backing_placement(backing, scope.env).map(|p| vec![p.value]),
                None => None,
            };
            let Some(placed) = placed else { continue };
            if placed.iter().any(|t| t == scope.target) {
                continue;
            }
            let placed: Vec<String> = placed.into_iter().filter(|t| scope.env_targets.contains(t)).collect();
            if placed.is_empty() {
                continue;
            }
            let error = match &used.target {
                UseTarget::Workload { .. } => ResolveError::CrossTargetCall {
                    caller: caller.to_owned(),
                    callee: name.clone(),
                    target: scope.target.to_owned(),
                    elsewhere: realise::words(&placed),
                    env: scope.env.to_owned(),
                    span: used.span,
                },
                UseTarget::Backing { .. } => ResolveError::CrossTargetBacking {
                    caller: caller.to_owned(),
                    backing: name.clone(),
                    target: scope.target.to_owned(),
                    placed: placed.join("`, `"),
                    env: scope.env.to_owned(),
                    span: used.span,
                },
            };
            self.error(used.span, error);
        }
    }

    fn ports(&mut self, workload: &str, settings: &WorkloadSettings) -> Vec<ResolvedPort> {
        let mut ports: Vec<ResolvedPort> = Vec::new();
        let mut seen: BTreeMap<i64, Span> = BTreeMap::new();
        for port in &settings.ports {
            if let Some(first) = seen.get(&port.container_port.value) {
                self.error(
                    port.container_port.span,
                    ResolveError::DuplicatePort {
                        what: "port number",
                        value: port.container_port.value.to_string(),
                        workload: workload.to_owned(),
                        span: port.container_port.span,
                        first: *first,
                    },
                );
                continue;
            }
            seen.insert(port.container_port.value, port.container_port.span);
            let Some(container_port) = self.port_number(&port.container_port) else { continue };
            let service_port = match &port.service_port {
                Some(p) => match self.port_number(p) {
                    Some(n) => n,
                    None => continue,
                },
                None => container_port,
            };
            ports.push(ResolvedPort {
                name: port.name.value.clone(),
                container_port,
                service_port,
                protocol: port.protocol.value,
                metrics: port.metrics,
            });
        }
        ports
    }

    fn port_number(&mut self, port: &Spanned<i64>) -> Option<i32> {
        match i32::try_from(port.value) {
            Ok(n) if (1..=65535).contains(&n) => Some(n),
            _ => {
                self.error(port.span, ResolveError::OutOfRange { what: "port", value: port.value, help: "ports are 1 to 65535", span: port.span });
                None
            }
        }
    }

    /// The named port, or the first port when none is named.
    fn port_ref<'p>(
        &mut self,
        workload: &str,
        ports: &'p [ResolvedPort],
        name: Option<&Spanned<String>>,
        node: &'static str,
        node_span: Span,
    ) -> Option<&'p ResolvedPort> {
        match name {
            None => {
                let first = ports.first();
                if first.is_none() {
                    self.error(node_span, ResolveError::NeedsPort { node, workload: workload.to_owned(), span: node_span });
                }
                first
            }
            Some(name) => {
                let found = ports.iter().find(|p| p.name == name.value);
                if found.is_none() {
                    let help = suggest(&name.value, ports.iter().map(|p| p.name.as_str()));
                    self.error(
                        name.span,
                        ResolveError::UnknownPort { port: name.value.clone(), workload: workload.to_owned(), span: name.span, help },
                    );
                }
                found
            }
        }
    }

    fn backing(&mut self, backing: &BackingService, scope: &Scope<'_>) -> Option<ResolvedBacking> {
        let env = scope.env;
        let Some(kind) = self.library.kinds.get(&backing.kind.value) else {
            let help = suggest(&backing.kind.value, self.library.kinds.keys().map(String::as_str));
            self.error(
                backing.kind.span,
                ResolveError::UnknownReference {
                    what: "backing-service kind",
                    name: backing.kind.value.clone(),
                    span: backing.kind.span,
                    help,
                },
            );
            return None;
        };
        let mut written: BTreeMap<String, Spanned<Value>> =
            backing.properties.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for block in backing.overrides.iter().filter(|o| o.env.value == env) {
            for (key, value) in &block.properties {
                written.insert(key.clone(), value.clone());
            }
        }
        // Check every property written anywhere (also in other environments' blocks) once.
        let all_written = backing
            .properties
            .iter()
            .chain(backing.overrides.iter().flat_map(|o| o.properties.iter()));
        for (key, value) in all_written {
            if key == PLACEMENT {
                if !matches!(value.value, Value::String(_)) {
                    self.error(
                        value.span,
                        ResolveError::KindPropertyType {
                            name: key.clone(),
                            kind: kind.name.value.clone(),
                            expected: "a target name",
                            example: "`placement=\"aws\"`",
                            span: value.span,
                        },
                    );
                }
                continue;
            }
            match kind.properties.iter().find(|p| &p.name.value == key) {
                None => {
                    let help = suggest(key, kind.properties.iter().map(|p| p.name.value.as_str()));
                    self.error(
                        value.span,
                        ResolveError::UnknownKindProperty {
                            name: key.clone(),
                            kind: kind.name.value.clone(),
                            service: backing.name.value.clone(),
                            span: value.span,
                            help,
                        },
                    );
                }
                Some(property) => {
                    if let Some((expected, example)) = type_mismatch(property.ty, &value.value) {
                        self.error(
                            value.span,
                            ResolveError::KindPropertyType {
                                name: key.clone(),
                                kind: kind.name.value.clone(),
                                expected,
                                example,
                                span: value.span,
                            },
                        );
                    }
                }
            }
        }
        let placement = backing_placement(backing, env).map(|p| Spanned::new(vec![p.value], p.span));
        if !self.placed_here(scope, placement.as_ref()) {
            return None;
        }
        let mut properties = BTreeMap::new();
        for property in &kind.properties {
            let name = &property.name.value;
            if let Some(value) = written.get(name) {
                properties.insert(name.clone(), value.value.clone());
            } else if let (MANAGED, Some(managed)) = (name.as_str(), scope.profile.backing_managed) {
                // The target's default sits between the kind's and the declaration's.
                properties.insert(name.clone(), Value::Bool(managed));
            } else if let Some(default) = &property.default {
                properties.insert(name.clone(), default.value.clone());
            } else if property.required {
                self.error(
                    backing.name.span,
                    ResolveError::MissingKindProperty {
                        name: name.clone(),
                        kind: kind.name.value.clone(),
                        service: backing.name.value.clone(),
                        span: backing.name.span,
                    },
                );
            }
        }
        let managed = matches!(properties.get(MANAGED), Some(Value::Bool(true)));
        let (realisation, binding, port) = self.realise(scope, kind, &backing.name, &properties, managed)?;
        Some(ResolvedBacking {
            kind: kind.name.value.clone(),
            name: backing.name.value.clone(),
            managed,
            stateful: kind.stateful,
            port,
            properties,
            realisation,
            binding,
            span: backing.span,
        })
    }
}

/// A backing service's binding with `prefix` before every variable name, and before
/// every `$(NAME)` reference to one of them in a literal value.
fn prefixed(binding: &[ResolvedEnv], prefix: Option<&str>) -> Vec<ResolvedEnv> {
    let Some(prefix) = prefix else { return binding.to_vec() };
    binding
        .iter()
        .map(|env| {
            let source = match &env.source {
                EnvSource::Value(value) => {
                    let mut value = value.clone();
                    for other in binding {
                        value = value.replace(&format!("$({})", other.name), &format!("$({prefix}{})", other.name));
                    }
                    EnvSource::Value(value)
                }
                other => other.clone(),
            };
            ResolvedEnv { name: format!("{prefix}{}", env.name), source }
        })
        .collect()
}

fn resolved_gateway(gateway: &crate::model::GatewayRef) -> ResolvedGateway {
    ResolvedGateway {
        name: gateway.name.value.clone(),
        namespace: gateway.namespace.value.clone(),
        section: gateway.section.as_ref().map(|s| s.value.clone()),
    }
}

/// The property that picks in-cluster or managed.
const MANAGED: &str = "managed";
/// The declaration property that places a backing service on one target of a hybrid
/// environment; not a kind property.
const PLACEMENT: &str = "placement";

/// `placement="<target>"` of a backing service as written for `env` (the `in` block wins).
fn backing_placement(backing: &BackingService, env: &str) -> Option<Spanned<String>> {
    let written = backing
        .overrides
        .iter()
        .filter(|o| o.env.value == env)
        .find_map(|o| o.properties.get(PLACEMENT))
        .or_else(|| backing.properties.get(PLACEMENT))?;
    match &written.value {
        Value::String(target) => Some(Spanned::new(target.clone(), written.span)),
        _ => None,
    }
}

/// Index every workload and backing service by (domain, name).
fn entity_index(spec: &Spec) -> BTreeMap<(String, String), Entity<'_>> {
    let mut index = BTreeMap::new();
    for domain in &spec.domains {
        for workload in &domain.workloads {
            index
                .entry((domain.name.value.clone(), workload.name.value.clone()))
                .or_insert(Entity::Workload(workload));
        }
        for backing in &domain.backing {
            index
                .entry((domain.name.value.clone(), backing.name.value.clone()))
                .or_insert(Entity::Backing(backing));
        }
    }
    index
}

/// Profile facts with the target's facts on top.
fn layer_facts(cloud: &CloudProfile, target: &ProfileFacts) -> ProfileFacts {
    let mut facts = cloud.facts.clone();
    library::overlay_option(&mut facts.dns, &target.dns);
    library::overlay_option(&mut facts.registry, &target.registry);
    library::overlay_option(&mut facts.exposure, &target.exposure);
    library::overlay_option(&mut facts.ingress_class, &target.ingress_class);
    library::overlay_option(&mut facts.storage_class, &target.storage_class);
    library::overlay_option(&mut facts.fixed_uid, &target.fixed_uid);
    for (key, value) in &target.ingress_annotations {
        facts.ingress_annotations.insert(key.clone(), value.clone());
    }
    library::overlay_option(&mut facts.dns_namespace, &target.dns_namespace);
    library::overlay_option(&mut facts.dns_port, &target.dns_port);
    library::overlay_option(&mut facts.ingress_namespace, &target.ingress_namespace);
    // Pod labels replace as a whole: merging the profile's DNS or controller labels with
    // a target's would select pods that match neither.
    if !target.dns_labels.is_empty() {
        facts.dns_labels = target.dns_labels.clone();
    }
    if !target.ingress_labels.is_empty() {
        facts.ingress_labels = target.ingress_labels.clone();
    }
    library::overlay_option(&mut facts.monitoring_namespace, &target.monitoring_namespace);
    if !target.monitoring_labels.is_empty() {
        facts.monitoring_labels = target.monitoring_labels.clone();
    }
    library::overlay_option(&mut facts.cni, &target.cni);
    // Load-balancer ranges replace as a whole, like pod labels: a target that names its
    // own ranges means exactly those.
    if !target.ingress_cidrs.is_empty() {
        facts.ingress_cidrs = target.ingress_cidrs.clone();
    }
    if !target.dns_cidrs.is_empty() {
        facts.dns_cidrs = target.dns_cidrs.clone();
    }
    if !target.managed_cidrs.is_empty() {
        facts.managed_cidrs = target.managed_cidrs.clone();
    }
    if !target.api_server_cidrs.is_empty() {
        facts.api_server_cidrs = target.api_server_cidrs.clone();
    }
    library::overlay_option(&mut facts.gateway, &target.gateway);
    library::overlay_option(&mut facts.internal_gateway, &target.internal_gateway);
    library::overlay_option(&mut facts.internal_ingress_class, &target.internal_ingress_class);
    for (key, value) in &target.internal_ingress_annotations {
        facts.internal_ingress_annotations.insert(key.clone(), value.clone());
    }
    for (key, value) in &target.identity_annotations {
        facts.identity_annotations.insert(key.clone(), value.clone());
    }
    for (key, value) in &target.identity_labels {
        facts.identity_labels.insert(key.clone(), value.clone());
    }
    for (key, value) in &target.params {
        facts.params.insert(key.clone(), value.clone());
    }
    library::overlay_option(&mut facts.backing_managed, &target.backing_managed);
    facts
}

/// The full image reference. A name whose first path segment looks like a registry host
/// (has a `.` or `:`, or is `localhost`) is complete; any other name gets the registry
/// prefix when one is set.
fn image_reference(image: &crate::model::Image, registry: Option<&str>) -> String {
    let name = image.name.value.as_str();
    let (repository, inline_tag) = split_tag(name);
    let has_host = repository
        .split_once('/')
        .is_some_and(|(first, _)| first.contains('.') || first.contains(':') || first == "localhost");
    let mut reference = match registry {
        Some(registry) if !has_host => format!("{}/{repository}", registry.trim_end_matches('/')),
        _ => repository.to_owned(),
    };
    if let Some(tag) = image.tag.as_ref().map(|t| t.value.as_str()).or(inline_tag) {
        reference.push(':');
        reference.push_str(tag);
    }
    if let Some(digest) = &image.digest {
        reference.push('@');
        reference.push_str(&digest.value);
    }
    reference
}

/// Split `repo:tag` at a colon after the last `/` (a colon before it is a host port).
fn split_tag(name: &str) -> (&str, Option<&str>) {
    let last_segment_start = name.rfind('/').map_or(0, |i| i + 1);
    match name.get(last_segment_start..).and_then(|segment| segment.rfind(':')) {
        Some(colon) => {
            let at = last_segment_start + colon;
            (name.get(..at).unwrap_or(name), name.get(at + 1..))
        }
        None => (name, None),
    }
}

fn type_mismatch(ty: PropertyType, value: &Value) -> Option<(&'static str, &'static str)> {
    match (ty, value) {
        (PropertyType::String | PropertyType::Quantity, Value::String(_))
        | (PropertyType::Integer, Value::Integer(_))
        | (PropertyType::Bool, Value::Bool(_)) => None,
        // A quantity may be written as a bare number: `storage=20` means 20 bytes, `cpu=2`.
        (PropertyType::Quantity, Value::Integer(_)) => None,
        (PropertyType::String, _) => Some(("a string", "`name=\"value\"`")),
        (PropertyType::Quantity, _) => Some(("a quantity", "`storage=\"20Gi\"`")),
        (PropertyType::Integer, _) => Some(("an integer", "`partitions=6`")),
        (PropertyType::Bool, _) => Some(("a boolean", "`managed=#true`")),
    }
}

/// "did you mean `x`?" for the closest candidate, or the list of known names.
pub(crate) fn suggest<'c>(name: &str, candidates: impl Iterator<Item = &'c str>) -> String {
    let candidates: Vec<&str> = candidates.collect();
    let best = candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(name, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, candidate)) => format!("did you mean `{candidate}`?"),
        None if candidates.is_empty() => "nothing of this kind is declared".to_owned(),
        None => {
            let mut sorted = candidates;
            sorted.sort_unstable();
            sorted.dedup();
            let listed: Vec<String> = sorted.iter().take(12).map(|c| format!("`{c}`")).collect();
            format!("known: {}", listed.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_tag;

    #[test]
    fn tags_split_after_the_last_slash() {
        assert_eq!(split_tag("redis:alpine"), ("redis", Some("alpine")));
        assert_eq!(split_tag("localhost:5000/app"), ("localhost:5000/app", None));
        assert_eq!(split_tag("localhost:5000/app:1.2"), ("localhost:5000/app", Some("1.2")));
        assert_eq!(split_tag("order-api"), ("order-api", None));
    }
}
