"""The object store: every API object, one global resourceVersion counter, and a bounded
history of watch events (older versions are "compacted": a watch or a continue token from
before the window gets 410 Gone, as from etcd).

Thread-safe: one lock (a Condition) guards everything; readers get deep copies, so no
caller ever shares a dict with the store.
"""
import collections
import copy
import datetime
import threading
import uuid

from .errors import already_exists, not_found, ApiError

GROUPS = {"pods": "", "namespaces": "", "events": "", "jobs": "batch"}
KINDS = {"pods": ("Pod", "v1"), "namespaces": ("Namespace", "v1"),
         "events": ("Event", "v1"), "jobs": ("Job", "batch/v1")}


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    def __init__(self, history=20000):
        self.cond = threading.Condition()
        self.rv = 100
        self.objects = {}  # (resource, namespace, name) -> object
        self.events = collections.deque()  # (rv, resource, type, object, previous)
        self.history = history
        self.oldest = self.rv  # the first resourceVersion still in the history
        self.closed = False

    # --- reads -------------------------------------------------------------------------
    def get(self, resource, ns, name):
        with self.cond:
            obj = self.objects.get((resource, ns, name))
            if obj is None:
                raise not_found(resource, name, GROUPS[resource])
            return copy.deepcopy(obj)

    def find(self, resource, ns, name):
        with self.cond:
            obj = self.objects.get((resource, ns, name))
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, resource, ns=None, pred=None, after=None, shared=False):
        """Returns (resourceVersion, objects sorted by namespace/name after `after`).

        shared=True hands out the stored objects themselves, for readers that never
        modify them (the controllers): stored objects are replaced, never changed in
        place, so a reference stays a consistent snapshot.
        """
        with self.cond:
            keys = sorted(k for k in self.objects
                          if k[0] == resource and (ns is None or k[1] == ns)
                          and (after is None or (k[1], k[2]) > after))
            items = [self.objects[k] for k in keys]
            items = [o for o in items if pred is None or pred(o)]
            return self.rv, items if shared else [copy.deepcopy(o) for o in items]

    # --- writes ------------------------------------------------------------------------
    def _emit(self, resource, kind, obj, previous=None):
        # The previous version lets a filtered watch turn "stopped matching" into
        # DELETED and "started matching" into ADDED, as the API server's watch cache does.
        self.events.append((self.rv, resource, kind, copy.deepcopy(obj), previous))
        while len(self.events) > self.history:
            self.oldest = self.events.popleft()[0] + 1
        self.cond.notify_all()

    def create(self, resource, ns, obj):
        meta = obj.setdefault("metadata", {})
        with self.cond:
            key = (resource, ns, meta["name"])
            if key in self.objects:
                raise already_exists(resource, meta["name"], GROUPS[resource])
            self.rv += 1
            kind, api_version = KINDS[resource]
            obj["kind"], obj["apiVersion"] = kind, api_version
            if ns is not None:
                meta["namespace"] = ns
            meta.setdefault("uid", str(uuid.uuid4()))
            meta["resourceVersion"] = str(self.rv)
            meta["creationTimestamp"] = now_iso()
            meta.setdefault("generation", 1)
            self.objects[key] = copy.deepcopy(obj)
            self._emit(resource, "ADDED", obj)
            return copy.deepcopy(obj)

    def update(self, resource, ns, name, mutate, expect_rv=None):
        """Applies mutate(copy) -> new object (or None to skip); bumps resourceVersion."""
        with self.cond:
            cur = self.objects.get((resource, ns, name))
            if cur is None:
                raise not_found(resource, name, GROUPS[resource])
            if expect_rv and expect_rv != cur["metadata"]["resourceVersion"]:
                raise ApiError(409, f'Operation cannot be fulfilled on {resource} "{name}": the '
                                    f'object has been modified; please apply your changes to '
                                    f'the latest version and try again', "Conflict")
            new = mutate(copy.deepcopy(cur))
            if new is None or new == cur:
                return copy.deepcopy(cur)
            meta = new["metadata"]
            for field in ("uid", "name", "namespace", "creationTimestamp"):
                if field in cur["metadata"]:
                    meta[field] = cur["metadata"][field]
            if new.get("spec") != cur.get("spec"):
                meta["generation"] = cur["metadata"].get("generation", 1) + 1
            self.rv += 1
            meta["resourceVersion"] = str(self.rv)
            self.objects[(resource, ns, name)] = copy.deepcopy(new)
            self._emit(resource, "MODIFIED", new, cur)
            return copy.deepcopy(new)

    def remove(self, resource, ns, name):
        """Deletes the object for good (after graceful deletion and finalizers)."""
        with self.cond:
            cur = self.objects.pop((resource, ns, name), None)
            if cur is None:
                raise not_found(resource, name, GROUPS[resource])
            self.rv += 1
            cur["metadata"]["resourceVersion"] = str(self.rv)
            self._emit(resource, "DELETED", cur)
            return copy.deepcopy(cur)

    def compact(self):
        """Drops the whole watch history: every older resourceVersion becomes 410 Gone."""
        with self.cond:
            self.events.clear()
            self.oldest = self.rv + 1

    # --- watch -------------------------------------------------------------------------
    def events_after(self, rv, resource, timeout):
        """Waits up to `timeout` for events of `resource` newer than `rv`.

        Returns ([(rv, type, object, previous or None)], last_rv); raises 410 when `rv` is
        older than the history. `previous` is the stored (shared, read-only) old version.
        """
        with self.cond:
            if rv + 1 < self.oldest:
                raise ApiError(410, f"too old resource version: {rv} ({self.oldest - 1})",
                               "Expired")
            self.cond.wait_for(lambda: self.rv > rv or self.closed, timeout)
            if rv + 1 < self.oldest:
                raise ApiError(410, f"too old resource version: {rv} ({self.oldest - 1})",
                               "Expired")
            out = [(erv, kind, copy.deepcopy(obj), prev)
                   for erv, res, kind, obj, prev in self.events
                   if erv > rv and res == resource]
            return out, self.rv

    def wake(self):
        with self.cond:
            self.cond.notify_all()
