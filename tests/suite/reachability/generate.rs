//! Random specs as KDL text, from a fixed-seed PRNG written here (no dependency), so a
//! failure reproduces from its seed.

/// xorshift64*: small, fast, and the same on every platform.
pub struct Rng(u64);

impl Rng {
    /// A generator from a non-zero seed.
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// What was generated, besides the text.
pub struct Generated {
    /// The spec.
    pub text: String,
    /// Number of distinct workload-to-service `uses` edges written.
    pub edges: usize,
}

/// A spec with `services` services spread over a few domains, plus workers and jobs,
/// random `uses` edges (within and across domains, always to services), exposures,
/// metrics ports, UDP ports and external egress with address ranges, on one target of a
/// random cloud with two environments (so cross-environment isolation is checked too).
pub fn spec(seed: u64, services: usize) -> Generated {
    let mut rng = Rng::new(seed);
    let domains = 1 + services / 12;
    let clouds = ["openshift", "onprem", "eks", "aks"];
    let cloud = clouds[rng.below(clouds.len())];
    let mut text = format!(
        "// generated: seed {seed}, {services} services\nplatform \"gen\" {{\n    registry \"registry.example.internal/gen\"\n}}\n\n"
    );
    text.push_str(&format!("target \"t\" cloud=\"{cloud}\" {{\n    dns \"apps.example.internal\"\n"));
    if cloud == "onprem" {
        text.push_str("    ingress-namespace \"traefik\"\n    ingress-label \"app.kubernetes.io/name\" \"traefik\"\n");
        text.push_str(
            "    monitoring-namespace \"monitoring\"\n    monitoring-label \"app.kubernetes.io/name\" \"prometheus\"\n",
        );
    }
    text.push_str("}\n\nenvironment \"dev\" target=\"t\"\nenvironment \"prod\" target=\"t\"\n\n");

    // (domain, name) of every service, assigned round-robin.
    let names: Vec<(usize, String)> = (0..services).map(|i| (i % domains, format!("svc{i}"))).collect();
    let mut edges = 0;
    let mut uses = |rng: &mut Rng, domain: usize, me: Option<&str>, text: &mut String| {
        let mut chosen: Vec<usize> = Vec::new();
        for _ in 0..rng.below(4) {
            let pick = rng.below(names.len());
            let (callee_domain, callee) = &names[pick];
            if Some(callee.as_str()) == me || chosen.contains(&pick) {
                continue;
            }
            chosen.push(pick);
            edges += 1;
            if *callee_domain == domain {
                text.push_str(&format!("        uses \"{callee}\"\n"));
            } else {
                text.push_str(&format!("        uses \"d{callee_domain}/{callee}\"\n"));
            }
        }
    };
    for domain in 0..domains {
        text.push_str(&format!("domain \"d{domain}\" team=\"team{domain}\" {{\n"));
        for (_, name) in names.iter().filter(|(d, _)| *d == domain) {
            text.push_str(&format!("    service \"{name}\" {{\n        image \"{name}\" tag=\"1.0.0\"\n"));
            text.push_str("        port \"http\" 8080\n        health \"/healthz\"\n");
            text.push_str("        resources cpu=\"100m\" memory=\"128Mi\"\n");
            if rng.chance(30) {
                text.push_str("        port \"grpc\" 9090 protocol=\"grpc\"\n");
            }
            if rng.chance(20) {
                text.push_str("        port \"stats\" 8125 protocol=\"udp\"\n");
            }
            if rng.chance(40) {
                text.push_str("        port \"metrics\" 9100 metrics=#true\n");
            }
            if rng.chance(25) {
                text.push_str("        expose \"/\"\n");
            }
            if rng.chance(10) {
                text.push_str("        egress \"api.partner.example.com\" port=443 cidr=\"203.0.113.0/24\"\n");
            }
            uses(&mut rng, domain, Some(name), &mut text);
            if rng.chance(10) {
                text.push_str("        in \"prod\" {\n            enabled #false\n        }\n");
            }
            text.push_str("    }\n");
        }
        if rng.chance(60) {
            text.push_str(&format!("    worker \"worker{domain}\" {{\n        image \"w\" tag=\"1.0.0\"\n"));
            text.push_str("        resources cpu=\"100m\" memory=\"128Mi\"\n");
            if rng.chance(50) {
                text.push_str("        port \"metrics\" 9100 metrics=#true\n");
            }
            uses(&mut rng, domain, None, &mut text);
            text.push_str("    }\n");
        }
        if rng.chance(40) {
            text.push_str(&format!(
                "    job \"job{domain}\" schedule=\"0 3 * * *\" {{\n        image \"j\" tag=\"1.0.0\"\n"
            ));
            text.push_str("        resources cpu=\"100m\" memory=\"128Mi\"\n");
            uses(&mut rng, domain, None, &mut text);
            text.push_str("    }\n");
        }
        text.push_str("}\n\n");
    }
    Generated { text, edges }
}
