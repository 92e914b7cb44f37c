"""The emulated node: schedules each pod onto the one node, runs its containers in podman
(init containers one after the other, then the main ones), and writes what podman reports
back into the pod's status the way a kubelet does. Deletion stops the containers with the
pod's grace period, then removes the object.

Thread-safe: one thread per live pod plus one poller that lists this instance's containers
(one `podman ps` for all pods, never one process per pod); shared maps under `lock`.
"""
import os
import shutil
import threading
import time
import traceback

from . import containers as ct
from .errors import ApiError
from .podman import normalize_image
from .store import now_iso

NODE = "cuttle-emulator-node"


class Stopped(Exception):
    """The pod is being deleted; its thread ends."""


def _memory_capacity():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return 0


class Kubelet:
    def __init__(self, store, faults, podman, events, state_dir, poll_interval=0.3):
        self.store, self.faults, self.podman, self.events = store, faults, podman, events
        self.state_dir = state_dir
        self.poll_interval = poll_interval
        self.cond = threading.Condition()
        self.runs = {}  # pod uid -> PodRun
        self.observed = {}  # container name -> podman ps entry
        self.cpu, self.memory = os.cpu_count() or 1, _memory_capacity()
        threading.Thread(target=self._poll, name="kubelet-poll", daemon=True).start()

    def container_name(self, pod, container):
        return f"k8semu-{self.podman.instance}-{pod['metadata']['uid'][:13]}-{container}"

    # --- called by the API layer -------------------------------------------------------
    def pod_created(self, pod):
        run = PodRun(self, pod)
        with self.cond:
            self.runs[pod["metadata"]["uid"]] = run
        threading.Thread(target=run.main, name=f"pod-{pod['metadata']['name']}",
                         daemon=True).start()

    def delete_pod(self, pod, grace):
        """Graceful (grace > 0) or forced deletion; the object itself is removed here."""
        meta = pod["metadata"]
        with self.cond:
            run = self.runs.get(meta["uid"])
        if grace == 0:
            self._forget(pod, run, force=True)
            return
        stuck = self.faults.take("stuckTerminating", meta["namespace"])
        threading.Thread(target=self._terminate, args=(pod, run, grace, stuck),
                         daemon=True).start()

    def _terminate(self, pod, run, grace, stuck):
        if run:
            run.stop(grace, "Killing")
        if stuck:
            return  # the node "stopped answering": only a forced delete removes the object
        self._forget(pod, run, force=False)

    def _forget(self, pod, run, force):
        meta = pod["metadata"]
        try:
            self.store.remove("pods", meta["namespace"], meta["name"])
        except ApiError:
            pass
        if run:
            if force:
                run.stopping.set()
                with self.cond:
                    self.cond.notify_all()
            run.cleanup()
        with self.cond:
            self.runs.pop(meta["uid"], None)
            self.cond.notify_all()

    def shutdown(self):
        with self.cond:
            runs = list(self.runs.values())
        for run in runs:
            run.stopping.set()
        self.podman.remove_all()

    # --- the poller --------------------------------------------------------------------
    def _poll(self):
        while True:
            with self.cond:
                self.cond.wait_for(lambda: any(r.started for r in self.runs.values()), 5)
            seen = self.podman.containers()
            if seen is not None:
                with self.cond:
                    self.observed = seen
                    self.cond.notify_all()
            time.sleep(self.poll_interval)

    def start_time(self, run, name, timeout=10.0):
        """podman's StartedAt (unix seconds) of container `name`, from the poller's next
        listing; None if it does not show it within `timeout`."""
        with self.cond:
            self.cond.notify_all()
            self.cond.wait_for(lambda: run.stopping.is_set() or
                               self.observed.get(name, {}).get("StartedAt"), timeout)
            return self.observed.get(name, {}).get("StartedAt")

    def wait_exited(self, run, names):
        with self.cond:
            self.cond.wait_for(lambda: run.stopping.is_set() or all(
                self.observed.get(n, {}).get("State") in ("exited", "stopped") for n in names))
            if run.stopping.is_set():
                raise Stopped()
            return {n: self.observed[n] for n in names}

    def insufficient(self, pod):
        cpu = mem = 0.0
        for c in pod["spec"].get("containers") or []:
            req = (c.get("resources") or {}).get("requests") or \
                (c.get("resources") or {}).get("limits") or {}
            cpu += ct.quantity(req.get("cpu", 0)) or 0
            mem += ct.quantity(req.get("memory", 0)) or 0
        missing = [w for w, need, have in (("cpu", cpu, self.cpu), ("memory", mem, self.memory))
                   if need > have]
        if not missing:
            return None
        return "0/1 nodes are available: " + ", ".join(f"1 Insufficient {w}" for w in missing) \
            + ". preemption: 0/1 nodes are available: 1 No preemption victims found for " \
              "incoming pod."


