"""The container runtime under the emulated kubelet: podman, with the storage and
configuration the start script chose (argv prefix), every container labelled with this
emulator's instance id so nothing else on the machine is ever listed or removed.

Thread-safe: each call runs its own podman process; a semaphore bounds how many run at
once so a burst of pods does not start hundreds of podman processes on two cores.
"""
import json
import re
import subprocess
import threading

# What a reference must look like (docker/distribution's grammar, simplified).
_REFERENCE = re.compile(
    r"^(?:(?P<domain>[a-zA-Z0-9.-]+(?::[0-9]+)?)/)?"
    r"(?P<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$")


def normalize_image(image):
    """Returns the fully qualified reference the kubelet would pull, or None if invalid."""
    m = _REFERENCE.match(image or "")
    if not m:
        return None
    domain, path = m.group("domain"), m.group("path")
    if domain and "." not in domain and ":" not in domain and domain != "localhost":
        domain, path = None, f"{domain}/{path}"
    if not domain:
        domain = "docker.io"
        if "/" not in path:
            path = f"library/{path}"
    ref = f"{domain}/{path}"
    if m.group("digest"):
        return f"{ref}@{m.group('digest')}"
    return f"{ref}:{m.group('tag') or 'latest'}"


class Podman:
    def __init__(self, argv, instance, concurrency=3):
        self.argv = list(argv)
        self.instance = instance
        self.label = f"k8semu.instance={instance}"
        self.gate = threading.Semaphore(concurrency)

    def run(self, *args, timeout=120, check=False, stdin_data=None):
        with self.gate:
            try:
                proc = subprocess.run(self.argv + list(args), capture_output=True,
                                      timeout=timeout, input=stdin_data)
            except subprocess.TimeoutExpired as e:
                return subprocess.CompletedProcess(e.cmd, 124, b"", b"timed out")
        if check and proc.returncode != 0:
            raise RuntimeError(f"podman {args[0]} failed: {proc.stderr.decode(errors='replace')}")
        return proc

    def image_exists(self, ref):
        return self.run("image", "exists", ref, timeout=30).returncode == 0

    def pull(self, ref):
        """Tries a real pull (no registry is reachable here); returns (ok, message)."""
        proc = self.run("pull", "--quiet", ref, timeout=30)
        return proc.returncode == 0, proc.stderr.decode(errors="replace").strip()

    def containers(self):
        """name -> podman's ps entry, for this instance's containers."""
        proc = self.run("ps", "-a", "--filter", f"label={self.label}", "--format", "json",
                        timeout=60)
        if proc.returncode != 0:
            return None
        try:
            return {c["Names"][0]: c for c in json.loads(proc.stdout or b"[]")}
        except (ValueError, KeyError, IndexError):
            return None

    def oom_killed(self, name, cid):
        """Whether the kernel's OOM killer ended the container.

        podman's own flag stays false on this machine's hybrid cgroup layout, so the
        kernel log is read too, as cAdvisor does for the kubelet: an `oom-kill:` line whose
        task_memcg is the container's cgroup (libpod-<id>).
        """
        proc = self.run("inspect", "--format", "{{.State.OOMKilled}}", name, timeout=30)
        if proc.stdout.strip() == b"true":
            return True
        try:
            log = subprocess.run(["dmesg"], capture_output=True, timeout=30).stdout
        except (OSError, subprocess.TimeoutExpired):
            return False
        needle = f"libpod-{cid}".encode()
        return any(b"oom-kill:" in line and needle in line for line in log.splitlines())

    def stop(self, name, grace):
        self.run("stop", "--time", str(max(0, int(grace))), name, timeout=grace + 60)

    def remove(self, name):
        self.run("rm", "--force", "--time", "0", name, timeout=60)

    def logs_command(self, name, follow=False):
        return self.argv + ["logs"] + (["--follow"] if follow else []) + [name]

    def exec_command(self, name, command, stdin):
        return self.argv + ["exec"] + (["--interactive"] if stdin else []) + [name] + command

    def remove_all(self):
        proc = self.run("ps", "-a", "-q", "--filter", f"label={self.label}", timeout=60)
        ids = proc.stdout.decode().split()
        if ids:
            self.run("rm", "--force", "--time", "0", *ids, timeout=300)
