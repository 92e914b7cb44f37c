"""kubectl against the emulator: the Job life cycle a user drives by hand, and the pod
states the kubernetes:// adaptor reads (exit codes, OOM, pull failures, init containers).
Each test states the behaviour in its name; where kubectl and the emulator disagree, the
emulator is wrong.
"""
import hashlib
import json
import os
import tempfile
import time

from harness import (IMAGE, NS, api, container_state, eventually, job_yaml, kubectl,
                     kubectl_json, name, needs_kubectl, pods_of, test)


@test
def create_get_wait_logs_delete_roundtrip():
    job = name("roundtrip")
    hostile = "it's \"quoted\" $(not run) `nor this` ; & | \\ \n second line"
    kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/sh", "-c", 'printf "%s\\n" "$0"',
                                                        hostile]))
    kubectl("wait", "--for=condition=complete", f"job/{job}", "--timeout=60s")
    listing = kubectl_json("get", "jobs", "-l", "suite=k8semu-fidelity")
    mine = [j for j in listing["items"] if j["metadata"]["name"] == job]
    assert len(mine) == 1, f"get jobs -o json does not list {job}"
    uid = mine[0]["metadata"]["uid"]
    labels = mine[0]["spec"]["template"]["metadata"]["labels"]
    assert labels["batch.kubernetes.io/controller-uid"] == uid, labels
    assert labels["batch.kubernetes.io/job-name"] == job, labels
    status = mine[0]["status"]
    assert [c["type"] for c in status["conditions"]] == ["Complete"], status
    assert status["succeeded"] == 1 and "completionTime" in status, status
    logs = kubectl("logs", f"job/{job}").stdout
    assert logs == hostile + "\n", f"logs {logs!r} != {hostile!r}"
    pod = pods_of(job)[0]
    term = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert term["exitCode"] == 0 and term["reason"] == "Completed", term
    assert pod["metadata"]["ownerReferences"][0]["uid"] == uid
    kubectl("delete", "job", job)
    gone = kubectl("get", "job", job, check=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr, gone.stderr
    eventually("the Background delete to remove the job's pod", lambda: pods_of(job) == [])


@test
def non_zero_exit_fails_the_job_with_backoff_limit_exceeded():
    job = name("exit3")
    kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/sh", "-c", "echo out; exit 3"]))
    kubectl("wait", "--for=condition=failed", f"job/{job}", "--timeout=60s")
    cond = kubectl_json("get", "job", job)["status"]["conditions"][-1]
    assert cond["reason"] == "BackoffLimitExceeded", cond
    term = container_state(job)["terminated"]
    assert term["exitCode"] == 3 and term["reason"] == "Error", term
    assert kubectl("logs", f"job/{job}").stdout == "out\n"
    kubectl("delete", "job", job)


@test
def backoff_limit_retries_with_a_new_pod():
    job = name("retry")
    kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/sh", "-c", "exit 1"])
            .replace("backoffLimit: 0", "backoffLimit: 1"))
    kubectl("wait", "--for=condition=failed", f"job/{job}", "--timeout=90s")
    status = kubectl_json("get", "job", job)["status"]
    assert status["failed"] == 2, status
    assert len(pods_of(job)) == 2, "one pod per attempt"
    kubectl("delete", "job", job)


@test
def active_deadline_fails_the_job_with_deadline_exceeded():
    job = name("deadline")
    kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/sleep", "300"],
                                                 extra_spec="  activeDeadlineSeconds: 2\n"))
    kubectl("wait", "--for=condition=failed", f"job/{job}", "--timeout=60s")
    cond = kubectl_json("get", "job", job)["status"]["conditions"][-1]
    assert cond["reason"] == "DeadlineExceeded", cond
    kubectl("delete", "job", job)


@test
def memory_limit_ends_in_oom_killed():
    job = name("oom")
    limits = "        resources: {limits: {memory: 16Mi}}\n"
    kubectl("create", "-f", "-", stdin=job_yaml(
        job, ["/bin/sh", "-c", "dd if=/dev/zero of=/dev/null bs=200M count=1"],
        container_extra=limits))
    kubectl("wait", "--for=condition=failed", f"job/{job}", "--timeout=60s")
    term = container_state(job)["terminated"]
    assert term["reason"] == "OOMKilled" and term["exitCode"] == 137, term
    kubectl("delete", "job", job)


def _waiting_reason(job, reasons):
    def probe():
        state = container_state(job) or {}
        reason = (state.get("waiting") or {}).get("reason")
        return reason if reason in reasons else None
    return eventually(f"waiting reason in {reasons}", probe)


