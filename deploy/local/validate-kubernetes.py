"""Validates the Kubernetes manifests offline: every overlay is built with `kubectl kustomize` (where
kubectl is installed; otherwise each manifest file of the base and the overlays is checked as it is,
patches left out, and the script says so); core objects are checked with kubernetes-validate (strict: no unknown fields), and custom resources
(RabbitmqCluster, ScaledObject, TriggerAuthentication, ServiceMonitor) against the openAPIV3Schema of
their published CRDs, vendored under deploy/kubernetes/crds, with unknown fields refused. Any other
kind is an error."""
import glob
import os
import shutil
import subprocess
import sys

import jsonschema
import kubernetes_validate
import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kubernetes")
KUBERNETES_VERSION = "1.33.0"


def strict(schema):
    """The schema with unknown fields refused, as the API server's strict field validation does: an
    object that lists its properties and neither allows nor preserves others takes no others."""
    if isinstance(schema, dict):
        schema = {key: strict(value) for key, value in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema \
                and not schema.get("x-kubernetes-preserve-unknown-fields"):
            schema["additionalProperties"] = False
    elif isinstance(schema, list):
        schema = [strict(item) for item in schema]
    return schema


def crd_schemas():
    """(apiVersion, kind) -> the served version's schema, from the vendored CRDs."""
    schemas = {}
    for path in glob.glob(os.path.join(ROOT, "crds", "*.yaml")):
        with open(path) as f:
            crd = yaml.safe_load(f)
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version.get("served"):
                schemas[(f"{group}/{version['name']}", kind)] = strict(version["schema"]["openAPIV3Schema"])
    return schemas


def overlay_objects(overlay):
    """The objects an overlay yields: built by kustomize, or without kubectl the manifest files of the
    overlay and the base as written (what kustomize would patch or generate is not checked then)."""
    if shutil.which("kubectl"):
        built = subprocess.run(["kubectl", "kustomize", overlay], check=True, capture_output=True, text=True).stdout
        return [d for d in yaml.safe_load_all(built) if d]
    documents = []
    for directory in (overlay, os.path.join(ROOT, "base")):
        with open(os.path.join(directory, "kustomization.yaml")) as f:
            kustomization = yaml.safe_load(f)
        for resource in kustomization.get("resources", []):
            path = os.path.join(directory, resource)
            if os.path.isfile(path):
                with open(path) as f:
                    documents += [d for d in yaml.safe_load_all(f) if d]
    return documents


def main():
    schemas = crd_schemas()
    failures = 0
    if not shutil.which("kubectl"):
        print("kubectl is not installed: checking the manifest files as written, without kustomize")
    for overlay in sorted(glob.glob(os.path.join(ROOT, "overlays", "*"))):
        documents = overlay_objects(overlay)
        for document in documents:
            key = (document["apiVersion"], document["kind"])
            name = f"{os.path.basename(overlay)}: {document['kind']} {document['metadata']['name']}"
            try:
                if key in schemas:
                    jsonschema.validate(document, schemas[key])
                else:
                    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
            except (jsonschema.ValidationError, kubernetes_validate.ValidationError) as error:
                failures += 1
                print(f"INVALID {name}: {error.message}")
            except kubernetes_validate.SchemaNotFoundError:
                failures += 1
                print(f"UNKNOWN {name}: no schema for {key}")
        print(f"{os.path.basename(overlay)}: {len(documents)} objects checked")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
