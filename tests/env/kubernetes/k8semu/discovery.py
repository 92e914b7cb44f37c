"""Discovery documents (/version, /api, /apis, /api/v1, /apis/batch/v1) and the OpenAPI v3
documents kubectl reads to learn that the server validates fields itself
(a PATCH operation per kind with a `fieldValidation` query parameter).

Constant data; thread-safe.
"""
import hashlib
import json

VERSION = {"major": "1", "minor": "30", "gitVersion": "v1.30.0-cuttle-emulator",
           "gitCommit": "0000000000000000000000000000000000000000",
           "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
           "goVersion": "go1.22.0", "compiler": "gc", "platform": "linux/amd64"}
VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


def _res(name, kind, namespaced=True, verbs=VERBS, short=None, categories=None):
    r = {"name": name, "singularName": "" if "/" in name else kind.lower(),
         "namespaced": namespaced, "kind": kind, "verbs": verbs}
    if short:
        r["shortNames"] = short
    if categories:
        r["categories"] = categories
    return r


CORE_V1 = {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
    _res("events", "Event", short=["ev"]),
    _res("namespaces", "Namespace", False, ["create", "delete", "get", "list", "patch",
                                            "update", "watch"], ["ns"]),
    _res("pods", "Pod", short=["po"], categories=["all"]),
    _res("pods/exec", "PodExecOptions", verbs=["create", "get"]),
    _res("pods/log", "Pod", verbs=["get"]),
    _res("pods/status", "Pod", verbs=["get", "patch", "update"]),
]}
BATCH_V1 = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "batch/v1",
            "resources": [_res("jobs", "Job", categories=["all"]),
                          _res("jobs/status", "Job", verbs=["get", "patch", "update"])]}
API = {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
    {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}]}
BATCH_GROUP = {"name": "batch", "versions": [{"groupVersion": "batch/v1", "version": "v1"}],
               "preferredVersion": {"groupVersion": "batch/v1", "version": "v1"}}
APIS = {"kind": "APIGroupList", "apiVersion": "v1", "groups": [BATCH_GROUP]}
DOCS = {"/version": VERSION, "/api": API, "/apis": APIS, "/api/v1": CORE_V1,
        "/apis/batch": dict(BATCH_GROUP, kind="APIGroup", apiVersion="v1"),
        "/apis/batch/v1": BATCH_V1}

_PARAMS = [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
           for n in ("dryRun", "fieldManager", "fieldValidation", "force", "pretty")]


def _gvk(group, version, kind):
    return {"group": group, "version": version, "kind": kind}


def _paths(prefix, group, version, kinds):
    paths = {}
    for plural, kind, namespaced in kinds:
        base = f"{prefix}/namespaces/{{namespace}}/{plural}" if namespaced else \
            f"{prefix}/{plural}"
        ext = {"x-kubernetes-group-version-kind": _gvk(group, version, kind)}
        op = lambda action, params=(): dict(ext, **{  # noqa: E731
            "x-kubernetes-action": action, "operationId": f"{action}{kind}",
            "parameters": list(params),
            "responses": {"200": {"description": "OK", "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{_schema_name(group, version, kind)}"}}}}}})
        paths[base] = {"get": op("list"), "post": op("post", _PARAMS[:3])}
        paths[f"{base}/{{name}}"] = {"get": op("get"), "put": op("put", _PARAMS[:3]),
                                     "patch": op("patch", _PARAMS), "delete": op("delete")}
    return paths


def _schema_name(group, version, kind):
    pkg = {"": "core", "batch": "batch"}[group]
    return f"io.k8s.api.{pkg}.{version}.{kind}"


def _gv_doc(prefix, group, version, kinds):
    schemas = {_schema_name(group, version, k): {
        "type": "object", "description": f"{k} (emulated; the server validates fields)",
        "x-kubernetes-group-version-kind": [_gvk(group, version, k)]} for _, k, _ in kinds}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": VERSION["gitVersion"]},
            "paths": _paths(prefix, group, version, kinds),
            "components": {"schemas": schemas}}


OPENAPI_V3 = {
    "api/v1": _gv_doc("/api/v1", "", "v1", [("pods", "Pod", True),
                                            ("namespaces", "Namespace", False),
                                            ("events", "Event", True)]),
    "apis/batch/v1": _gv_doc("/apis/batch/v1", "batch", "v1", [("jobs", "Job", True)]),
}
HASHES = {k: hashlib.sha512(json.dumps(v, sort_keys=True).encode()).hexdigest().upper()[:128]
          for k, v in OPENAPI_V3.items()}
OPENAPI_V3_ROOT = {"paths": {k: {"serverRelativeURL": f"/openapi/v3/{k}?hash={HASHES[k]}"}
                             for k in OPENAPI_V3}}


def openapi_v2():
    """A Swagger 2.0 rendering of the same paths, for clients that only read v2 as JSON."""
    paths, defs = {}, {}
    for doc in OPENAPI_V3.values():
        for path, ops in doc["paths"].items():
            paths[path] = {verb: {k: v for k, v in op.items() if k != "responses"}
                           for verb, op in ops.items()}
            for p in paths[path].values():
                p["parameters"] = [{"name": q["name"], "in": "query", "type": "string",
                                    "uniqueItems": True} for q in p.get("parameters", [])]
        defs.update(doc["components"]["schemas"])
    return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": VERSION["gitVersion"]},
            "paths": paths, "definitions": defs}


def _field(number, payload):
    """One length-delimited protobuf field (wire type 2)."""
    key, size, out = (number << 3) | 2, len(payload), b""
    for value in (key, size):
        while True:
            byte, value = value & 0x7F, value >> 7
            out += bytes([byte | (0x80 if value else 0)])
            if not value:
                break
    return out + payload


def openapi_v2_protobuf():
    """A minimal gnostic openapi_v2.Document (swagger, info, empty paths) for kubectl
    versions that validate from the protobuf v2 document (1.20 in Debian 12, up to 1.27):
    a kind they find no schema for is not validated client-side, and the server still
    refuses unknown fields when asked (fieldValidation)."""
    info = _field(1, b"Kubernetes") + _field(2, VERSION["gitVersion"].encode())
    return _field(1, b"2.0") + _field(2, info) + _field(8, b"")
