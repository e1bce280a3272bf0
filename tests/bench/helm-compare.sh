#!/usr/bin/env bash
# helm-compare.sh: `berth` against `helm template` of an equivalent generic chart, over a
# generated estate (issue 17, point 1). Not a test: it prints figures for tests/README.md.
#
#   cargo build --release -p berth -p tests
#   tests/bench/helm-compare.sh [--berth BIN] [--sizes 100,1000] [--runs 3] [--work DIR]
#
# For each size N: `gen_spec --services N`, then a values file with the same workloads
# (name, domain, image and tag, port, resources, scale, config, `uses` edges; backing
# services) and one generic chart that renders, per workload, what Berth emits for one
# environment (ServiceAccount, ConfigMap, Deployment, Service, HorizontalPodAutoscaler,
# PodDisruptionBudget, NetworkPolicy) and, per domain, a Namespace, ResourceQuota,
# LimitRange and default-deny NetworkPolicy, plus a StatefulSet or Deployment and a
# Service per backing service. Timed (median of --runs, wall and CPU from /usr/bin/time):
# `helm template` of that chart to /dev/null (Helm writes nothing), `berth check`, and
# `berth build --env dev` into a fresh folder. The object counts of both are printed, so
# the comparison can be judged: Berth's view also holds kustomizations and objects the
# generic chart does not have.
#
# helm: $HELM, else `helm` on PATH, else ~/.cache/platform-oracles/bin/helm (installed by
# ../shared/tools/check-helm or install-oracles). Without helm it says so and exits 0.
# Nothing is deleted between runs (ext4 without a journal: creating files right after
# deleting a large tree is 5-15x slower); remove --work afterwards.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
berth=$here/target/release/berth
gen_spec=$here/target/release/gen_spec
sizes=100,1000
runs=3
work=/tmp/helm-compare-$$
while [ $# -gt 0 ]; do
  case $1 in
    --berth) berth=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "usage: $0 [--berth BIN] [--sizes 100,1000] [--runs N] [--work DIR]" >&2; exit 2 ;;
  esac
done
helm=${HELM:-$(command -v helm || true)}
[ -n "$helm" ] || helm=$HOME/.cache/platform-oracles/bin/helm
if [ ! -x "$helm" ]; then
  echo "helm-compare: no helm (run ../shared/tools/install-oracles, or set HELM); nothing measured"
  exit 0
fi
for tool in "$berth" "$gen_spec"; do
  [ -x "$tool" ] || { echo "helm-compare: $tool missing: cargo build --release -p berth -p tests" >&2; exit 2; }
done
mkdir -p "$work"
echo "berth: $berth  helm: $("$helm" version --short)  runs: $runs  work: $work"

# The generic chart: every object from values, nothing specific to one service.
chart=$work/chart
mkdir -p "$chart/templates"
cat > "$chart/Chart.yaml" <<'YAML'
apiVersion: v2
name: estate
version: 0.1.0
YAML
cat > "$chart/templates/domains.yaml" <<'YAML'
{{- range $d := .Values.domains }}
---
apiVersion: v1
kind: Namespace
metadata:
  name: {{ $d.name }}
  labels: {team: {{ $d.team }}, app.kubernetes.io/managed-by: helm}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: quota, namespace: {{ $d.name }}}
spec:
  hard: {requests.cpu: {{ $d.cpu | quote }}, requests.memory: {{ $d.memory }}, pods: {{ $d.pods | quote }}}
