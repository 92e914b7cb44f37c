"""What the kubectl fidelity tests share: running kubectl against the emulator, raw API
calls (for what kubectl never sends), fault switches, polling, and the PASS/FAIL lines
run.sh counts.

Used from one thread; every name a test creates carries the run's suffix so runs on the
shared emulator never collide.
"""
import json
import os
import ssl
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request

SERVER = os.environ["CUTTLE_TEST_K8S_SERVER"]
TOKEN = os.environ["CUTTLE_TEST_K8S_TOKEN"]
IMAGE = os.environ["CUTTLE_TEST_K8S_IMAGE"]
SUFFIX = f"{os.getpid() % 100000}"
# A namespace of our own: fault switches are scoped to it, so runs sharing the emulator
# neither see each other's objects nor each other's faults.
NS = f"cuttle-kubectl-{SUFFIX}"
TESTS = []


class Skip(Exception):
    """A test that cannot run with this client, and why (printed as a SKIP line)."""


def kubectl_minor():
    proc = subprocess.run(["kubectl", "version", "--client", "-o", "json"],
                          capture_output=True, text=True, timeout=60)
    minor = json.loads(proc.stdout)["clientVersion"]["minor"]
    return int("".join(ch for ch in minor if ch.isdigit()))


def needs_kubectl(minor, why):
    """Skips the test when kubectl is older than 1.MINOR (e.g. Debian 12's 1.20)."""
    have = kubectl_minor()
    if have < minor:
        raise Skip(f"kubectl 1.{have} < 1.{minor}: {why}")


def test(fn):
    TESTS.append(fn)
    return fn


def name(base):
    return f"{base}-{SUFFIX}"


def kubectl(*args, stdin=None, check=True, timeout=120):
    proc = subprocess.run(["kubectl", "-n", NS, *args], input=stdin, capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} exited {proc.returncode}: "
                             f"{proc.stderr.strip()}")
    return proc


def kubectl_json(*args):
    return json.loads(kubectl(*args, "-o", "json").stdout)


def _context():
    ctx = ssl.create_default_context(cafile=os.environ["CUTTLE_TEST_K8S_CA"])
    return ctx


def api(method, path, body=None, token=TOKEN, ctype="application/json", raw=None):
    """Returns (status, headers, parsed body or text) for one raw API request."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(SERVER + path, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, context=_context(), timeout=60) as resp:
            status, headers, text = resp.status, resp.headers, resp.read().decode()
    except urllib.error.HTTPError as e:
        status, headers, text = e.code, e.headers, e.read().decode()
    try:
        return status, headers, json.loads(text)
    except ValueError:
        return status, headers, text


def fault(switches):
    status, _, body = api("POST", "/emulator/faults", dict(switches, namespace=NS))
    assert status == 200, f"setting faults {switches}: {status} {body}"


def eventually(what, probe, timeout=60, interval=0.3):
    """Polls probe() until it returns a truthy value; fails naming `what` and the last value."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")


def job_yaml(job, command, extra_spec="", container_extra="", pod_extra="", image=None):
    cmd = json.dumps(command)
    return f"""apiVersion: batch/v1
kind: Job
metadata:
  name: {job}
  labels: {{suite: k8semu-fidelity}}
spec:
  backoffLimit: 0
{extra_spec}  template:
    spec:
      restartPolicy: Never
{pod_extra}      containers:
      - name: main
        image: {json.dumps(image or IMAGE)}
        command: {cmd}
{container_extra}"""


def pods_of(job):
    return kubectl_json("get", "pods", "-l", f"job-name={job}")["items"]


def container_state(job):
    pods = pods_of(job)
    if not pods:
        return None
    statuses = (pods[0].get("status") or {}).get("containerStatuses") or []
    return statuses[0]["state"] if statuses else None


def run_all():
    passed = failed = skipped = 0
    only = sys.argv[1:]
    status, _, body = api("POST", "/api/v1/namespaces", {"metadata": {"name": NS}})
    assert status == 201, f"creating namespace {NS}: {status} {body}"
    for fn in TESTS:
        if only and fn.__name__ not in only:
            continue
        start = time.monotonic()
        try:
            fn()
            passed += 1
            print(f"PASS kubectl.{fn.__name__} ({time.monotonic() - start:.1f}s)", flush=True)
        except Skip as e:
            skipped += 1
            print(f"SKIP kubectl.{fn.__name__}: {e}", flush=True)
        except Exception as e:  # a test's failure is reported, and the next one runs
            failed += 1
            print(f"FAIL kubectl.{fn.__name__}: {e}", flush=True)
            traceback.print_exc(file=sys.stderr)
        finally:
            api("DELETE", f"/emulator/faults?namespace={NS}")
    api("DELETE", f"/api/v1/namespaces/{NS}")
    return failed == 0
