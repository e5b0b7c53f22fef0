"""A small kustomize-compatible renderer for deploy/k8s, so the manifests can be rendered and
checked where ``kubectl``/``kustomize`` is not installed (``python -m deploy.render DIR``).

It implements only what deploy/k8s uses, the same way kustomize v5 does (tests compare the two
when kubectl is present): ``resources`` (files and kustomization directories), ``namespace``,
``labels`` (pairs, includeSelectors: false), ``images`` (newName/newTag/digest),
``configMapGenerator`` (envs, literals; behavior create/merge/replace; the content-hash name
suffix and the references to it in pod specs) and ``generatorOptions.disableNameSuffixHash``.
Any other key is refused rather than silently ignored.
"""
from __future__ import annotations

import copy
import hashlib
import json
import sys
from pathlib import Path
from typing import Any, Iterator

import yaml

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "labels", "images", "configMapGenerator",
             "generatorOptions"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
                  "PersistentVolume", "StorageClass", "PriorityClass"}
# kustomize's legacy output order (kinds not listed go after these, before the "last" ones)
ORDER_FIRST = ["Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition",
               "ServiceAccount", "PodSecurityPolicy", "Role", "ClusterRole", "RoleBinding",
               "ClusterRoleBinding", "ConfigMap", "Secret", "Endpoints", "Service", "LimitRange",
               "PriorityClass", "PersistentVolume", "PersistentVolumeClaim", "Deployment",
               "StatefulSet", "CronJob", "PodDisruptionBudget"]
ORDER_LAST = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]


class KustomizeError(Exception):
    pass


# ---------------------------------------------------------------- name hash (kustomize's hasher)
def _encode(hex_digest: str) -> str:
    table = {"0": "g", "1": "h", "3": "k", "a": "m", "e": "t"}
    return "".join(table.get(c, c) for c in hex_digest[:10])