---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: {{ $d.name }}}
spec:
  limits:
    - type: Container
      default: {cpu: 500m, memory: 512Mi}
      defaultRequest: {cpu: 100m, memory: 128Mi}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: {{ $d.name }}}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
{{- range $b := $d.backing }}
---
apiVersion: apps/v1
kind: {{ if eq $b.kind "postgres" }}StatefulSet{{ else }}Deployment{{ end }}
metadata: {name: {{ $b.name }}, namespace: {{ $d.name }}, labels: {app.kubernetes.io/name: {{ $b.name }}}}
spec:
  replicas: 1
  selector: {matchLabels: {app.kubernetes.io/name: {{ $b.name }}}}
  {{- if eq $b.kind "postgres" }}
  serviceName: {{ $b.name }}
  {{- end }}
  template:
    metadata: {labels: {app.kubernetes.io/name: {{ $b.name }}}}
    spec:
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: {{ $b.kind }}
          image: {{ $b.image }}
          ports: [{name: main, containerPort: {{ $b.port }}}]
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
---
apiVersion: v1
kind: Service
metadata: {name: {{ $b.name }}, namespace: {{ $d.name }}}
spec:
  selector: {app.kubernetes.io/name: {{ $b.name }}}
  ports: [{name: main, port: {{ $b.port }}, targetPort: main}]
{{- end }}
{{- end }}
YAML
cat > "$chart/templates/workloads.yaml" <<'YAML'
{{- range $w := .Values.workloads }}
{{- $labels := dict "app.kubernetes.io/name" $w.name "app.kubernetes.io/part-of" $w.domain "app.kubernetes.io/managed-by" "helm" }}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: {{ $w.name }}, namespace: {{ $w.domain }}, labels: {{ toJson $labels }}}
automountServiceAccountToken: false
---
apiVersion: v1
kind: ConfigMap
metadata: {name: {{ $w.name }}-config, namespace: {{ $w.domain }}, labels: {{ toJson $labels }}}
data:
  {{- range $k, $v := $w.config }}
  {{ $k }}: {{ $v | quote }}
  {{- end }}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ $w.name }}, namespace: {{ $w.domain }}, labels: {{ toJson $labels }}}
spec:
  replicas: {{ $w.min }}
  selector: {matchLabels: {app.kubernetes.io/name: {{ $w.name }}}}
  template:
    metadata:
      labels: {{ toJson $labels }}
      annotations: {checksum/config: {{ toJson $w.config | sha256sum }}}
    spec:
      serviceAccountName: {{ $w.name }}
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: {{ $w.name }}
          image: "{{ $.Values.registry }}/{{ $w.image }}:{{ $w.tag }}"
          envFrom: [{configMapRef: {name: {{ $w.name }}-config}}]
          {{- if $w.port }}
          ports: [{name: http, containerPort: {{ $w.port }}}]
          readinessProbe: {httpGet: {path: {{ $w.health }}, port: http}}
          livenessProbe: {httpGet: {path: {{ $w.health }}, port: http}}
          {{- end }}
          resources:
            requests: {cpu: {{ $w.cpu }}, memory: {{ $w.memory }}}
            limits: {memory: {{ $w.memory }}}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
{{- if $w.port }}
---
apiVersion: v1
kind: Service
metadata: {name: {{ $w.name }}, namespace: {{ $w.domain }}, labels: {{ toJson $labels }}}
spec:
  selector: {app.kubernetes.io/name: {{ $w.name }}}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: {{ $w.name }}, namespace: {{ $w.domain }}, labels: {{ toJson $labels }}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: {{ $w.name }}}
  minReplicas: {{ $w.min }}
  maxReplicas: {{ $w.max }}
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: {{ $w.cpuPercent }}}}}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: {{ $w.name }}, namespace: {{ $w.domain }}, labels: {{ toJson $labels }}}
spec:
  minAvailable: 1
  selector: {matchLabels: {app.kubernetes.io/name: {{ $w.name }}}}
{{- end }}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: {{ $w.name }}, namespace: {{ $w.domain }}, labels: {{ toJson $labels }}}
spec:
  podSelector: {matchLabels: {app.kubernetes.io/name: {{ $w.name }}}}
  policyTypes: [Ingress, Egress]
  ingress:
    {{- range $c := $w.callers }}
    - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: {{ $c.domain }}}}, podSelector: {matchLabels: {app.kubernetes.io/name: {{ $c.name }}}}}]
      ports: [{port: http}]
    {{- end }}
  egress:
    - to: [{namespaceSelector: {}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]
      ports: [{port: 53, protocol: UDP}]
    {{- range $u := $w.uses }}
    - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: {{ $u.domain }}}}, podSelector: {matchLabels: {app.kubernetes.io/name: {{ $u.name }}}}}]
    {{- end }}
{{- end }}
YAML

