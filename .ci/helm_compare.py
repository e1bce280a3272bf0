#!/usr/bin/env python3
"""Compare the objects Helm renders with the objects `berth build` wrote.

    helm_compare.py RENDERED.yaml OBJECT_FILE_OR_DIR...

RENDERED.yaml is `helm template` output; every further argument is an object file or a
folder whose *.yaml files (but kustomization.yaml) are objects. Both sides are parsed as
YAML and compared object by object (keyed by apiVersion, kind, namespace and name), exactly,
after removing only Helm's own label `helm.sh/chart` from the rendered objects' metadata.
Exit 1 on any difference (each one printed), 0 when the two sets are equal.
"""
import os
import sys

import yaml

HELM_LABELS = ("helm.sh/chart",)


def key(obj):
    meta = obj.get("metadata") or {}
    return (obj.get("apiVersion"), obj.get("kind"), meta.get("namespace"), meta.get("name"))


def load(path):
    with open(path, encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def index(objects, where):
    out = {}
    for obj in objects:
        k = key(obj)
        if k in out:
            sys.exit(f"helm_compare: {where}: {k} twice")
        out[k] = obj
    return out


def strip_helm(obj):
    labels = (obj.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        for label in HELM_LABELS:
            labels.pop(label, None)
    return obj


def diff(a, b, path=""):
    """The first few paths where a and b differ."""
    if type(a) is not type(b):
        return [f"{path or '/'}: {a!r} != {b!r}"]
    if isinstance(a, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                out.append(f"{path}/{k}: only in {'helm' if k in a else 'berth'}")
            else:
                out.extend(diff(a[k], b[k], f"{path}/{k}"))
        return out
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out.extend(diff(x, y, f"{path}/{i}"))
        return out
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rendered = index([strip_helm(o) for o in load(sys.argv[1])], sys.argv[1])
    files = []
    for arg in sys.argv[2:]:
        if os.path.isdir(arg):
            for name in sorted(os.listdir(arg)):
                if name.endswith(".yaml") and name != "kustomization.yaml":
                    files.append(os.path.join(arg, name))
        else:
            files.append(arg)
    built = index([o for f in files for o in load(f)], " ".join(sys.argv[2:]))
    problems = []
    for k in sorted(set(rendered) | set(built), key=str):
        if k not in built:
            problems.append(f"{k}: rendered by helm, not built by berth")
        elif k not in rendered:
            problems.append(f"{k}: built by berth, not rendered by helm")
        else:
            problems.extend(f"{k} {d}" for d in diff(rendered[k], built[k]))
    for problem in problems:
        print(f"  DIFFERENT {problem}")
    print(f"helm_compare: {len(built)} berth objects, {len(rendered)} rendered, {len(problems)} differences")
    sys.exit(1 if problems else 0)


main()
