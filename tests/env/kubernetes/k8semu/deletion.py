"""Deleting pods and jobs with the API server's semantics: graceful pod deletion
(deletionTimestamp, then the kubelet removes the object), forced deletion
(gracePeriodSeconds=0), and the garbage collector's propagation policies for Jobs
(Background, Foreground, Orphan — batch/v1 Jobs orphan their pods by default).

Thread-safe: every step is a store call; the GC work itself runs in the job controller.
"""
import datetime

from .errors import ApiError, invalid
from .store import now_iso

POLICIES = ("Background", "Foreground", "Orphan")


def delete_pod(store, kubelet, ns, name, grace=None):
    """Returns the pod as the DELETE response shows it (with its deletionTimestamp)."""
    pod = store.get("pods", ns, name)
    if grace is None:
        grace = pod["spec"].get("terminationGracePeriodSeconds", 30)
    if pod["metadata"].get("deletionTimestamp") and grace != 0:
        return pod
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed") and grace != 0:
        grace = 1  # nothing left to stop; the kubelet removes it at once

    def mark(p):
        when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=grace)
        p["metadata"]["deletionTimestamp"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        p["metadata"]["deletionGracePeriodSeconds"] = grace
        return p
    pod = store.update("pods", ns, name, mark)
    kubelet.delete_pod(pod, grace)
    return pod


def delete_job(store, ns, name, policy):
    """Returns (deleted_now, job). Orphan and Foreground leave a finalizer for the GC."""
    if policy not in POLICIES:
        raise invalid("DeleteOptions", "", [("propagationPolicy", f'Unsupported value: '
                      f'"{policy}": supported values: "Foreground", "Background", "Orphan", '
                      '"nil"')], "meta.k8s.io")
    if policy == "Background":
        return True, store.remove("jobs", ns, name)
    finalizer = "orphan" if policy == "Orphan" else "foregroundDeletion"

    def mark(job):
        meta = job["metadata"]
        meta.setdefault("deletionTimestamp", now_iso())
        meta["deletionGracePeriodSeconds"] = 0
        if finalizer not in meta.setdefault("finalizers", []):
            meta["finalizers"].append(finalizer)
        return job
    return False, store.update("jobs", ns, name, mark)


def delete_namespace(store, kubelet, name):
    """Deletes a namespace with everything in it at once (a real one is Terminating for a
    while first); tests use one namespace per run and remove it at the end."""
    if name in ("default", "kube-system"):
        raise ApiError(403, f'namespaces "{name}" is forbidden: this namespace may not be '
                            "deleted", "Forbidden")
    namespace = store.get("namespaces", None, name)
    for resource in ("jobs", "events"):
        for obj in store.list(resource, name)[1]:
            try:
                store.remove(resource, name, obj["metadata"]["name"])
            except ApiError:
                pass
    for pod in store.list("pods", name)[1]:
        try:
            delete_pod(store, kubelet, name, pod["metadata"]["name"], 0)
        except ApiError:
            pass
    store.remove("namespaces", None, name)
    return namespace
