"""core/v1 Events about pods and jobs, as the kubelet and the job controller record them.

Thread-safe: every call is one store write.
"""
import itertools
import threading

from .store import now_iso

_counter = itertools.count(1)
_lock = threading.Lock()


class Events:
    def __init__(self, store):
        self.store = store

    def record(self, obj, reason, message, kind="Normal"):
        meta = obj["metadata"]
        with _lock:
            n = next(_counter)
        event = {"metadata": {"name": f"{meta['name']}.{n:016x}"},
                 "involvedObject": {"kind": obj.get("kind"), "apiVersion": obj.get("apiVersion"),
                                    "name": meta["name"], "namespace": meta.get("namespace"),
                                    "uid": meta.get("uid"),
                                    "resourceVersion": meta.get("resourceVersion")},
                 "reason": reason, "message": message, "type": kind, "count": 1,
                 "firstTimestamp": now_iso(), "lastTimestamp": now_iso(),
                 "source": {"component": "kubelet" if obj.get("kind") == "Pod"
                            else "job-controller"},
                 "reportingComponent": "", "reportingInstance": ""}
        self.store.create("events", meta.get("namespace"), event)
