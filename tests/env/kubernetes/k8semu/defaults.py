"""Defaulting and validation on create, as the API server applies them to Pods and Jobs
(the subset a client notices: defaults it reads back, 422s it must handle).

Functions mutate the object they are given (a request's private copy); thread-safe.
"""
import random
import re

from .containers import quantity
from .errors import ApiError, invalid

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def _invalid(kind, name, causes):
    return invalid(kind, name, causes, "batch" if kind == "Job" else "")


def assign_name(obj, kind):
    meta = obj.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise ApiError(400, f"{kind}: metadata must be an object")
    if not meta.get("name") and meta.get("generateName"):
        meta["name"] = meta["generateName"][:58] + "".join(
            random.choice(_ALPHABET) for _ in range(5))
    name = meta.get("name")
    if not name:
        raise _invalid(kind, "", [("metadata.name", "Required value: name or generateName "
                                                    "is required")])
    if not isinstance(name, str) or len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        raise _invalid(kind, str(name), [("metadata.name", f'Invalid value: "{name}": a '
                       "lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                       "characters, '-' or '.', and must start and end with an alphanumeric "
                       "character")])
    validate_metadata(kind, name, meta)
    return name


def validate_metadata(kind, name, meta):
    """Labels and annotations: string maps, label values of the allowed form (create and
    every update)."""
    for field in ("labels", "annotations"):
        value = meta.get(field)
        if value is not None and (not isinstance(value, dict) or
                                  not all(isinstance(v, str) for v in value.values())):
            raise ApiError(400, f"{kind} in version \"v1\" cannot be handled as a {kind}: "
                                f"metadata.{field} must map strings to strings")
    for key, value in (meta.get("labels") or {}).items():
        if len(value) > 63 or not _LABEL_VALUE.match(value):
            raise _invalid(kind, name, [(f"metadata.labels", f'Invalid value: "{value}": a '
                           "valid label must be an empty string or consist of alphanumeric "
                           "characters, '-', '_' or '.', and must start and end with an "
                           "alphanumeric character")])


def _validate_containers(kind, name, spec, prefix):
    causes = []
    containers = spec.get("containers")
    if not isinstance(containers, list) or not containers:
        causes.append((f"{prefix}.containers", "Required value"))
        return causes
    for group in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(group) or []):
            where = f"{prefix}.{group}[{i}]"
            if not isinstance(c, dict):
                causes.append((where, "Invalid value: must be an object"))
                continue
            if not c.get("name") or not _DNS_LABEL.match(str(c.get("name"))):
                causes.append((f"{where}.name", f'Invalid value: "{c.get("name", "")}": a '
                               "lowercase RFC 1123 label is required"))
            if not c.get("image"):
                causes.append((f"{where}.image", "Required value"))
            for field in ("command", "args"):
                if c.get(field) is not None and not (isinstance(c[field], list) and all(
                        isinstance(a, str) for a in c[field])):
                    causes.append((f"{where}.{field}", "Invalid value: must be a list of "
                                                       "strings"))
            res = c.get("resources") or {}
            for part in ("limits", "requests"):
                for rname, value in (res.get(part) or {}).items():
                    if quantity(value) is None:
                        causes.append((f"{where}.resources.{part}[{rname}]",
                                       f'Invalid value: "{value}": must be a quantity'))
    return causes


def default_pod(pod):
    spec = pod.setdefault("spec", {})
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("securityContext", {})
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("priority", 0)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        tag = c.get("image", "").rsplit("/", 1)[-1]
        c.setdefault("imagePullPolicy", "IfNotPresent" if ":" in tag and
                     not tag.endswith(":latest") else "Always")
        c.setdefault("resources", {})
        c.setdefault("terminationMessagePath", "/dev/termination-log")
        c.setdefault("terminationMessagePolicy", "File")
    pod.setdefault("status", {"phase": "Pending", "qosClass": "BestEffort"})


def validate_pod(pod):
    name = assign_name(pod, "Pod")
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        raise _invalid("Pod", name, [("spec.containers", "Required value")])
    causes = _validate_containers("Pod", name, spec, "spec")
    if spec.get("restartPolicy", "Always") not in ("Always", "OnFailure", "Never"):
        causes.append(("spec.restartPolicy", f'Unsupported value: "{spec["restartPolicy"]}"'))
    if causes:
        raise _invalid("Pod", name, causes)
    default_pod(pod)
    pod["status"] = {"phase": "Pending", "qosClass": "BestEffort"}


def validate_job(job, uid):
    name = assign_name(job, "Job")
    spec = job.get("spec")
    template = (spec or {}).get("template") if isinstance(spec, dict) else None
    if not isinstance(template, dict) or not isinstance(template.get("spec"), dict):
        raise _invalid("Job", name, [("spec.template.spec.containers", "Required value")])
    causes = _validate_containers("Job", name, template["spec"], "spec.template.spec")
    policy = template["spec"].get("restartPolicy")
    if policy not in ("OnFailure", "Never"):
        causes.append(("spec.template.spec.restartPolicy",
                       f'Required value: valid values: "OnFailure", "Never"' if policy is None
                       else f'Unsupported value: "{policy}": supported values: "OnFailure", '
                            f'"Never"'))
    for field in ("backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished",
                  "completions", "parallelism"):
        value = spec.get(field)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or
                                  value < (1 if field == "activeDeadlineSeconds" else 0)):
            causes.append((f"spec.{field}", f"Invalid value: {value!r}: must be greater than "
                                            f"or equal to {1 if field == 'activeDeadlineSeconds' else 0}"))
    if len(name) > 63:
        causes.append(("metadata.name", f'Invalid value: "{name}": must be no more than 63 '
                                        "characters"))
    if causes:
        raise _invalid("Job", name, causes)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completions", 1)
    spec.setdefault("parallelism", 1)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    owned = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name,
             "controller-uid": uid, "job-name": name}
    spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    tmeta = template.setdefault("metadata", {})
    user_labels = dict(tmeta.get("labels") or {})
    tmeta["labels"] = dict(user_labels, **owned)
    meta = job["metadata"]
    if not meta.get("labels"):
        meta["labels"] = dict(tmeta["labels"])
    default_pod(template)
    template.pop("status", None)
    job["status"] = {}