@test
def missing_image_is_a_genuine_pull_failure():
    job = name("nopull")
    kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/true"],
                                                 image="localhost/not-there:1.0"))
    _waiting_reason(job, {"ErrImagePull", "ImagePullBackOff"})
    _waiting_reason(job, {"ImagePullBackOff"})
    logs = kubectl("logs", f"job/{job}", check=False)
    assert logs.returncode != 0 and "waiting to start" in logs.stderr, logs.stderr
    kubectl("delete", "job", job)


@test
def malformed_image_name_is_invalid_image_name():
    job = name("badname")
    kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/true"], image="Not/A:Valid@Name"))
    _waiting_reason(job, {"InvalidImageName"})
    kubectl("delete", "job", job)


@test
def missing_secret_is_create_container_config_error():
    job = name("cfgerr")
    env = "        env: [{name: X, valueFrom: {secretKeyRef: {name: nope, key: k}}}]\n"
    kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/true"], container_extra=env))
    _waiting_reason(job, {"CreateContainerConfigError"})
    kubectl("delete", "job", job)


def _init_container(script):
    return ("      initContainers:\n"
            "      - name: stage\n"
            f"        image: {IMAGE}\n"
            f"        command: ['/bin/sh', '-c', {json.dumps(script)}]\n")


@test
def init_container_output_reaches_the_main_container():
    job = name("init")
    mounts = "        volumeMounts: [{name: work, mountPath: /work}]\n"
    pod_extra = "      volumes: [{name: work, emptyDir: {}}]\n" + \
        _init_container("echo staged > /work/in.txt") + mounts
    kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/cat", "/work/in.txt"],
                                                 pod_extra=pod_extra, container_extra=mounts))
    kubectl("wait", "--for=condition=complete", f"job/{job}", "--timeout=60s")
    assert kubectl("logs", f"job/{job}").stdout == "staged\n"
    init = pods_of(job)[0]["status"]["initContainerStatuses"][0]["state"]["terminated"]
    assert init["exitCode"] == 0, init
    kubectl("delete", "job", job)


@test
def failing_init_container_fails_the_pod_before_main_runs():
    job = name("initfail")
    pod_extra = _init_container("exit 7")
    kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/true"], pod_extra=pod_extra))
    kubectl("wait", "--for=condition=failed", f"job/{job}", "--timeout=60s")
    status = pods_of(job)[0]["status"]
    assert status["phase"] == "Failed", status
    assert status["initContainerStatuses"][0]["state"]["terminated"]["exitCode"] == 7
    assert "waiting" in status["containerStatuses"][0]["state"], status
    kubectl("delete", "job", job)


@test
def termination_messages_of_init_and_main_containers_reach_their_status():
    job = name("termmsg")
    pod_extra = _init_container("echo 5 > /dev/termination-log; exit 0")
    kubectl("create", "-f", "-", stdin=job_yaml(
        job, ["/bin/sh", "-c", "printf 'main says' > /dev/termination-log; exit 2"],
        pod_extra=pod_extra))
    kubectl("wait", "--for=condition=failed", f"job/{job}", "--timeout=60s")
    pod = pods_of(job)[0]
    init = pod["status"]["initContainerStatuses"][0]["state"]["terminated"]
    assert init["exitCode"] == 0 and init["message"] == "5\n", init
    main = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert main["exitCode"] == 2 and main["message"] == "main says", main
    spec = pod["spec"]["containers"][0]
    assert spec["terminationMessagePath"] == "/dev/termination-log", spec
    assert spec["terminationMessagePolicy"] == "File", spec
    # A container that writes none has no message at all (not an empty one).
    kubectl("delete", "job", job)
    quiet = name("termnone")
    kubectl("create", "-f", "-", stdin=job_yaml(quiet, ["/bin/true"]))
    kubectl("wait", "--for=condition=complete", f"job/{quiet}", "--timeout=60s")
    term = container_state(quiet)["terminated"]
    assert "message" not in term, term
    kubectl("delete", "job", quiet)


