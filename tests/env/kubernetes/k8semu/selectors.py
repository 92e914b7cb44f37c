"""Label and field selectors, parsed the way the API server parses them.

Pure functions; thread-safe.
"""
import re

from .errors import bad_request

_LABEL_TERM = re.compile(
    r"^\s*(!?)\s*([A-Za-z0-9./_-]+)\s*(?:(==|=|!=)\s*([A-Za-z0-9._-]*)"
    r"|\s+(in|notin)\s*\(([^)]*)\))?\s*$")


def _split_terms(text):
    """Splits on commas that are not inside parentheses (set-based terms have commas)."""
    terms, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        terms.append(cur)
    return terms


def parse_label_selector(text):
    """Returns a predicate over a labels dict; raises a 400 naming the bad term."""
    preds = []
    for term in _split_terms(text or ""):
        m = _LABEL_TERM.match(term)
        if not m:
            raise bad_request(f"unable to parse requirement: invalid label selector: {term!r}")
        neg, key, op, value, setop, values = m.groups()
        if neg and (op or setop):
            raise bad_request(f"unable to parse requirement: {term!r}")
        if neg:
            preds.append(lambda l, k=key: k not in l)
        elif op in ("=", "=="):
            preds.append(lambda l, k=key, v=value: l.get(k) == v)
        elif op == "!=":
            preds.append(lambda l, k=key, v=value: l.get(k) != v)
        elif setop:
            vs = {v.strip() for v in values.split(",") if v.strip()}
            if setop == "in":
                preds.append(lambda l, k=key, vs=vs: l.get(k) in vs)
            else:
                preds.append(lambda l, k=key, vs=vs: l.get(k) not in vs)
        else:
            preds.append(lambda l, k=key: k in l)
    return lambda labels: all(p(labels or {}) for p in preds)


FIELDS = {
    "pods": {"metadata.name", "metadata.namespace", "status.phase", "spec.nodeName",
             "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
             "status.podIP", "status.nominatedNodeName"},
    "jobs": {"metadata.name", "metadata.namespace", "status.successful"},
    "namespaces": {"metadata.name", "status.phase"},
    "events": {"metadata.name", "metadata.namespace", "involvedObject.kind",
               "involvedObject.name", "involvedObject.namespace", "involvedObject.uid",
               "reason", "type", "source"},
}


def _field_value(obj, path):
    if path == "status.successful":  # a Job field selector the API server defines itself
        return str((obj.get("status") or {}).get("succeeded", 0))
    cur = obj
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    return "" if cur is None else str(cur)


def parse_field_selector(text, resource):
    """Returns a predicate over an object; unknown fields are a 400, as on a real server."""
    preds = []
    for term in _split_terms(text or ""):
        m = re.match(r"^\s*([A-Za-z0-9.]+)\s*(==|=|!=)\s*(.*?)\s*$", term)
        if not m:
            raise bad_request(f"invalid field selector: {term!r}")
        field, op, value = m.groups()
        if field not in FIELDS.get(resource, {"metadata.name", "metadata.namespace"}):
            raise bad_request(
                f'field label not supported: {field}')
        if op == "!=":
            preds.append(lambda o, f=field, v=value: _field_value(o, f) != v)
        else:
            preds.append(lambda o, f=field, v=value: _field_value(o, f) == v)
    return lambda obj: all(p(obj) for p in preds)
