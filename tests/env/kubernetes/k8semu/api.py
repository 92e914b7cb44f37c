"""Routes API requests: discovery and OpenAPI, the admin endpoints under /emulator/,
and create / get / list / watch / update / patch / delete for pods, jobs, namespaces and
events, with the sub-resources pods/log, pods/exec, pods/status and jobs/status.

Each request runs on its connection's thread; state lives in the store.
"""
import json
import uuid

from . import collection, discovery, pod_io
from .defaults import validate_job, validate_metadata, validate_pod
from .deletion import delete_job, delete_namespace, delete_pod
from .errors import ApiError, bad_request, invalid, not_found
from .http_base import BaseHandler
from .patch import apply_patch
from .schema import SCHEMAS, unknown_fields
from .store import GROUPS, KINDS

RESOURCES = {"": {"pods", "events", "namespaces"}, "batch": {"jobs"}}
CLUSTER_SCOPED = {"namespaces"}
SUBRESOURCES = {("pods", "log"), ("pods", "exec"), ("pods", "status"), ("jobs", "status")}


def _route(path):
    """Returns (group, resource, namespace, name, subresource) or None."""
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        group, rest = "", parts[2:]
    elif parts[:3] == ["apis", "batch", "v1"]:
        group, rest = "batch", parts[3:]
    else:
        return None
    ns = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        ns, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        return None
    resource, name = rest[0], rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if resource not in RESOURCES[group]:
        return None
    if resource in CLUSTER_SCOPED and ns is not None:
        return None
    if sub and (resource, sub) not in SUBRESOURCES:
        return None
    return group, resource, ns, name, sub


