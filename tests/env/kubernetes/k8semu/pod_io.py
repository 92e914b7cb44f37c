"""`pods/log` (container, limitBytes, tailLines, follow) and the `pods/exec` WebSocket
upgrade, both served from podman's view of the pod's containers.

Called on a handler's thread.
"""
import subprocess

from . import exec_stream
from .errors import ApiError, bad_request, invalid


def _container(pod, wanted, verb):
    spec = pod["spec"]
    names = [c["name"] for c in (spec.get("initContainers") or []) + spec["containers"]]
    name = pod["metadata"]["name"]
    if not wanted:
        if len(spec["containers"]) != 1:
            raise bad_request(f"a container name must be specified for pod {name}, choose "
                              f"one of: [{' '.join(c['name'] for c in spec['containers'])}]")
        wanted = spec["containers"][0]["name"]
    if wanted not in names:
        raise bad_request(f"container {wanted} is not valid for pod {name}")
    status = pod.get("status") or {}
    for entry in (status.get("initContainerStatuses") or []) + \
            (status.get("containerStatuses") or []):
        if entry["name"] == wanted:
            state = entry.get("state") or {}
            if "waiting" in state:
                reason = state["waiting"].get("reason", "ContainerCreating")
                if verb == "log" and reason in ("ErrImagePull", "ImagePullBackOff",
                                                "InvalidImageName"):
                    raise bad_request(f'container "{wanted}" in pod "{name}" is waiting to '
                                      f"start: image can't be pulled")
                raise bad_request(f'container "{wanted}" in pod "{name}" is waiting to start: '
                                  f"{reason}")
            if verb == "exec" and "running" not in state:
                raise bad_request("cannot exec into a container in a completed pod; current "
                                  f"phase is {status.get('phase')}")
            return wanted
    raise bad_request(f'container "{wanted}" in pod "{name}" is waiting to start: '
                      "ContainerCreating")


def logs(h, pod):
    app = h.server.app
    container = _container(pod, h.q("container"), "log")
    limit = h.q("limitBytes")
    tail = h.q("tailLines")
    try:
        limit = int(limit) if limit else None
        tail = int(tail) if tail else None
    except ValueError:
        raise bad_request("limitBytes and tailLines must be integers")
    if (limit is not None and limit < 1) or (tail is not None and tail < 0):
        raise invalid("PodLogOptions", "", [("limitBytes, tailLines", "must be greater than "
                                                                    "0 (tailLines: or equal)")])
    name = app.kubelet.container_name(pod, container)
    follow = h.q("follow") in ("true", "1")
    argv = app.podman.logs_command(name, follow)
    if tail is not None:
        argv = argv[:-1] + ["--tail", str(tail), name]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    h.start_chunked("text/plain")
    sent = 0
    try:
        while limit is None or sent < limit:
            chunk = proc.stdout.read1(65536)
            if not chunk:
                break
            if limit is not None:
                chunk = chunk[:limit - sent]
            h.chunk(chunk)
            sent += len(chunk)
    finally:
        proc.kill()
        proc.wait()
    h.end_chunked()


def exec_(h, pod):
    app = h.server.app
    if h.headers.get("Upgrade", "").lower() != "websocket":
        raise ApiError(400, "Upgrade request required: the emulator serves pods/exec over "
                            "WebSocket (v5.channel.k8s.io, v4.channel.k8s.io) only",
                       "BadRequest")
    protocol = exec_stream.choose_protocol(h.headers.get("Sec-WebSocket-Protocol"))
    if protocol is None:
        raise bad_request("none of the offered WebSocket subprotocols is supported; "
                          f"offer one of {', '.join(exec_stream.PROTOCOLS)}")
    command = h.query.get("command") or []
    if not command:
        raise bad_request("you must specify at least 1 command")
    if h.q("tty") in ("true", "1"):
        raise bad_request("tty is not supported by the emulator")
    container = _container(pod, h.q("container"), "exec")
    flag = lambda n: h.q(n) in ("true", "1")  # noqa: E731
    argv = app.podman.exec_command(app.kubelet.container_name(pod, container), command,
                                   flag("stdin"))
    h.send_response(101)
    h.send_header("Upgrade", "websocket")
    h.send_header("Connection", "Upgrade")
    h.send_header("Sec-WebSocket-Accept",
                  exec_stream.accept_key(h.headers.get("Sec-WebSocket-Key", "")))
    h.send_header("Sec-WebSocket-Protocol", protocol)
    h.end_headers()
    h.wfile.flush()
    ws = exec_stream.WebSocket(h.rfile, h.connection)
    exec_stream.run_exec(ws, protocol, argv, flag("stdin"), flag("stdout"), flag("stderr"))
    h.close_connection = True
