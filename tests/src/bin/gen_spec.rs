//! `gen_spec`: writes a large, valid, synthetic Berth spec to stdout, for benchmarks.
//!
//! In: `--services N` (default 1000), `--domains D` (default N/20, at least 1), `--seed S`.
//! Out: one KDL spec with D domains, N services and workers with `uses` edges inside
//! and across domains, one database and one cache per domain, a topic every third domain,
//! two targets and three environments (dev, stage, prod).
//! The same arguments always give the same bytes: a fixed xorshift PRNG, no clock.
//!
//! ```sh
//! cargo run -p tests --bin gen_spec -- --services 1000 > /tmp/big.kdl
//! ```

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

/// Parsed command-line options.
pub(crate) struct Options {
    /// Number of workloads (services and workers) in the whole spec.
    pub(crate) services: usize,
    /// Number of domains the workloads are spread over.
    pub(crate) domains: usize,
    /// PRNG seed; any non-zero value.
    pub(crate) seed: u64,
}

/// A tiny deterministic PRNG (xorshift64*), enough to vary the shape of the spec.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        // The modulo bias is irrelevant for synthetic data.
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }
}

fn main() -> ExitCode {
    match parse_args(std::env::args().skip(1)) {
        Ok(options) => {
            let spec = generate(&options);
            let mut stdout = std::io::stdout().lock();
            if stdout.write_all(spec.as_bytes()).and_then(|()| stdout.flush()).is_err() {
                return ExitCode::from(2);
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("gen_spec: {message}");
            eprintln!("usage: gen_spec [--services N] [--domains D] [--seed S]");
            ExitCode::from(2)
        }
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut services = 1000;
    let mut domains = None;
    let mut seed = 0x9E37_79B9_7F4A_7C15;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            let text = args.next().ok_or_else(|| format!("`{name}` needs a value"))?;
            text.parse::<u64>().map_err(|_| format!("`{name}` needs a number, got `{text}`"))
        };
        match arg.as_str() {
            "--services" => services = usize::try_from(value("--services")?).map_err(|e| e.to_string())?,
            "--domains" => domains = Some(usize::try_from(value("--domains")?).map_err(|e| e.to_string())?),
            "--seed" => seed = value("--seed")?.max(1),
            "-h" | "--help" => return Err("writes a synthetic spec to stdout".to_owned()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if services == 0 {
        return Err("`--services` must be at least 1".to_owned());
    }
    let domains = domains.unwrap_or(services / 20).clamp(1, services);
    Ok(Options { services, domains, seed })
}

/// Name of workload `index` (global numbering).
fn workload_name(index: usize) -> String {
    format!("svc-{index:05}")
}

fn domain_name(index: usize) -> String {
    format!("dom-{index:03}")
}

pub(crate) fn generate(options: &Options) -> String {
    let mut rng = Rng(options.seed);
    let mut out = String::new();
    let n_services = options.services;
    let n_domains = options.domains;
    // Workload i lives in domain i % n_domains; record the domain of each for `uses`.
    let domain_of = |index: usize| index % n_domains;

    let _ = writeln!(
        out,
        "// Synthetic spec: {n_services} workloads in {n_domains} domains (gen_spec, seed {}).",
        options.seed
    );
    out.push_str(
        r#"platform "synthetic" {
    registry "registry.example.internal/synthetic"
    kubernetes "1.33"
}

target "onprem" cloud="openshift" {
    dns "apps.ocp.example.internal"
    api-server-cidr "10.0.0.0/24"
}
target "aws" cloud="eks" region="eu-west-1" {
    dns "synthetic.example.com"
    ingress-cidr "10.20.0.0/16"
    managed-cidr "10.20.0.0/16"
    api-server-cidr "10.20.0.0/16"
    rollouts-controller #true
}

environment "dev" target="onprem"
environment "stage" target="onprem"
environment "prod" target="aws" production=#true {
    approval "release-managers"
    rollout "canary" steps="10,30,60"
}
"#,
    );

    for domain in 0..n_domains {
        let name = domain_name(domain);
        let members: Vec<usize> = (0..n_services).filter(|&i| domain_of(i) == domain).collect();
        let pods = members.len() * 12 + 20;
        let _ = writeln!(out, "\ndomain \"{name}\" team=\"team-{domain:03}\" {{");
        let _ = writeln!(
            out,
            "    quota cpu=\"{}\" memory=\"{}Gi\" pods={pods}",
            members.len() * 6 + 8,
            members.len() * 8 + 16
        );
        for (position, &index) in members.iter().enumerate() {
            let workload = workload_name(index);
            // Every fifth workload is a worker (no port), the rest are services.
            let is_worker = is_worker_at(index, n_domains);
            let _ = writeln!(out, "    {} \"{workload}\" {{", if is_worker { "worker" } else { "service" });
            let _ = writeln!(out, "        image \"{workload}\" tag=\"1.{}.{}\"", rng.below(20), rng.below(10));
            if !is_worker {
                out.push_str("        port \"http\" 8080\n");
                out.push_str("        health \"/healthz\"\n");
                if position == 0 {
                    let _ = writeln!(out, "        expose \"/api/{name}\"");
                }
            }
            let _ = writeln!(
                out,
                "        resources cpu=\"{}m\" memory=\"{}Mi\"",
                50 * (1 + rng.below(4)),
                64 * (1 + rng.below(4))
            );
            if !is_worker {
                out.push_str("        scale min=2 max=4 cpu-percent=70\n");
            }
            let _ = writeln!(out, "        config LOG_LEVEL=\"info\" SHARD=\"{}\"", rng.below(16));
            if rng.below(4) == 0 {
                let _ = writeln!(out, "        secret \"API_TOKEN\" key=\"synthetic/{name}/{workload}\"");
            }
            // Edges only to earlier services (never workers), so the graph is a DAG.
            let earlier: Vec<usize> =
                members[..position].iter().copied().filter(|&i| !is_worker_at(i, n_domains)).collect();
            if let Some(&target) = earlier.get(rng.below(earlier.len().max(1))) {
                let _ = writeln!(out, "        uses \"{}\"", workload_name(target));
            }
            if index > n_domains && rng.below(2) == 0 {
                let other = rng.below(index);
                if domain_of(other) != domain && !is_worker_at(other, n_domains) {
                    let _ =
                        writeln!(out, "        uses \"{}/{}\"", domain_name(domain_of(other)), workload_name(other));
                }
            }
            match rng.below(3) {
                0 => {
                    let _ = writeln!(out, "        uses \"{name}-db\"");
                }
                1 => {
                    let _ = writeln!(out, "        uses \"{name}-cache\"");
                }
                _ => {}
            }
            if domain % 3 == 0 {
                let role = if is_worker { "consumer" } else { "producer" };
                let _ = writeln!(out, "        uses \"{name}-events\" as=\"{role}\"");
            }
            if !is_worker {
                out.push_str("        in \"prod\" { resources cpu=\"500m\" memory=\"512Mi\"; scale min=3 max=10 cpu-percent=70 }\n");
            }
            out.push_str("    }\n");
        }
        let _ = writeln!(out, "    postgres \"{name}-db\" version=\"16\" storage=\"10Gi\" {{");
        out.push_str("        in \"prod\" storage=\"50Gi\"\n");
        out.push_str("    }\n");
        let _ = writeln!(out, "    redis \"{name}-cache\"");
        if domain % 3 == 0 {
            let _ = writeln!(out, "    kafka \"{name}-events\" partitions=6");
        }
        out.push_str("}\n");
    }
    out
}

/// Whether workload `index` is a worker: every fifth member of a domain. The members of
/// domain `d` are `d, d + n_domains, ...`, so a member's position is `index / n_domains`.
fn is_worker_at(index: usize, n_domains: usize) -> bool {
    (index / n_domains.max(1)) % 5 == 4
}
