"""The three PATCH content types the API server accepts: JSON merge patch (RFC 7396),
strategic merge patch (merge patch whose lists of named objects merge by name, with
`$patch` directives) and JSON patch (RFC 6902).

Pure functions on copies; thread-safe.
"""
import copy

from .errors import ApiError, bad_request

# Lists that strategic merge patch merges by a key instead of replacing.
_MERGE_KEYS = {"containers": "name", "initContainers": "name", "env": "name",
               "volumes": "name", "volumeMounts": "mountPath", "ports": "containerPort",
               "conditions": "type", "ownerReferences": "uid", "imagePullSecrets": "name",
               "tolerations": None, "finalizers": None}


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _merge_list(key, target, patch):
    merge_key = _MERGE_KEYS.get(key)
    if not merge_key or not isinstance(target, list):
        return copy.deepcopy([p for p in patch if not (isinstance(p, dict) and "$patch" in p)])
    out = copy.deepcopy(target)
    for item in patch:
        if not isinstance(item, dict) or merge_key not in item:
            raise bad_request(f"map: {item!r} does not contain declared merge key: {merge_key}")
        idx = next((i for i, t in enumerate(out) if t.get(merge_key) == item[merge_key]), None)
        if item.get("$patch") == "delete":
            if idx is not None:
                out.pop(idx)
        elif idx is None:
            out.append(strategic_merge_patch({}, item))
        else:
            out[idx] = strategic_merge_patch(out[idx], item)
    return out


def strategic_merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            out.pop(key, None)
        elif isinstance(value, list):
            out[key] = _merge_list(key, out.get(key), value)
        else:
            out[key] = strategic_merge_patch(out.get(key), value)
    return out


def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"json patch: invalid path {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc, parts):
    cur = doc
    for p in parts:
        cur = cur[int(p)] if isinstance(cur, list) else cur[p]
    return cur


def json_patch(target, ops):
    if not isinstance(ops, list):
        raise bad_request("json patch: the body must be a JSON array of operations")
    doc = copy.deepcopy(target)
    for op in ops:
        try:
            kind, parts = op["op"], _pointer(op["path"])
            parent, last = _walk(doc, parts[:-1]), parts[-1]
            if kind in ("add", "replace"):
                value = copy.deepcopy(op["value"])
                if isinstance(parent, list):
                    idx = len(parent) if last == "-" else int(last)
                    if kind == "add":
                        parent.insert(idx, value)
                    else:
                        parent[idx] = value
                else:
                    if kind == "replace" and last not in parent:
                        raise KeyError(last)
                    parent[last] = value
            elif kind == "remove":
                del parent[int(last) if isinstance(parent, list) else last]
            elif kind == "test":
                if _walk(doc, parts) != op["value"]:
                    raise ApiError(422, f"json patch: test failed at {op['path']}")
            else:
                raise bad_request(f"json patch: unsupported operation {kind!r}")
        except (KeyError, IndexError, ValueError, TypeError) as e:
            raise ApiError(422, f"the server rejected our request due to an error in our "
                                f"request: json patch {op!r}: {e!r}", "Invalid")
    return doc


def apply_patch(content_type, target, patch):
    ctype = (content_type or "").split(";")[0].strip()
    if ctype == "application/merge-patch+json":
        return merge_patch(target, patch)
    if ctype == "application/strategic-merge-patch+json":
        return strategic_merge_patch(target, patch)
    if ctype == "application/json-patch+json":
        return json_patch(target, patch)
    raise ApiError(415, f"the body of the request was in an unknown format - accepted media "
                        f"types include: application/json-patch+json, "
                        f"application/merge-patch+json, application/apply-patch+yaml, "
                        f"application/strategic-merge-patch+json", "UnsupportedMediaType")
