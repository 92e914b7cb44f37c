"""API errors as the Kubernetes API server reports them: a metav1.Status body.

Raised anywhere below the HTTP layer; the handler turns them into a response. Immutable,
so safe to share between threads.
"""

REASONS = {
    400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
    405: "MethodNotAllowed", 406: "NotAcceptable", 409: "AlreadyExists", 410: "Expired",
    415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests",
    500: "InternalError", 503: "ServiceUnavailable",
}


class ApiError(Exception):
    def __init__(self, code, message, reason=None, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASONS.get(code, "Unknown")
        self.details = details
        self.headers = headers or {}

    def status(self):
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            body["details"] = self.details
        return body


def not_found(resource, name, group=""):
    qualified = f"{resource}.{group}" if group else resource
    return ApiError(404, f'{qualified} "{name}" not found', "NotFound",
                    {"name": name, "group": group, "kind": resource})


def already_exists(resource, name, group=""):
    qualified = f"{resource}.{group}" if group else resource
    return ApiError(409, f'{qualified} "{name}" already exists', "AlreadyExists",
                    {"name": name, "group": group, "kind": resource})


def invalid(kind, name, causes, group=""):
    """A 422 as the API server words failed validation: the message lists every
    "field: reason", and details.causes carries them (kubectl prints those; without them
    older kubectl only says "The request is invalid")."""
    qualified = f"{kind}.{group}" if group else kind
    text = ", ".join(f"{f}: {m}" for f, m in causes)
    return ApiError(422, f'{qualified} "{name}" is invalid: {text}', "Invalid", {
        "name": name, "group": group, "kind": kind,
        "causes": [{"reason": "FieldValueInvalid", "message": m, "field": f}
                   for f, m in causes]})


def bad_request(message):
    return ApiError(400, message, "BadRequest")
