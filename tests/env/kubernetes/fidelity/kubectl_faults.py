"""The emulator's fault switches, each checked with the outcome a real client sees:
kubectl where it exercises the path (429 retry, 500, quota 403, stuck Terminating),
raw API calls for watch streams (410 at connect, in the stream, after compaction).
"""
import json
import threading
import time
import urllib.request

from harness import (NS, SERVER, TOKEN, _context, api, eventually, fault, job_yaml,
                     kubectl, kubectl_json, name, pods_of, test)


@test
def status429_is_retried_after_retry_after():
    fault({"status429": 2, "retryAfterSeconds": 1})
    start = time.monotonic()
    proc = kubectl("get", "jobs", "-v=6")
    assert "429" in proc.stderr, "kubectl never saw the 429"
    assert time.monotonic() - start >= 1.0, "kubectl did not wait for Retry-After"
    status, headers, body = api("GET", f"/apis/batch/v1/namespaces/{NS}/jobs")
    assert status == 200, body


@test
def status500_for_n_seconds_then_recovers():
    fault({"status500Seconds": 2})
    proc = kubectl("get", "jobs", check=False)
    assert proc.returncode != 0 and "InternalError" in proc.stderr or \
        "Internal error" in proc.stderr, proc.stderr
    time.sleep(2.2)
    kubectl("get", "jobs")


@test
def quota403_refuses_one_create():
    job = name("quota")
    fault({"quota403": 1})
    proc = kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/true"]), check=False)
    assert proc.returncode != 0 and "exceeded quota" in proc.stderr, proc.stderr
    assert "Forbidden" in proc.stderr or "forbidden" in proc.stderr, proc.stderr
    kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/true"]))
    kubectl("delete", "job", job)


def _scheduled_condition(job):
    def probe():
        for pod in pods_of(job):
            for cond in pod.get("status", {}).get("conditions") or []:
                if cond["type"] == "PodScheduled" and cond["status"] == "False":
                    return cond
        return None
    return eventually("PodScheduled=False", probe)


@test
def unschedulable_pod_stays_pending_with_the_reason():
    job = name("unsched")
    fault({"unschedulable": 1})
    kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/true"]))
    cond = _scheduled_condition(job)
    assert cond["reason"] == "Unschedulable", cond
    assert pods_of(job)[0]["status"]["phase"] == "Pending"
    kubectl("delete", "job", job)


@test
def request_above_the_node_is_unschedulable_for_real():
    job = name("bigcpu")
    extra = "        resources: {requests: {cpu: '512'}, limits: {cpu: '512'}}\n"
    kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/true"], container_extra=extra))
    cond = _scheduled_condition(job)
    assert cond["reason"] == "Unschedulable" and "Insufficient cpu" in cond["message"], cond
    kubectl("delete", "job", job)


@test
def stuck_terminating_pod_needs_a_forced_delete():
    job = name("stuck")
    kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/sleep", "300"]))
    pod = eventually("a running pod", lambda: next(
        (p["metadata"]["name"] for p in pods_of(job)
         if p.get("status", {}).get("phase") == "Running"), None))
    fault({"stuckTerminating": 1})
    kubectl("delete", "pod", pod, "--grace-period=1", "--wait=false")
    time.sleep(3)
    meta = kubectl_json("get", "pod", pod)["metadata"]
    assert "deletionTimestamp" in meta, meta
    kubectl("delete", "pod", pod, "--grace-period=0", "--force")
    eventually("the forced delete", lambda: kubectl("get", "pod", pod, check=False)
               .returncode != 0)
    kubectl("delete", "job", job)


@test
def pod_deleted_before_its_end_was_seen_fails_the_job():
    job = name("vanish")
    fault({"vanishOnExit": 1})
    kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/true"]))
    kubectl("wait", "--for=condition=failed", f"job/{job}", "--timeout=60s")
    status = kubectl_json("get", "job", job)["status"]
    assert status["failed"] == 1 and "succeeded" not in status, status
    assert pods_of(job) == [], "the pod should be gone"
    kubectl("delete", "job", job)


def _list_rv():
    # kubectl's `get -o json` wraps lists in a kind: List without a resourceVersion.
    return api("GET", f"/apis/batch/v1/namespaces/{NS}/jobs?limit=1")[2]["metadata"][
        "resourceVersion"]


def _watch_lines(path, limit=50, timeout=20):
    req = urllib.request.Request(SERVER + path)
    req.add_header("Authorization", f"Bearer {TOKEN}")
    lines = []
    with urllib.request.urlopen(req, context=_context(), timeout=timeout) as resp:
        for raw in resp:
            lines.append(json.loads(raw))
            if lines[-1]["type"] == "ERROR" or len(lines) >= limit:
                break
    return lines


@test
def watch_gone_at_connect_is_a_410():
    fault({"watchGoneAtConnect": 1})
    rv = _list_rv()
    status, _, body = api("GET", f"/apis/batch/v1/namespaces/{NS}/jobs?watch=1"
                                 f"&resourceVersion={rv}")
    assert status == 410 and body["reason"] == "Expired", body


@test
def watch_gone_now_ends_open_streams_with_a_410_error_event():
    rv = _list_rv()
    threading.Timer(1.0, lambda: fault({"watchGoneNow": True})).start()
    events = _watch_lines(f"/apis/batch/v1/namespaces/{NS}/jobs?watch=1&resourceVersion={rv}")
    assert events[-1]["type"] == "ERROR" and events[-1]["object"]["code"] == 410, events


@test
def compaction_makes_old_resource_versions_gone():
    rv = _list_rv()
    kubectl("create", "-f", "-", stdin=job_yaml(name("compact"), ["/bin/true"]))
    fault({"compact": True})
    status, _, body = api("GET", f"/apis/batch/v1/namespaces/{NS}/jobs?watch=1"
                                 f"&resourceVersion={rv}")
    assert status == 410 and body["reason"] == "Expired", body
    listing = api("GET", f"/apis/batch/v1/namespaces/{NS}/jobs?limit=1")[2]
    token = listing["metadata"].get("continue")
    if token:
        fault({"compact": True})
        status, _, body = api("GET", f"/apis/batch/v1/namespaces/{NS}/jobs?limit=1"
                                     f"&continue={token}")
        assert status == 410, body
    kubectl("delete", "job", name("compact"))


@test
def watch_sends_bookmarks_and_ends_at_timeout_seconds():
    rv = _list_rv()
    start = time.monotonic()
    events = _watch_lines(f"/apis/batch/v1/namespaces/{NS}/jobs?watch=1&resourceVersion={rv}"
                          "&allowWatchBookmarks=true&timeoutSeconds=7")
    took = time.monotonic() - start
    assert 6 <= took < 12, f"the watch ended after {took:.1f}s, not at timeoutSeconds=7"
    marks = [e for e in events if e["type"] == "BOOKMARK"]
    assert marks and int(marks[0]["object"]["metadata"]["resourceVersion"]) >= int(rv), events