@test
def exec_and_cp_move_a_tree_both_ways():
    needs_kubectl(30, "exec and cp use SPDY before 1.30; the emulator speaks WebSocket only")
    job = name("stage")
    kubectl("create", "-f", "-", stdin=job_yaml(
        job, ["/bin/sh", "-c", "while [ ! -e /work/done ]; do sleep 0.2; done"]))
    pod = eventually("a running pod", lambda: next(
        (p["metadata"]["name"] for p in pods_of(job)
         if p.get("status", {}).get("phase") == "Running"), None))
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in")
        os.mkdir(src)
        payload = os.urandom(3 * 1024 * 1024)
        with open(os.path.join(src, "data.bin"), "wb") as f:
            f.write(payload)
        with open(os.path.join(src, "we'ird $(name).txt"), "w") as f:
            f.write("odd\n")
        kubectl("cp", src, f"{pod}:/work/input")
        out = kubectl("exec", pod, "--", "sh", "-c", "md5sum /work/input/data.bin; ls /work/input")
        assert hashlib.md5(payload).hexdigest() in out.stdout, out.stdout
        assert "we'ird $(name).txt" in out.stdout, out.stdout
        failing = kubectl("exec", pod, "--", "sh", "-c", "echo e >&2; exit 5", check=False)
        assert failing.returncode == 5 and "e\n" in failing.stderr, failing
        back = os.path.join(tmp, "back.bin")
        kubectl("cp", f"{pod}:/work/input/data.bin", back)
        with open(back, "rb") as f:
            assert f.read() == payload, "the tree came back different"
    kubectl("exec", pod, "--", "touch", "/work/done")
    kubectl("wait", "--for=condition=complete", f"job/{job}", "--timeout=60s")
    kubectl("delete", "job", job)


@test
def ttl_after_finished_deletes_the_job():
    job = name("ttl")
    kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/true"],
                                                 extra_spec="  ttlSecondsAfterFinished: 1\n"))
    eventually("the TTL to delete the job",
               lambda: kubectl("get", "job", job, check=False).returncode != 0)
    eventually("the GC to delete its pod", lambda: pods_of(job) == [])


@test
def delete_without_options_orphans_the_pods():
    job = name("orphan")
    kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/true"]))
    kubectl("wait", "--for=condition=complete", f"job/{job}", "--timeout=60s")
    status, _, body = api("DELETE", f"/apis/batch/v1/namespaces/{NS}/jobs/{job}")
    assert status == 200, body
    eventually("the job to be gone",
               lambda: kubectl("get", "job", job, check=False).returncode != 0)
    pods = pods_of(job)
    assert len(pods) == 1 and "ownerReferences" not in pods[0]["metadata"], pods
    kubectl("delete", "pod", pods[0]["metadata"]["name"])


@test
def unknown_fields_are_refused_by_strict_validation():
    needs_kubectl(25, "no server-side field validation (fieldValidation=Strict) before 1.25")
    job = name("strict")
    text = job_yaml(job, ["/bin/true"], container_extra="        imagePolicy: Always\n")
    proc = kubectl("create", "-f", "-", stdin=text, check=False)
    assert proc.returncode != 0, "kubectl create accepted an unknown field"
    assert 'unknown field "spec.template.spec.containers[0].imagePolicy"' in proc.stderr, \
        proc.stderr
    kubectl("create", "--validate=false", "-f", "-", stdin=text)
    kubectl("delete", "job", job)


@test
def chunked_list_walks_every_page():
    jobs = [name(f"page{i}") for i in range(3)]
    for job in jobs:
        kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/true"]))
    got = kubectl("get", "jobs", "--chunk-size=1", "-o", "name", "-v=6")
    for job in jobs:
        assert f"job.batch/{job}" in got.stdout, got.stdout
    # One request per job: the first without a continue token, each later one with.
    assert got.stderr.count("limit=1") >= 3 and got.stderr.count("continue=") >= 2, \
        "kubectl did not page with limit and continue"
    for job in jobs:
        kubectl("delete", "job", job)


@test
def certificate_user_is_accepted_and_a_bad_token_is_not():
    kubectl("--context", "cuttle-emulator-cert", "get", "jobs")
    status, _, body = api("GET", f"/apis/batch/v1/namespaces/{NS}/jobs", token="wrong")
    assert status == 401 and body["reason"] == "Unauthorized", body
    proc = kubectl("--token", "wrong", "get", "jobs", check=False)
    assert proc.returncode != 0 and "Unauthorized" in proc.stderr, proc.stderr


@test
def hostile_bodies_get_clear_errors():
    path = f"/apis/batch/v1/namespaces/{NS}/jobs"
    status, _, body = api("POST", path, raw=b'{"apiVersion": "batch/v1", "kind": "Job", ')
    assert status == 400 and "json" in body["message"], body
    status, _, body = api("POST", path, raw=b"[" * 100000 + b"]" * 100000)
    assert status in (400, 413), body
    status, _, body = api("POST", path, raw=b" " * (4 * 1024 * 1024))
    assert status == 413 and body["reason"] == "RequestEntityTooLarge", body
    bad = {"apiVersion": "batch/v1", "kind": "Job",
           "metadata": {"name": "Bad_Name$(x)"}, "spec": {}}
    status, _, body = api("POST", path, bad)
    assert status == 422 and "metadata.name" in body["message"], body
    status, _, body = api("GET", path + "?labelSelector=" + "a%20in%20(b")
    assert status == 400, body
    status, _, body = api("GET", path + "?fieldSelector=spec.secret%3Dx")
    assert status == 400 and "field label not supported" in body["message"], body


