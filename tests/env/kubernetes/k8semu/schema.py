"""Which fields Job, Pod and Namespace objects have, for `fieldValidation` (Strict: 400,
Warn: a Warning header, Ignore: dropped) as the API server's strict decoder does.

A schema is a dict of field -> sub-schema; LEAF is a scalar, MAP a free string map,
ANY an opaque value, and a one-element list a list of that schema. Read-only; thread-safe.
"""
LEAF, MAP, ANY = "leaf", "map", "any"

OWNER_REF = {"apiVersion": LEAF, "kind": LEAF, "name": LEAF, "uid": LEAF,
             "controller": LEAF, "blockOwnerDeletion": LEAF}
METADATA = {"name": LEAF, "generateName": LEAF, "namespace": LEAF, "labels": MAP,
            "annotations": MAP, "uid": LEAF, "resourceVersion": LEAF, "generation": LEAF,
            "creationTimestamp": LEAF, "deletionTimestamp": LEAF,
            "deletionGracePeriodSeconds": LEAF, "finalizers": [LEAF],
            "ownerReferences": [OWNER_REF], "managedFields": ANY, "selfLink": LEAF}
KEY_REF = {"name": LEAF, "key": LEAF, "optional": LEAF}
ENV = {"name": LEAF, "value": LEAF, "valueFrom": {
    "secretKeyRef": KEY_REF, "configMapKeyRef": KEY_REF,
    "fieldRef": {"apiVersion": LEAF, "fieldPath": LEAF},
    "resourceFieldRef": {"containerName": LEAF, "resource": LEAF, "divisor": LEAF}}}
CONTAINER = {
    "name": LEAF, "image": LEAF, "command": [LEAF], "args": [LEAF], "workingDir": LEAF,
    "env": [ENV], "envFrom": ANY, "imagePullPolicy": LEAF, "stdin": LEAF, "stdinOnce": LEAF,
    "tty": LEAF, "restartPolicy": LEAF,
    "resources": {"limits": MAP, "requests": MAP, "claims": ANY},
    "volumeMounts": [{"name": LEAF, "mountPath": LEAF, "readOnly": LEAF, "subPath": LEAF,
                      "mountPropagation": LEAF, "subPathExpr": LEAF}],
    "ports": ANY, "securityContext": ANY, "livenessProbe": ANY, "readinessProbe": ANY,
    "startupProbe": ANY, "lifecycle": ANY, "terminationMessagePath": LEAF,
    "terminationMessagePolicy": LEAF, "volumeDevices": ANY, "resizePolicy": ANY}
POD_SPEC = {
    "containers": [CONTAINER], "initContainers": [CONTAINER], "restartPolicy": LEAF,
    "activeDeadlineSeconds": LEAF, "terminationGracePeriodSeconds": LEAF,
    "nodeName": LEAF, "nodeSelector": MAP, "serviceAccountName": LEAF,
    "serviceAccount": LEAF, "automountServiceAccountToken": LEAF, "schedulerName": LEAF,
    "volumes": [{"name": LEAF, "emptyDir": {"medium": LEAF, "sizeLimit": LEAF},
                 "hostPath": ANY, "secret": ANY, "configMap": ANY, "projected": ANY,
                 "persistentVolumeClaim": ANY}],
    "securityContext": ANY, "affinity": ANY, "tolerations": ANY, "hostname": LEAF,
    "subdomain": LEAF, "dnsPolicy": LEAF, "priority": LEAF, "priorityClassName": LEAF,
    "enableServiceLinks": LEAF, "preemptionPolicy": LEAF, "imagePullSecrets": ANY,
    "hostNetwork": LEAF, "shareProcessNamespace": LEAF, "runtimeClassName": LEAF,
    "topologySpreadConstraints": ANY, "overhead": ANY, "readinessGates": ANY}
POD = {"apiVersion": LEAF, "kind": LEAF, "metadata": METADATA, "spec": POD_SPEC,
       "status": ANY}
JOB_SPEC = {
    "template": {"metadata": METADATA, "spec": POD_SPEC}, "backoffLimit": LEAF,
    "activeDeadlineSeconds": LEAF, "ttlSecondsAfterFinished": LEAF, "completions": LEAF,
    "parallelism": LEAF, "selector": ANY, "manualSelector": LEAF, "suspend": LEAF,
    "completionMode": LEAF, "podFailurePolicy": ANY, "podReplacementPolicy": LEAF,
    "backoffLimitPerIndex": LEAF, "maxFailedIndexes": LEAF, "successPolicy": ANY,
    "managedBy": LEAF}
JOB = {"apiVersion": LEAF, "kind": LEAF, "metadata": METADATA, "spec": JOB_SPEC,
       "status": ANY}
NAMESPACE = {"apiVersion": LEAF, "kind": LEAF, "metadata": METADATA, "spec": ANY,
             "status": ANY}
SCHEMAS = {"jobs": JOB, "pods": POD, "namespaces": NAMESPACE}


def unknown_fields(obj, schema, path=""):
    """Yields the dotted paths of fields the schema does not know, and drops them."""
    if schema in (LEAF, ANY) or obj is None:
        return
    if schema == MAP:
        return
    if isinstance(schema, list):
        if isinstance(obj, list):
            for i, item in enumerate(obj):
                yield from unknown_fields(item, schema[0], f"{path}[{i}]")
        return
    if not isinstance(obj, dict):
        return
    for key in list(obj):
        sub = f"{path}.{key}" if path else key
        if key not in schema:
            del obj[key]
            yield sub
        else:
            yield from unknown_fields(obj[key], schema[key], sub)