class PodRun:
    """One pod's life on the node; `main` runs on the pod's own thread."""

    def __init__(self, kubelet, pod):
        self.k = kubelet
        self.ns, self.name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        self.pod = pod
        self.stopping = threading.Event()
        self.started = False
        self.names = {}  # container name -> podman container name
        self.vanish = kubelet.faults.take("vanishOnExit", self.ns)
        self.volume_root = os.path.join(kubelet.state_dir, "pods", pod["metadata"]["uid"])

    def main(self):
        try:
            self.lifecycle()
        except Stopped:
            pass
        except Exception:  # a bug here must show in the log, not hang the pod silently
            traceback.print_exc()

    def status(self, mutate):
        def apply(pod):
            mutate(pod.setdefault("status", {}))
            return pod
        try:
            self.pod = self.k.store.update("pods", self.ns, self.name, apply)
        except ApiError:
            raise Stopped()

    def event(self, reason, message, kind="Normal"):
        self.k.events.record(self.pod, reason, message, kind)

    def sleep(self, seconds):
        if self.stopping.wait(seconds):
            raise Stopped()

    def lifecycle(self):
        spec = self.pod["spec"]
        why = self.k.insufficient(self.pod)
        if self.k.faults.take("unschedulable", self.ns):
            why = "0/1 nodes are available: 1 node(s) were unschedulable (injected by the " \
                  "emulator's unschedulable fault)."
        if why:
            self.status(lambda s: s.update(phase="Pending", conditions=[{
                "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                "message": why, "lastProbeTime": None, "lastTransitionTime": now_iso()}]))
            self.event("FailedScheduling", why, "Warning")
            self.stopping.wait()
            raise Stopped()
        self.schedule()
        delay = self.k.faults.start_delay(self.ns)
        if delay:
            self.event("Pulling", f"Pulling image (held {delay} s by the emulator's slowStart "
                                  f"fault)")
            self.sleep(delay)
        volumes = self.make_volumes()
        for container in spec.get("initContainers") or []:
            code = self.run_containers([container], volumes, init=True)
            if code != 0:
                return self.finish(False)
        self.status(lambda s: self._condition(s, "Initialized", "True"))
        ok = self.run_containers(spec["containers"], volumes, init=False) == 0
        self.finish(ok)

    def schedule(self):
        def apply(pod):
            pod["spec"]["nodeName"] = NODE
            pod.setdefault("status", {}).update(
                phase="Pending", hostIP="127.0.0.1", podIP="127.0.0.1",
                podIPs=[{"ip": "127.0.0.1"}], startTime=now_iso(), qosClass="BestEffort",
                conditions=[{"type": "PodScheduled", "status": "True",
                             "lastProbeTime": None, "lastTransitionTime": now_iso()}],
                containerStatuses=[ct.waiting(c, "ContainerCreating")
                                   for c in pod["spec"]["containers"]])
            if pod["spec"].get("initContainers"):
                pod["status"]["initContainerStatuses"] = [
                    ct.waiting(c, "PodInitializing") for c in pod["spec"]["initContainers"]]
            return pod
        self.pod = self.k.store.update("pods", self.ns, self.name, apply)
        self.event("Scheduled", f"Successfully assigned {self.ns}/{self.name} to {NODE}")

    @staticmethod
    def _condition(status, ctype, value, reason=None):
        conds = [c for c in status.get("conditions", []) if c["type"] != ctype]
        cond = {"type": ctype, "status": value, "lastProbeTime": None,
                "lastTransitionTime": now_iso()}
        if reason:
            cond["reason"] = reason
        status["conditions"] = conds + [cond]

    def _set_container(self, entry, init):
        key = "initContainerStatuses" if init else "containerStatuses"

        def apply(s):
            s[key] = [entry if c["name"] == entry["name"] else c for c in s.get(key, [])]
        self.status(apply)

    def termination_file(self, container):
        """The container's termination-log file on the host (made empty and world-writable
        on first use, as the kubelet makes it)."""
        folder = os.path.join(self.volume_root, ".termination-log")
        path = os.path.join(folder, container["name"])
        if not os.path.exists(path):
            os.makedirs(folder, exist_ok=True)
            open(path, "wb").close()
            os.chmod(path, 0o666)
        return path

    def make_volumes(self):
        volumes = {}
        for vol in self.pod["spec"].get("volumes") or []:
            path = os.path.join(self.volume_root, vol["name"])
            os.makedirs(path, mode=0o777, exist_ok=True)
            os.chmod(path, 0o777)
            volumes[vol["name"]] = path
        return volumes

    def prepare(self, container, init):
        """Resolves the image and the config, reporting waiting reasons until they work."""
        image = container.get("image", "")
        backoff = 5
        while True:
            ref = normalize_image(image)
            if ref is None:
                msg = f'Failed to apply default image tag "{image}": couldn\'t parse image ' \
                      f'name "{image}": invalid reference format'
                self._set_container(ct.waiting(container, "InvalidImageName", msg), init)
                self.event("InspectFailed", msg, "Warning")
                self.sleep(3600)
                continue
            if not self.k.podman.image_exists(ref):
                self.event("Pulling", f'Pulling image "{image}"')
                ok, err = self.k.podman.pull(ref)
                if not ok:
                    msg = f'Failed to pull image "{image}": {err}'
                    self._set_container(ct.waiting(container, "ErrImagePull", msg), init)
                    self.event("Failed", msg, "Warning")
                    self.sleep(2)
                    msg = f'Back-off pulling image "{image}"'
                    self._set_container(ct.waiting(container, "ImagePullBackOff", msg), init)
                    self.event("BackOff", msg, "Normal")
                    self.sleep(backoff)
                    backoff = min(backoff * 2, 60)
                    continue
            err = ct.config_error(container)
            if err:
                self._set_container(ct.waiting(container, "CreateContainerConfigError", err),
                                    init)
                self.event("Failed", f"Error: {err}", "Warning")
                self.sleep(10)
                continue
            return ref

    def run_containers(self, specs, volumes, init):
        """Starts the containers, waits for all to end; returns the first non-zero code."""
        refs = {c["name"]: self.prepare(c, init) for c in specs}
        started = {}
        for c in specs:
            name = self.k.container_name(self.pod, c["name"])
            args = ct.run_args(self.pod, c, name, refs[c["name"]], volumes, self.k.podman.label,
                               self.termination_file(c))
            proc = self.k.podman.run(*args)
            if proc.returncode != 0:
                msg = proc.stderr.decode(errors="replace").strip()
                self._set_container(ct.waiting(c, "RunContainerError", msg), init)
                self.event("Failed", f"Error: {msg}", "Warning")
                return 128
            cid = proc.stdout.decode().strip()
            self.names[c["name"]] = name
            self.started = True
            # The runtime's own start time, as a kubelet reports the CRI's: on a loaded
            # machine `podman run` returns seconds after the process started.
            started[c["name"]] = (cid, ct.runtime_time(self.k.start_time(self, name), now_iso()))
            self.event("Started", f"Started container {c['name']}")
            if self.stopping.is_set():
                raise Stopped()
            self._set_container(ct.running(c, cid, refs[c["name"]], started[c["name"]][1]), init)
        with self.k.cond:
            self.k.cond.notify_all()
        if not init:
            self.status(lambda s: (s.update(phase="Running"),
                                   self._condition(s, "ContainersReady", "True"),
                                   self._condition(s, "Ready", "True")))
        ended = self.k.wait_exited(self, [self.names[c["name"]] for c in specs])
        self.started = False
        if self.vanish:
            self.k.store.remove("pods", self.ns, self.name)
            raise Stopped()
        first_bad = 0
        for c in specs:
            entry = ended[self.names[c["name"]]]
            code = int(entry.get("ExitCode", 0))
            reason = "Completed" if code == 0 else "Error"
            cid, started_at = started[c["name"]]
            if code != 0 and self.k.podman.oom_killed(self.names[c["name"]], cid):
                reason = "OOMKilled"
            # The runtime's end time: the poller may see the exit seconds late.
            self._set_container(ct.terminated(
                c, cid, refs[c["name"]], code, reason, started_at,
                ct.termination_message(self.termination_file(c)),
                ct.runtime_time(entry.get("ExitedAt"), None)), init)
            first_bad = first_bad or code
        return first_bad

    def finish(self, ok):
        def apply(s):
            s["phase"] = "Succeeded" if ok else "Failed"
            for ctype in ("Ready", "ContainersReady"):
                self._condition(s, ctype, "False", "PodCompleted" if ok else "PodFailed")
        self.status(apply)

    def stop(self, grace, reason):
        """Stops the running containers within `grace` seconds (SIGTERM, then SIGKILL)."""
        self.stopping.set()
        with self.k.cond:
            self.k.cond.notify_all()
        for cname, name in list(self.names.items()):
            self.event(reason, f"Stopping container {cname}")
            self.k.podman.stop(name, grace)

    def cleanup(self):
        for name in list(self.names.values()):
            self.k.podman.remove(name)
        shutil.rmtree(self.volume_root, ignore_errors=True)
