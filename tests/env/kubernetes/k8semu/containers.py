"""Turns a pod's container spec into a `podman run` argv, and its status into the
containerStatuses entries the API shows. Also resource quantities ("500m", "64Mi").

Pure functions; thread-safe.
"""
import datetime
import json
import re

from .store import now_iso

_QUANTITY = re.compile(r"^([0-9.]+)(m|k|K|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|e[0-9]+)?$")
_SUFFIX = {None: 1, "m": 1e-3, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15,
           "E": 1e18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50,
           "Ei": 2**60}


def quantity(value):
    """Returns the quantity as a float in base units, or None when it does not parse."""
    m = _QUANTITY.match(str(value).strip())
    if not m:
        return None
    number, suffix = m.groups()
    try:
        if suffix and suffix.startswith("e"):
            return float(number) * 10 ** int(suffix[1:])
        return float(number) * _SUFFIX[suffix]
    except ValueError:
        return None


def config_error(container):
    """The CreateContainerConfigError message for this container, or None.

    The emulator has no Secrets or ConfigMaps, so every non-optional reference to one is
    the error a kubelet reports for a missing one.
    """
    for env in container.get("env") or []:
        source = env.get("valueFrom") or {}
        for kind, word in (("secretKeyRef", "secret"), ("configMapKeyRef", "configmap")):
            ref = source.get(kind)
            if ref and not ref.get("optional"):
                return f'{word} "{ref.get("name", "")}" not found'
    return None


def run_args(pod, container, name, image_ref, volumes, label, termination_file=None):
    """The `podman run -d` arguments for one container (argv, never a shell line).

    `termination_file`: the host file mounted at the container's terminationMessagePath,
    as the kubelet mounts one (world-writable) for every container.
    """
    meta = pod["metadata"]
    args = ["run", "--detach", "--name", name, "--label", label,
            "--label", f"k8semu.pod={meta['namespace']}/{meta['name']}",
            "--network", "none", "--hostname", meta["name"][:63], "--log-driver", "k8s-file"]
    limits = (container.get("resources") or {}).get("limits") or {}
    if "memory" in limits:
        mem = int(quantity(limits["memory"]))
        args += ["--memory", f"{mem}b", "--memory-swap", f"{mem}b"]
    if "cpu" in limits:
        args += ["--cpus", f"{quantity(limits['cpu']):.3f}"]
    env = {"HOSTNAME": meta["name"], "KUBERNETES_SERVICE_HOST": "127.0.0.1",
           "KUBERNETES_SERVICE_PORT": "443"}
    for item in container.get("env") or []:
        source = item.get("valueFrom") or {}
        if "fieldRef" in source:
            path = source["fieldRef"].get("fieldPath", "")
            value = {"metadata.name": meta["name"], "metadata.namespace": meta["namespace"],
                     "metadata.uid": meta["uid"], "spec.nodeName": pod["spec"].get("nodeName", ""),
                     }.get(path, "")
            env[item["name"]] = value
        elif "value" in item or not source:
            env[item["name"]] = item.get("value", "")
    for key, value in env.items():
        args += ["--env", f"{key}={value}"]
    if container.get("workingDir"):
        args += ["--workdir", container["workingDir"]]
    for mount in container.get("volumeMounts") or []:
        host = volumes.get(mount.get("name"))
        if host:
            opt = ":ro" if mount.get("readOnly") else ""
            args += ["--volume", f"{host}:{mount['mountPath']}{opt}"]
    if termination_file and container.get("terminationMessagePath"):
        args += ["--volume", f"{termination_file}:{container['terminationMessagePath']}"]
    if container.get("stdin"):
        args += ["--interactive"]
    if container.get("command"):
        args += ["--entrypoint", json.dumps(container["command"])]
    args.append(image_ref)
    args += container.get("args") or []
    return args


def waiting(container, reason, message=None):
    state = {"reason": reason}
    if message:
        state["message"] = message
    return {"name": container["name"], "image": container.get("image", ""), "imageID": "",
            "ready": False, "restartCount": 0, "started": False,
            "state": {"waiting": state}, "lastState": {}}


def running(container, cid, image_ref, started_at=None):
    return {"name": container["name"], "image": container.get("image", ""),
            "imageID": image_ref, "containerID": f"podman://{cid}", "ready": True,
            "restartCount": 0, "started": True,
            "state": {"running": {"startedAt": started_at or now_iso()}}, "lastState": {}}


# The kubelet reads at most this much of a container's termination message.
MAX_TERMINATION_MESSAGE = 4096


def termination_message(path):
    """What the container wrote to its terminationMessagePath (File policy), or None."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_TERMINATION_MESSAGE)
    except OSError:
        return None
    return data.decode(errors="replace") or None


def runtime_time(unix_seconds, fallback):
    """An RFC 3339 time from the runtime's own clock reading (podman ps: StartedAt,
    ExitedAt), as the kubelet reports the CRI's; `fallback` when podman gave none."""
    if not isinstance(unix_seconds, int) or unix_seconds <= 0:
        return fallback
    return datetime.datetime.fromtimestamp(unix_seconds, datetime.timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")


def terminated(container, cid, image_ref, code, reason, started_at, message=None,
               finished_at=None):
    term = {"exitCode": code, "reason": reason, "startedAt": started_at,
            "finishedAt": finished_at or now_iso(), "containerID": f"podman://{cid}"}
    if message:
        term["message"] = message
    return {"name": container["name"], "image": container.get("image", ""),
            "imageID": image_ref, "containerID": f"podman://{cid}", "ready": False,
            "restartCount": 0, "started": False, "state": {"terminated": term},
            "lastState": {}}