# Values from a gen_spec estate (its fixed layout: one statement per line).
values() {
  python3 - "$1" <<'PY'
import json, re, sys
spec = open(sys.argv[1]).read()
registry = re.search(r'registry "([^"]+)"', spec).group(1)
domains, workloads, current, domain = [], [], None, None
for line in spec.splitlines():
    s = line.strip()
    if m := re.match(r'domain "([^"]+)" team="([^"]+)"', s):
        domain = {"name": m[1], "team": m[2], "backing": []}
        domains.append(domain)
    elif m := re.match(r'quota cpu="([^"]+)" memory="([^"]+)" pods=(\d+)', s):
        domain.update(cpu=m[1], memory=m[2], pods=m[3])
    elif m := re.match(r'(service|worker) "([^"]+)"', s):
        current = {"name": m[2], "domain": domain["name"], "uses": [], "config": {}, "min": 1, "max": 1,
                   "cpuPercent": 70}
        workloads.append(current)
    elif current and (m := re.match(r'image "([^"]+)" tag="([^"]+)"', s)):
        current.update(image=m[1], tag=m[2])
    elif current and (m := re.match(r'port "[^"]+" (\d+)', s)):
        current["port"] = int(m[1])
    elif current and (m := re.match(r'health "([^"]+)"', s)):
        current["health"] = m[1]
    elif current and (m := re.match(r'resources cpu="([^"]+)" memory="([^"]+)"', s)):
        current.update(cpu=m[1], memory=m[2])
    elif current and (m := re.match(r'scale min=(\d+) max=(\d+) cpu-percent=(\d+)', s)):
        current.update(min=int(m[1]), max=int(m[2]), cpuPercent=int(m[3]))
    elif current and s.startswith("config "):
        current["config"] = dict(re.findall(r'(\w+)="([^"]*)"', s))
    elif current and (m := re.match(r'uses "([^"]+)"', s)):
        target = m[1]
        if "/" in target:
            other, name = target.split("/")
            current["uses"].append({"domain": other, "name": name})
        else:
            current["uses"].append({"domain": domain["name"], "name": target})
    elif m := re.match(r'(postgres|redis|kafka) "([^"]+)"', s):
        current = None
        kind, name = m[1], m[2]
        if kind != "kafka":
            image, port = {"postgres": ("postgres:16", 5432), "redis": ("redis:7", 6379)}[kind]
            domain["backing"].append({"kind": kind, "name": name, "image": image, "port": port})
    elif s == "}" and line.startswith("    }"):
        current = None
by_name = {(w["domain"], w["name"]): w for w in workloads}
for w in workloads:
    for u in w["uses"]:
        if (callee := by_name.get((u["domain"], u["name"]))) is not None:
            callee.setdefault("callers", []).append({"domain": w["domain"], "name": w["name"]})
for w in workloads:
    w.setdefault("callers", [])
json.dump({"registry": registry, "domains": domains, "workloads": workloads}, sys.stdout)
PY
}

# Median wall, with its CPU, of `runs` runs of "$@" ({} in an argument: the run's index).
timed() {
  local results=() i
  for i in $(seq 1 "$runs"); do
    local args=("${@//\{\}/$i}")
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "${args[@]}" >/dev/null 2>&1 || { echo "failed: ${args[*]}" >&2; exit 1; }
    results+=("$(tail -1 "$work/time")")
  done
  printf '%s\n' "${results[@]}" | sort -n | awk -v n="$runs" 'NR == int(n / 2) + 1 {
    printf "%7.3f s wall %7.3f s CPU %7.1f MiB peak\n", $1, $2 + $3, $4 / 1024 }'
}

for n in ${sizes//,/ }; do
  spec=$work/$n.kdl
  "$gen_spec" --services "$n" > "$spec"
  values "$spec" > "$work/$n-values.json"
  objects=$("$helm" template estate "$chart" -f "$work/$n-values.json" | grep -c '^kind:')
  "$berth" build "$spec" --env dev -o "$work/$n-count" 2>/dev/null
  files=$(find "$work/$n-count/dev" -name '*.yaml' ! -name kustomization.yaml | wc -l)
  echo "== $n services: helm renders $objects objects; berth's dev view has $files object files"
  printf '%-44s %s\n' "helm template (to /dev/null)" "$(timed "$helm" template estate "$chart" -f "$work/$n-values.json")"
  printf '%-44s %s\n' "berth check (all 3 environments)" "$(timed "$berth" check "$spec")"
  printf '%-44s %s\n' "berth build --env dev into a fresh folder" "$(timed "$berth" build "$spec" --env dev -o "$work/$n-dev-{}")"
done