class Handler(BaseHandler):
    def do_GET(self):
        self.dispatch("GET")

    def do_HEAD(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, verb):
        self.parse()
        try:
            if self.route in ("/healthz", "/livez", "/readyz"):
                return self.send_plain(b"ok")
            if not self.authenticated():
                raise ApiError(401, "Unauthorized", "Unauthorized")
            if self.route.startswith("/emulator/"):
                return self.admin(verb)
            self.count(f"{verb} {self.kind_key()}")
            target = _route(self.route)
            self.server.app.faults.check_request(target[2] if target else None)
            if verb == "GET" and self.route in discovery.DOCS:
                return self.send_json(200, discovery.DOCS[self.route])
            if verb == "GET" and self.route.startswith("/openapi/"):
                return self.openapi()
            if target is None:
                raise ApiError(404, "the server could not find the requested resource",
                               "NotFound")
            self.resource_request(verb, *target)
        except ApiError as e:
            if self.headers.get("Upgrade") or not self.wfile:
                self.close_connection = True
            self.body_drain()
            self.send_error_status(e)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def kind_key(self):
        target = _route(self.route)
        if target is None:
            return self.route
        _, resource, _, name, sub = target
        watch = self.q("watch") in ("true", "1")
        return f"{resource}{'/' + sub if sub else ''}{' item' if name else ''}" \
               f"{' watch' if watch else ''}"

    def body_drain(self):
        """Consumes an unread body (any method may carry one: DELETE has DeleteOptions),
        so it is not parsed as the connection's next request."""
        try:
            if self.headers.get("Content-Length") or self.headers.get("Transfer-Encoding"):
                self.body()
        except (ApiError, ValueError, OSError):
            self.close_connection = True

    def send_plain(self, data):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def openapi(self):
        if self.route == "/openapi/v3":
            return self.send_json(200, discovery.OPENAPI_V3_ROOT)
        key = self.route[len("/openapi/v3/"):]
        if key in discovery.OPENAPI_V3:
            return self.send_json(200, discovery.OPENAPI_V3[key])
        if self.route == "/openapi/v2":
            if "protobuf" not in self.headers.get("Accept", ""):
                return self.send_json(200, discovery.openapi_v2())
            data = discovery.openapi_v2_protobuf()
            self.send_response(200)
            self.send_header("Content-Type",
                             "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            return self.wfile.write(data)
        raise ApiError(404, "the server could not find the requested resource", "NotFound")

    # --- admin ------------------------------------------------------------------------
    def admin(self, verb):
        app = self.server.app
        if self.route == "/emulator/faults":
            if verb == "POST":
                body = self.json_body()
                if not isinstance(body, dict):
                    raise bad_request("faults: the body must be a JSON object")
                app.faults.set(body, app.store)
            elif verb == "DELETE":
                app.faults.reset(self.q("namespace"))
            elif verb != "GET":
                raise ApiError(405, "GET, POST or DELETE /emulator/faults", "MethodNotAllowed")
            return self.send_json(200, app.faults.snapshot())
        if self.route == "/emulator/stats" and verb in ("GET", "DELETE"):
            with self.server.stats_lock:
                stats = dict(self.server.stats)
                if verb == "DELETE":
                    self.server.stats.clear()
            return self.send_json(200, {"requests": stats, "resourceVersion": app.store.rv})
        raise ApiError(404, "unknown admin endpoint; see docs/testing.md", "NotFound")

    # --- resources --------------------------------------------------------------------
    def resource_request(self, verb, group, resource, ns, name, sub):
        app = self.server.app
        if ns is not None and resource != "namespaces" and \
                app.store.find("namespaces", None, ns) is None and verb in ("POST",):
            self.body()
            raise not_found("namespaces", ns)
        if name is None:
            if verb == "GET":
                if self.q("watch") in ("true", "1"):
                    return collection.watch(self, resource, ns)
                listing = collection.list_objects(self, resource, ns)
                if collection.wants_table(self):
                    return self.send_json(200, collection.to_table(resource, listing))
                return self.send_json(200, listing)
            if verb == "POST":
                return self.create(resource, ns)
            raise ApiError(405, f"the server does not allow this method on the requested "
                                f"resource", "MethodNotAllowed")
        if resource in CLUSTER_SCOPED:
            ns = None
        if sub in ("log", "exec"):
            pod = app.store.get("pods", ns, name)
            return pod_io.logs(self, pod) if sub == "log" else pod_io.exec_(self, pod)
        if verb == "GET":
            obj = app.store.get(resource, ns, name)
            if collection.wants_table(self):
                obj.pop("kind"), obj.pop("apiVersion")
                listing = {"metadata": {"resourceVersion": obj["metadata"]["resourceVersion"]},
                           "items": [obj]}
                return self.send_json(200, collection.to_table(resource, listing))
            return self.send_json(200, obj)
        if verb in ("PUT", "PATCH"):
            return self.modify(verb, resource, ns, name, sub)
        if verb == "DELETE":
            return self.delete(resource, ns, name)
        raise ApiError(405, "the server does not allow this method on the requested resource",
                       "MethodNotAllowed")

    def decode(self, resource, obj):
        """Checks kind/apiVersion and unknown fields as `fieldValidation` asks."""
        if not isinstance(obj, dict):
            raise bad_request("the body must be a JSON object")
        kind, api_version = KINDS[resource]
        if obj.get("apiVersion", api_version) != api_version or obj.get("kind", kind) != kind:
            raise bad_request(f"the API version in the data ({obj.get('apiVersion')}) does not "
                              f"match the expected API version ({api_version})")
        mode = self.q("fieldValidation", "Warn")
        if mode not in ("Strict", "Warn", "Ignore"):
            raise bad_request(f'fieldValidation: Unsupported value: "{mode}": supported '
                              f'values: "Ignore", "Strict", "Warn"')
        unknown = list(unknown_fields(obj, SCHEMAS.get(resource, {}))) \
            if resource in SCHEMAS else []
        if unknown and mode == "Strict":
            raise bad_request(f"{kind} in version \"v1\" cannot be handled as a {kind}: "
                              "strict decoding error: " + ", ".join(
                                  f'unknown field "{f}"' for f in unknown))
        if mode == "Warn":
            self.warnings += [f'unknown field "{f}"' for f in unknown]
        return obj

    def create(self, resource, ns):
        app = self.server.app
        obj = self.decode(resource, self.json_body())
        if resource in ("pods", "jobs") and app.faults.take("quota403", ns):
            name = (obj.get("metadata") or {}).get("name", "")
            group = GROUPS[resource]
            qualified = f"{resource}.{group}" if group else resource
            raise ApiError(403, f'{qualified} "{name}" is forbidden: exceeded quota: '
                                f'cuttle-test-quota, requested: count/{qualified}=1, used: '
                                f'count/{qualified}=10, limited: count/{qualified}=10',
                           "Forbidden", {"name": name, "group": group, "kind": resource})
        meta = obj.setdefault("metadata", {}) if isinstance(obj.get("metadata", {}), dict) \
            else None
        if meta is None:
            raise bad_request("metadata must be an object")
        for field in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
                      "generation"):
            meta.pop(field, None)
        meta["uid"] = str(uuid.uuid4())
        if resource == "jobs":
            validate_job(obj, meta["uid"])
        elif resource == "pods":
            validate_pod(obj)
        elif not meta.get("name"):
            raise bad_request("metadata.name: Required value")
        if resource == "namespaces":
            obj["spec"], obj["status"] = {"finalizers": ["kubernetes"]}, {"phase": "Active"}
        if self.q("dryRun") == "All":
            return self.send_json(201, dict(obj, kind=KINDS[resource][0],
                                            apiVersion=KINDS[resource][1]))
        created = app.store.create(resource, ns, obj)
        if resource == "pods":
            app.kubelet.pod_created(created)
        self.send_json(201, created)

    def modify(self, verb, resource, ns, name, sub):
        app = self.server.app
        body = self.json_body()
        ctype = self.headers.get("Content-Type", "")
        if verb == "PATCH" and "apply-patch" in ctype:
            raise ApiError(415, "server-side apply is not supported by the emulator",
                           "UnsupportedMediaType")

        def mutate(cur):
            new = apply_patch(ctype, cur, body) if verb == "PATCH" else body
            new = self.decode(resource, json.loads(json.dumps(new)))
            new.setdefault("metadata", {})
            if sub != "status":  # the main resource ignores status; /status only takes it
                new["status"] = cur.get("status")
            else:
                new = dict(cur, status=new.get("status"))
            if resource == "jobs" and new.get("spec", {}).get("template") != \
                    cur["spec"]["template"]:
                raise invalid("Job", name, [("spec.template", "Invalid value: the pod "
                                             "template: field is immutable")], "batch")
            if resource == "pods" and sub != "status" and new.get("spec") != cur["spec"]:
                raise invalid("Pod", name, [("spec", "Forbidden: pod updates may not change "
                                             "fields other than image, "
                                             "activeDeadlineSeconds, tolerations")])
            new["kind"], new["apiVersion"] = cur["kind"], cur["apiVersion"]
            validate_metadata(cur["kind"], name, new["metadata"])
            return new
        expect = (body.get("metadata") or {}).get("resourceVersion") \
            if verb == "PUT" and isinstance(body, dict) else None
        self.send_json(200, app.store.update(resource, ns, name, mutate, expect))

    def delete(self, resource, ns, name):
        app = self.server.app
        options = self.json_body(required=False) or {}
        if not isinstance(options, dict):
            raise bad_request("DeleteOptions must be a JSON object")
        grace = options.get("gracePeriodSeconds", self.q("gracePeriodSeconds"))
        policy = options.get("propagationPolicy", self.q("propagationPolicy"))
        orphan = options.get("orphanDependents", self.q("orphanDependents"))
        try:
            grace = int(grace) if grace is not None else None
        except (TypeError, ValueError):
            raise bad_request(f"gracePeriodSeconds: {grace!r} is not an integer")
        if resource == "pods":
            return self.send_json(200, delete_pod(app.store, app.kubelet, ns, name, grace))
        if resource == "jobs":
            if policy is None:  # batch/v1 keeps the old default: orphan the pods
                policy = "Background" if orphan in (False, "false") else "Orphan"
            done, job = delete_job(app.store, ns, name, policy)
            if not done:
                return self.send_json(200, job)
            return self.send_json(200, {
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": {"name": name, "group": "batch", "kind": "jobs",
                            "uid": job["metadata"]["uid"]}})
        if resource == "events":
            return self.send_json(200, app.store.remove(resource, ns, name))
        if resource == "namespaces":
            return self.send_json(200, delete_namespace(app.store, app.kubelet, name))
        raise ApiError(405, f"the emulator does not delete {resource}", "MethodNotAllowed")