@test
def pod_log_honours_limit_bytes():
    job = name("limit")
    kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/sh", "-c", "echo 0123456789"]))
    kubectl("wait", "--for=condition=complete", f"job/{job}", "--timeout=60s")
    assert kubectl("logs", f"job/{job}", "--limit-bytes=4").stdout == "0123"
    pod = pods_of(job)[0]["metadata"]["name"]
    status, _, text = api("GET", f"/api/v1/namespaces/{NS}/pods/{pod}/log?container=nope")
    assert status == 400 and "not valid" in json.dumps(text), text
    kubectl("delete", "job", job)


@test
def patches_change_deadline_and_ttl_but_not_the_template():
    job = name("patch")
    kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/sleep", "300"],
                                                 extra_spec="  activeDeadlineSeconds: 600\n"))
    kubectl("patch", "job", job, "--type", "merge", "-p", '{"spec":{"activeDeadlineSeconds":2}}')
    kubectl("wait", "--for=condition=failed", f"job/{job}", "--timeout=60s")
    assert kubectl_json("get", "job", job)["status"]["conditions"][-1]["reason"] == \
        "DeadlineExceeded"
    kubectl("patch", "job", job, "--type", "json",
            "-p", '[{"op": "add", "path": "/metadata/labels/extra", "value": "x y"}]',
            check=False)  # a label value with a space is refused...
    assert "extra" not in kubectl_json("get", "job", job)["metadata"]["labels"]
    kubectl("patch", "job", job, "--type", "json",
            "-p", '[{"op": "add", "path": "/metadata/labels/extra", "value": "xy"}]')
    assert kubectl_json("get", "job", job)["metadata"]["labels"]["extra"] == "xy"
    refused = kubectl("patch", "job", job, "-p",
                      '{"spec":{"template":{"spec":{"containers":[{"name":"main",'
                      '"image":"other"}]}}}}', check=False)
    assert refused.returncode != 0 and "immutable" in refused.stderr, refused.stderr
    kubectl("patch", "job", job, "-p", '{"spec":{"ttlSecondsAfterFinished":0}}')
    eventually("the TTL set by a strategic merge patch to delete the job",
               lambda: kubectl("get", "job", job, check=False).returncode != 0)


@test
def container_times_are_the_runtimes_own():
    """startedAt and finishedAt are when the process started and ended (the CRI's times, as
    a kubelet reports them), not when the node got round to noticing; the running state's
    startedAt is the terminated state's."""
    job = name("times")
    kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/sh", "-c", "sleep 3"]))
    running = eventually("the container to run",
                         lambda: (container_state(job) or {}).get("running"))
    kubectl("wait", "--for=condition=complete", f"job/{job}", "--timeout=60s")
    term = container_state(job)["terminated"]
    assert term["startedAt"] == running["startedAt"], (running, term)
    seconds = [time.mktime(time.strptime(term[k], "%Y-%m-%dT%H:%M:%SZ"))
               for k in ("startedAt", "finishedAt")]
    assert 3 <= seconds[1] - seconds[0] <= 4, term
    kubectl("delete", "job", job)


@test
def a_failed_json_patch_test_is_422_and_changes_nothing():
    """What an optimistic update (test, then replace) relies on: the whole patch or none."""
    job = name("patchtest")
    kubectl("create", "-f", "-", stdin=job_yaml(job, ["/bin/sleep", "300"],
                                                 extra_spec="  activeDeadlineSeconds: 600\n"))
    path = f"/apis/batch/v1/namespaces/{NS}/jobs/{job}"
    ops = [{"op": "test", "path": "/spec/activeDeadlineSeconds", "value": 599},
           {"op": "replace", "path": "/spec/activeDeadlineSeconds", "value": 700}]
    status, _, body = api("PATCH", path, ops, ctype="application/json-patch+json")
    assert status == 422, (status, body)
    assert kubectl_json("get", "job", job)["spec"]["activeDeadlineSeconds"] == 600
    ops[0]["value"] = 600
    status, _, body = api("PATCH", path, ops, ctype="application/json-patch+json")
    assert status == 200 and body["spec"]["activeDeadlineSeconds"] == 700, (status, body)
    kubectl("delete", "job", job)
