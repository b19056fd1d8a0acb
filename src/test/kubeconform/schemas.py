#!/usr/bin/env python3
"""Strict, standalone JSON schemas for kubeconform, made offline.

  schemas.py OUT SWAGGER_JSON [CRD_DIR...]

One file per kind and version, OUT/<group or v1>/<version>/<kind in lower case>.json (kubeconform's template
'{{ .Group }}/{{ .ResourceAPIVersion }}/{{ .ResourceKind }}.json'): from the Kubernetes OpenAPI v2 document for
the built-in kinds (each file holds the definitions it reaches), from the CRDs' openAPIV3Schema for custom kinds.
Strict: an object schema that lists properties gets additionalProperties: false unless it keeps unknown fields, so
a misspelt field fails. IntOrString and Quantity take a string or a number, as the API server accepts them.
"""
import json
import os
import sys

import yaml

# YAML 1.1's "=" (value) tag, which PyYAML's safe loader has no constructor for: a CRD enum lists "=" as a string.
yaml.SafeLoader.add_constructor("tag:yaml.org,2002:value", yaml.SafeLoader.construct_yaml_str)

INT_OR_STRING = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
QUANTITY = {"oneOf": [{"type": "string"}, {"type": "number"}]}


def strict(node):
    if isinstance(node, dict):
        if node.get("format") == "int-or-string" or node.get("x-kubernetes-int-or-string"):
            return dict(INT_OR_STRING)
        out = {k: strict(v) for k, v in node.items()}
        if "properties" in out and "additionalProperties" not in out \
                and not out.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [strict(v) for v in node]
    return node


def refs(node, found):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/"):
            found.add(ref[len("#/definitions/"):])
        for v in node.values():
            refs(v, found)
    elif isinstance(node, list):
        for v in node:
            refs(v, found)


def write(out, group, version, kind, schema):
    path = os.path.join(out, group or version, version, kind.lower() + ".json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(schema, f)


def builtin(out, swagger):
    definitions = json.load(open(swagger))["definitions"]
    definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = INT_OR_STRING
    definitions["io.k8s.apimachinery.pkg.api.resource.Quantity"] = QUANTITY
    definitions = {name: strict(d) for name, d in definitions.items()}
    count = 0
    for name, d in definitions.items():
        for gvk in d.get("x-kubernetes-group-version-kind", []):
            reached, todo = set(), {name}
            while todo:
                n = todo.pop()
                if n in reached:
                    continue
                reached.add(n)
                more = set()
                refs(definitions[n], more)
                todo |= more - reached
            schema = {"$ref": "#/definitions/" + name, "definitions": {n: definitions[n] for n in sorted(reached)}}
            write(out, gvk["group"], gvk["version"], gvk["kind"], schema)
            count += 1
    return count


def custom(out, directory):
    count = 0
    for file in sorted(os.listdir(directory)):
        if not file.endswith((".yaml", ".yml")):
            continue
        for doc in yaml.safe_load_all(open(os.path.join(directory, file))):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for v in spec["versions"]:
                schema = (v.get("schema") or {}).get("openAPIV3Schema")
                if schema:
                    write(out, spec["group"], v["name"], spec["names"]["kind"], strict(schema))
                    count += 1
    return count


def main():
    out, swagger, crd_dirs = sys.argv[1], sys.argv[2], sys.argv[3:]
    n = builtin(out, swagger)
    m = sum(custom(out, d) for d in crd_dirs)
    print(f"{n} built-in and {m} custom kinds", file=sys.stderr)


if __name__ == "__main__":
    main()
