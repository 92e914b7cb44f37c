"""Raw API requests for what neither kubectl nor the JS client sends in the other tests:
set-based label selectors, field selectors, and a filtered watch seeing an object stop
and start matching (DELETED / ADDED, as the API server's watch cache reports it).
"""
import json
import threading
import urllib.request

from harness import IMAGE, NS, SERVER, TOKEN, _context, api, eventually, name, test


def _pod(pod, labels):
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod, "labels": labels},
            "spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
                     "containers": [{"name": "main", "image": IMAGE,
                                     "command": ["/bin/sh", "-c", "exit 0"]}]}}
    status, _, out = api("POST", f"/api/v1/namespaces/{NS}/pods", body)
    assert status == 201, out
    return out


def _names(query):
    status, _, out = api("GET", f"/api/v1/namespaces/{NS}/pods?{query}")
    assert status == 200, out
    return sorted(p["metadata"]["name"] for p in out["items"])


@test
def set_based_and_field_selectors_filter_like_the_api_server():
    a, b = name("sel-a"), name("sel-b")
    _pod(a, {"tier": "front", "run": a})
    _pod(b, {"tier": "back", "extra": "1", "run": b})
    mine = f"run%20in%20({a},{b})"
    assert _names(f"labelSelector={mine}") == [a, b]
    assert _names(f"labelSelector={mine},tier%20notin%20(front)") == [b]
    assert _names(f"labelSelector={mine},!extra") == [a]
    assert _names(f"labelSelector={mine},extra") == [b]
    assert _names(f"labelSelector={mine},tier!=back") == [a]
    assert _names(f"fieldSelector=metadata.name%3D{a}") == [a]
    eventually("both pods to succeed", lambda: _names(
        f"labelSelector={mine}&fieldSelector=status.phase%3DSucceeded") == [a, b])
    for pod in (a, b):
        api("DELETE", f"/api/v1/namespaces/{NS}/pods/{pod}?gracePeriodSeconds=0")


@test
def filtered_watch_reports_leaving_and_entering_the_selection():
    pod = name("relabel")
    created = _pod(pod, {"watch": "in"})
    rv = created["metadata"]["resourceVersion"]
    events = []
    req = urllib.request.Request(f"{SERVER}/api/v1/namespaces/{NS}/pods?watch=1"
                                 f"&labelSelector=watch%3Din&resourceVersion={rv}"
                                 "&timeoutSeconds=8")
    req.add_header("Authorization", f"Bearer {TOKEN}")

    def read():
        with urllib.request.urlopen(req, context=_context(), timeout=20) as resp:
            for line in resp:
                events.append(json.loads(line)["type"])
    reader = threading.Thread(target=read)
    reader.start()
    merge = "application/merge-patch+json"
    path = f"/api/v1/namespaces/{NS}/pods/{pod}"
    for value in ("out", "in"):
        status, _, out = api("PATCH", path, {"metadata": {"labels": {"watch": value}}},
                             ctype=merge)
        assert status == 200, out
        eventually(f"the watch to report the label {value}",
                   lambda v=value: ("DELETED" if v == "out" else "ADDED") in events, 10)
    reader.join()
    api("DELETE", f"{path}?gracePeriodSeconds=0")
