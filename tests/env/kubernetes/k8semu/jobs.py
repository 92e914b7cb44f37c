"""The emulated Job controller and garbage collector: creates a Job's pod from its
template, counts succeeded and failed pods (a pod that vanished before it finished counts
as failed), retries up to backoffLimit, enforces activeDeadlineSeconds, writes the
Complete / Failed conditions and deletes finished Jobs after ttlSecondsAfterFinished.
The GC deletes pods whose owning Job is gone, and finishes Orphan/Foreground deletions.

Thread-safe: everything runs on the controller's one thread, reading and writing through
the store.
"""
import calendar
import random
import threading
import time
import traceback

from .deletion import delete_pod
from .errors import ApiError
from .store import now_iso

_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def _age(stamp):
    return time.time() - calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))


def _condition(job, ctype):
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond["type"] == ctype and cond["status"] == "True":
            return cond
    return None


def finished_condition(job):
    return _condition(job, "Complete") or _condition(job, "Failed")


class JobController:
    def __init__(self, store, kubelet, events, interval=0.25):
        self.store, self.kubelet, self.events = store, kubelet, events
        self.interval = interval
        self.created = {}  # job uid -> {pod uid}
        self.counted = {}  # job uid -> {pod uid: "succeeded" | "failed"}
        threading.Thread(target=self._loop, name="job-controller", daemon=True).start()

    def _loop(self):
        while True:
            try:
                self.sync()
            except Exception:  # one bad object must not stop the controller
                traceback.print_exc()
            time.sleep(self.interval)

    def sync(self):
        _, jobs = self.store.list("jobs", shared=True)
        _, pods = self.store.list("pods", shared=True)
        uids = {j["metadata"]["uid"] for j in jobs}
        owned = {}
        for pod in pods:
            for ref in pod["metadata"].get("ownerReferences") or []:
                if ref.get("kind") == "Job":
                    owned.setdefault(ref["uid"], []).append(pod)
                    if ref["uid"] not in uids and not pod["metadata"].get("deletionTimestamp"):
                        self._delete_pod(pod)  # the GC: the owner is gone (Background)
        for job in jobs:
            try:
                self.sync_job(job, owned.get(job["metadata"]["uid"], []))
            except ApiError:
                pass  # deleted or changed under us; the next pass sees the new state

    def _delete_pod(self, pod, grace=None):
        try:
            delete_pod(self.store, self.kubelet, pod["metadata"]["namespace"],
                       pod["metadata"]["name"], grace)
        except ApiError:
            pass

    def _finish_deletion(self, job, pods):
        meta = job["metadata"]
        finalizers = meta.get("finalizers") or []
        if "orphan" in finalizers:
            for pod in pods:
                self.store.update("pods", meta["namespace"], pod["metadata"]["name"],
                                  lambda p: (p["metadata"].pop("ownerReferences", None), p)[1])
        elif "foregroundDeletion" in finalizers:
            for pod in pods:
                if not pod["metadata"].get("deletionTimestamp"):
                    self._delete_pod(pod)
            if pods:
                return
        self.store.remove("jobs", meta["namespace"], meta["name"])

    def sync_job(self, job, pods):
        meta, spec = job["metadata"], job["spec"]
        uid = meta["uid"]
        if meta.get("deletionTimestamp"):
            return self._finish_deletion(job, pods)
        done = finished_condition(job)
        if done:
            ttl = spec.get("ttlSecondsAfterFinished")
            if ttl is not None and _age(done["lastTransitionTime"]) >= ttl:
                self.store.remove("jobs", meta["namespace"], meta["name"])
            return
        if spec.get("suspend"):
            return
        created = self.created.setdefault(uid, set())
        counted = self.counted.setdefault(uid, {})
        live = {p["metadata"]["uid"]: p for p in pods}
        for pod in pods:
            phase = (pod.get("status") or {}).get("phase")
            if phase in ("Succeeded", "Failed") and pod["metadata"]["uid"] not in counted:
                counted[pod["metadata"]["uid"]] = "succeeded" if phase == "Succeeded" else "failed"
        for pod_uid in created - set(live) - set(counted):
            counted[pod_uid] = "failed"  # deleted before anyone saw it finish
        succeeded = sum(1 for v in counted.values() if v == "succeeded")
        failed = len(counted) - succeeded
        active = [p for p in pods if p["metadata"]["uid"] not in counted
                  and not p["metadata"].get("deletionTimestamp")]
        status = dict(job.get("status") or {})
        start = status.get("startTime") or now_iso()
        deadline = spec.get("activeDeadlineSeconds")
        condition = None
        if succeeded >= spec.get("completions", 1):
            condition = ("Complete", None, None)
        elif failed > spec.get("backoffLimit", 6):
            condition = ("Failed", "BackoffLimitExceeded", "Job has reached the specified "
                                                           "backoff limit")
        elif deadline is not None and _age(start) >= deadline:
            condition = ("Failed", "DeadlineExceeded", "Job was active longer than specified "
                                                       "deadline")
        if condition:
            for pod in active:
                self._delete_pod(pod)
            active = []
        elif not active:
            pod = self.create_pod(job)
            created.add(pod["metadata"]["uid"])
            active = [pod]
        ready = sum(1 for p in active for c in (p.get("status") or {}).get("conditions") or []
                    if c["type"] == "Ready" and c["status"] == "True")
        status.update(startTime=start, active=len(active), ready=ready,
                      terminating=sum(1 for p in pods if p["metadata"].get("deletionTimestamp")),
                      uncountedTerminatedPods={})
        for key, value in (("succeeded", succeeded), ("failed", failed)):
            if value:
                status[key] = value
        if not status["active"]:
            del status["active"]
        if condition:
            ctype, reason, message = condition
            cond = {"type": ctype, "status": "True", "lastProbeTime": now_iso(),
                    "lastTransitionTime": now_iso()}
            if reason:
                cond.update(reason=reason, message=message)
            status["conditions"] = (status.get("conditions") or []) + [cond]
            if ctype == "Complete":
                status["completionTime"] = now_iso()
            self.events.record(job, reason or "Completed", message or "Job completed",
                               "Warning" if reason else "Normal")
        if status != job.get("status"):
            self.store.update("jobs", meta["namespace"], meta["name"],
                              lambda j: (j.__setitem__("status", status), j)[1])

    def create_pod(self, job):
        meta = job["metadata"]
        template = job["spec"]["template"]
        suffix = "".join(random.choice(_ALPHABET) for _ in range(5))
        pod = {"metadata": {"name": f"{meta['name'][:57]}-{suffix}",
                            "labels": dict((template.get("metadata") or {}).get("labels") or {}),
                            "annotations": dict((template.get("metadata") or {})
                                                .get("annotations") or {}),
                            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job",
                                                 "name": meta["name"], "uid": meta["uid"],
                                                 "controller": True,
                                                 "blockOwnerDeletion": True}]},
               "spec": dict(template["spec"])}
        from .defaults import default_pod  # the same defaulting as a created pod
        default_pod(pod)
        pod = self.store.create("pods", meta["namespace"], pod)
        self.events.record(job, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
        self.kubelet.pod_created(pod)
        return pod
