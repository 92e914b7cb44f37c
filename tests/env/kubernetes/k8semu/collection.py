"""LIST (label/field selectors, limit/continue) and WATCH (resourceVersion, bookmarks,
timeoutSeconds, 410 Expired) over the store, and the Table form kubectl asks for.

Called on a handler's thread; the store does the locking.
"""
import base64
import calendar
import json
import time

from .errors import ApiError, bad_request
from .selectors import parse_field_selector, parse_label_selector
from .store import KINDS

_GONE_CONTINUE = ("The provided continue parameter is too old to display a consistent list "
                  "result. You can start a new list without the continue parameter, or use "
                  "the continue token in this response to retrieve the remainder of the "
                  "results.")


def _predicate(h, resource):
    labels = parse_label_selector(h.q("labelSelector", ""))
    fields = parse_field_selector(h.q("fieldSelector", ""), resource)
    return lambda o: labels(o["metadata"].get("labels")) and fields(o)


def _int_param(h, name, minimum=0):
    raw = h.q(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"invalid value for {name}: {raw!r} is not an integer")
    if value < minimum:
        raise bad_request(f"invalid value for {name}: {value} must be >= {minimum}")
    return value


def list_objects(h, resource, ns):
    store = h.server.app.store
    pred = _predicate(h, resource)
    limit = _int_param(h, "limit")
    after, token = None, h.q("continue")
    if token:
        try:
            state = json.loads(base64.urlsafe_b64decode(token.encode()))
            after, rv0 = tuple(state["start"]), int(state["rv"])
        except (ValueError, KeyError, TypeError):
            raise bad_request("continue key is not valid: malformed token")
        if rv0 + 1 < store.oldest:
            raise ApiError(410, _GONE_CONTINUE, "Expired")
    rv, items = store.list(resource, ns, pred, after)
    meta = {"resourceVersion": str(rv)}
    if limit and len(items) > limit:
        last = items[limit - 1]["metadata"]
        meta["continue"] = base64.urlsafe_b64encode(json.dumps(
            {"rv": rv, "start": [last.get("namespace"), last["name"]]}).encode()).decode()
        meta["remainingItemCount"] = len(items) - limit
        items = items[:limit]
    for item in items:  # a typed list's items carry no kind/apiVersion
        item.pop("kind", None)
        item.pop("apiVersion", None)
    kind, api_version = KINDS[resource]
    return {"kind": f"{kind}List", "apiVersion": api_version, "metadata": meta, "items": items}


def wants_table(h):
    return "as=Table" in h.headers.get("Accept", "")


def _age(stamp):
    try:
        seconds = int(time.time() - calendar.timegm(time.strptime(stamp,
                                                                "%Y-%m-%dT%H:%M:%SZ")))
    except (TypeError, ValueError):
        return "<unknown>"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def to_table(resource, listing):
    cols = [("Name", "string", "name"), ("Status", "string", ""), ("Age", "string", "")]
    rows = []
    for obj in listing["items"]:
        status = obj.get("status") or {}
        if resource == "jobs":
            conds = [c["type"] for c in status.get("conditions") or [] if c["status"] == "True"]
            state = conds[-1] if conds else ("Running" if status.get("active") else "Pending")
        else:
            state = status.get("phase", "")
        age = _age(obj["metadata"].get("creationTimestamp"))
        rows.append({"cells": [obj["metadata"]["name"], state, age], "object": dict(
            obj, kind=KINDS[resource][0], apiVersion=KINDS[resource][1])})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "metadata": {"resourceVersion": listing["metadata"]["resourceVersion"]},
            "columnDefinitions": [{"name": n, "type": t, "format": f, "description": n,
                                   "priority": 0} for n, t, f in cols], "rows": rows}


def _send(h, etype, obj):
    h.chunk(json.dumps({"type": etype, "object": obj}).encode() + b"\n")


def _gone(h, message):
    _send(h, "ERROR", ApiError(410, message, "Expired").status())


def watch(h, resource, ns):
    app = h.server.app
    store, faults = app.store, app.faults
    pred = _predicate(h, resource)
    timeout = _int_param(h, "timeoutSeconds")
    bookmarks = h.q("allowWatchBookmarks") in ("true", "1")
    raw_rv = h.q("resourceVersion", "")
    if raw_rv not in ("", "0"):
        try:
            last = int(raw_rv)
        except ValueError:
            raise bad_request(f"invalid resource version: {raw_rv!r}")
        if last + 1 < store.oldest:
            raise ApiError(410, f"too old resource version: {last} ({store.oldest - 1})",
                           "Expired")
    if faults.take("watchGoneAtConnect", ns):
        raise ApiError(410, f"too old resource version: {raw_rv or 0} ({store.rv}) "
                            "(injected by watchGoneAtConnect)", "Expired")
    generation = faults.generation(ns)
    deadline = time.monotonic() + (timeout if timeout is not None else 1800)
    h.start_chunked()
    if raw_rv in ("", "0"):
        last, items = store.list(resource, ns, pred)
        for item in items:
            _send(h, "ADDED", item)
    kind, api_version = KINDS[resource]
    next_bookmark = time.monotonic() + app.bookmark_interval
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if resource == "pods" and faults.pod_watch_lagging(ns):
            time.sleep(min(left, 0.2))  # hold the events: they are sent when the lag ends
            continue
        try:
            events, newest = store.events_after(last, resource, min(left, 1.0))
        except ApiError as e:
            _gone(h, e.message)
            break
        for erv, etype, obj, prev in events:
            if ns is not None and obj["metadata"].get("namespace") != ns:
                continue
            now_matches = pred(obj)
            if etype == "MODIFIED" and prev is not None and now_matches != pred(prev):
                etype = "ADDED" if now_matches else "DELETED"
                now_matches = True
            if now_matches:
                _send(h, etype, obj)
        last = newest
        if faults.generation(ns) != generation:
            _gone(h, f"too old resource version: {last} (injected by watchGoneNow)")
            break
        if bookmarks and time.monotonic() >= next_bookmark:
            _send(h, "BOOKMARK", {"kind": kind, "apiVersion": api_version,
                                  "metadata": {"resourceVersion": str(last)}})
            next_bookmark = time.monotonic() + app.bookmark_interval
    h.end_chunked()