def configmap_hash(cm: dict[str, Any]) -> str:
    # kustomize v5 hashes the generated object before it is named: "name" is always "" (checked
    # against kubectl kustomize v5.5.0 by tests/test_deploy.py)
    m: dict[str, Any] = {"kind": "ConfigMap", "name": "", "data": cm.get("data") or {}}
    if cm.get("immutable"):
        m["immutable"] = True
    if cm.get("binaryData"):
        m["binaryData"] = cm["binaryData"]
    # Go's json.Marshal: sorted keys, no spaces, <>& escaped, other characters as UTF-8
    text = json.dumps(m, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return _encode(hashlib.sha256(text.encode("utf-8")).hexdigest())


# ---------------------------------------------------------------- generators
def _env_pairs(path: Path) -> list[tuple[str, str]]:
    pairs = []
    for n, raw in enumerate(path.read_text("utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise KustomizeError(f"{path}:{n}: not KEY=VALUE: {raw!r}")
        key, value = line.split("=", 1)
        pairs.append((key.strip(), value))
    return pairs


def _literal_pairs(literals: list[str]) -> list[tuple[str, str]]:
    out = []
    for item in literals:
        key, _, value = item.partition("=")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out.append((key, value))
    return out


def _generate_configmap(spec: dict[str, Any], base: Path) -> tuple[dict[str, Any], str]:
    unknown = set(spec) - {"name", "envs", "literals", "behavior", "options"}
    if unknown:
        raise KustomizeError(f"configMapGenerator keys not supported here: {sorted(unknown)}")
    data: dict[str, str] = {}
    for env_file in spec.get("envs", []):
        data.update(_env_pairs(base / env_file))
    data.update(_literal_pairs(spec.get("literals", [])))
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": spec["name"]}, "data": data}
    return cm, spec.get("behavior", "create")


# ---------------------------------------------------------------- transformers
def _pod_specs(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "Pod":
        yield spec
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        yield spec.get("template", {}).get("spec", {})
    elif kind == "CronJob":
        yield spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})


def _containers(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for pod in _pod_specs(obj):
        for key in ("initContainers", "containers"):
            yield from pod.get(key) or []


def _set_image(container: dict[str, Any], rule: dict[str, Any]) -> None:
    image = container.get("image", "")
    name, tag, digest = image, None, None
    if "@" in name:
        name, digest = name.split("@", 1)
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    if name != rule["name"]:
        return
    name = rule.get("newName", name)
    if "digest" in rule:
        container["image"] = f"{name}@{rule['digest']}"
    elif "newTag" in rule:
        container["image"] = f"{name}:{rule['newTag']}"
    else:
        container["image"] = name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def _rename_configmap_refs(obj: dict[str, Any], old: str, new: str) -> None:
    for pod in _pod_specs(obj):
        for vol in pod.get("volumes") or []:
            if (vol.get("configMap") or {}).get("name") == old:
                vol["configMap"]["name"] = new
            for src in (vol.get("projected") or {}).get("sources") or []:
                if (src.get("configMap") or {}).get("name") == old:
                    src["configMap"]["name"] = new
        for key in ("initContainers", "containers"):
            for c in pod.get(key) or []:
                for ef in c.get("envFrom") or []:
                    if (ef.get("configMapRef") or {}).get("name") == old:
                        ef["configMapRef"]["name"] = new
                for env in c.get("env") or []:
                    ref = (env.get("valueFrom") or {}).get("configMapKeyRef")
                    if ref and ref.get("name") == old:
                        ref["name"] = new


# ---------------------------------------------------------------- the build
def _load_kustomization(directory: Path) -> dict[str, Any]:
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        path = directory / name
        if path.exists():
            k = yaml.safe_load(path.read_text("utf-8")) or {}
            unknown = set(k) - SUPPORTED
            if unknown:
                raise KustomizeError(f"{path}: keys not supported by deploy/render.py: {sorted(unknown)}")
            return k
    raise KustomizeError(f"no kustomization file in {directory}")


def _build(directory: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(resources, generated ConfigMaps before hashing) of one kustomization."""
    k = _load_kustomization(directory)
    objs: list[dict[str, Any]] = []
    generated: list[dict[str, Any]] = []
    for entry in k.get("resources", []):
        path = (directory / entry).resolve()
        if path.is_dir():
            sub_objs, sub_gen = _build(path)
            objs += sub_objs
            generated += sub_gen
        else:
            objs += [d for d in yaml.safe_load_all(path.read_text("utf-8")) if d]
    for spec in k.get("configMapGenerator", []):
        cm, behavior = _generate_configmap(spec, directory)
        existing = next((g for g in generated if g["metadata"]["name"] == cm["metadata"]["name"]), None)
        if behavior == "create":
            if existing is not None:
                raise KustomizeError(f"ConfigMap {cm['metadata']['name']} generated twice (use behavior: merge)")
            generated.append(cm)
        elif existing is None:
            raise KustomizeError(f"behavior {behavior}: no ConfigMap {cm['metadata']['name']} in the bases")
        elif behavior == "merge":
            existing["data"].update(cm["data"])
        elif behavior == "replace":
            existing["data"] = cm["data"]
        else:
            raise KustomizeError(f"unknown behavior {behavior}")
    everything = objs + generated
    if "namespace" in k:
        for obj in everything:
            if obj.get("kind") not in CLUSTER_SCOPED:
                obj.setdefault("metadata", {})["namespace"] = k["namespace"]
    for rule in k.get("labels", []):
        if rule.get("includeSelectors") or rule.get("includeTemplates") or set(rule) - {"pairs", "includeSelectors", "includeTemplates"}:
            raise KustomizeError("labels: only pairs with includeSelectors: false are supported here")
        for obj in everything:
            obj.setdefault("metadata", {}).setdefault("labels", {}).update(rule["pairs"])
    for rule in k.get("images", []):
        for obj in everything:
            for c in _containers(obj):
                _set_image(c, rule)
    if (k.get("generatorOptions") or {}).get("disableNameSuffixHash"):
        for cm in generated:
            cm["metadata"].setdefault("annotations", {})["render/no-hash"] = "true"
    return objs, generated


def _sort_key(obj: dict[str, Any]) -> tuple[int, str, str, str]:
    kind = obj.get("kind", "")
    if kind in ORDER_FIRST:
        rank = ORDER_FIRST.index(kind)
    elif kind in ORDER_LAST:
        rank = 1000 + ORDER_LAST.index(kind)
    else:
        rank = len(ORDER_FIRST)
    md = obj.get("metadata", {})
    return rank, kind, md.get("namespace", ""), md.get("name", "")


def render(directory: str | Path) -> list[dict[str, Any]]:
    objs, generated = _build(Path(directory).resolve())
    objs, generated = copy.deepcopy(objs), copy.deepcopy(generated)
    for cm in generated:
        annotations = cm["metadata"].get("annotations", {})
        if annotations.pop("render/no-hash", None):
            if not annotations:
                cm["metadata"].pop("annotations")
            continue
        old = cm["metadata"]["name"]
        new = f"{old}-{configmap_hash(cm)}"
        cm["metadata"]["name"] = new
        for obj in objs:
            _rename_configmap_refs(obj, old, new)
    return sorted(objs + generated, key=_sort_key)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m deploy.render deploy/k8s/overlays/production", file=sys.stderr)
        return 2
    try:
        docs = render(args[0])
    except KustomizeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(yaml.safe_dump_all(docs, sort_keys=True, allow_unicode=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
