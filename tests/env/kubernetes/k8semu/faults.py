"""Fault switches, set by tests through POST /emulator/faults (see docs/testing.md).

Every switch is a count of requests (or pods) it still applies to, or a deadline, so a
test that forgets to reset one cannot poison the next test for long. A switch set with
"namespace": NS applies only to requests and pods in NS, so tests sharing one emulator
each fault their own namespace; without it, it applies everywhere.
Thread-safe: one lock.
"""
import threading
import time

from .errors import ApiError

SWITCHES = {
    "namespace": "apply the switches in this request only within this namespace",
    "status429": "answer the next N API requests 429 TooManyRequests with Retry-After",
    "retryAfterSeconds": "the Retry-After value sent with status429 (default 1)",
    "status500Seconds": "answer every API request 500 for the next N seconds",
    "watchGoneAtConnect": "the next N watch requests are answered 410 Expired at connect",
    "watchGoneNow": "true: every open watch gets a 410 Expired ERROR event and ends",
    "compact": "true: drop the watch history (older resourceVersions become 410); global",
    "quota403": "refuse the next N creates (pods or jobs) 403 exceeded quota",
    "unschedulable": "the next N pods stay Pending, PodScheduled=False reason Unschedulable",
    "vanishOnExit": "the next N pods are deleted the moment their container ends, before "
                    "any status shows it finished",
    "stuckTerminating": "the next N pods deleted gracefully stay Terminating until deleted "
                        "with gracePeriodSeconds=0",
    "slowStart": "the next N pods wait in ContainerCreating before their first container "
                 "starts, as behind a slow image pull",
    "slowStartSeconds": "how long slowStart holds each pod (default 5)",
    "podWatchLagSeconds": "for the next N seconds pod watches deliver nothing; what happened "
                          "meanwhile is sent when the lag ends, as from a loaded API server",
}
_FLAGS = ("watchGoneNow", "compact")


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}  # (switch, namespace or None) -> requests or pods left
        self.retry_after = {}  # namespace or None -> seconds
        self.slow_start = {}  # namespace or None -> seconds
        self.error_until = {}  # namespace or None -> monotonic deadline
        self.pod_lag_until = {}  # namespace or None -> monotonic deadline
        self.generations = {}  # namespace or None -> bumped by watchGoneNow

    def _validate(self, body):
        unknown = sorted(set(body) - set(SWITCHES))
        if unknown:
            raise ApiError(400, f"unknown fault switch(es) {unknown}; valid: {sorted(SWITCHES)}")
        scope = body.get("namespace")
        if scope is not None and (not isinstance(scope, str) or not scope):
            raise ApiError(400, "fault namespace: must be a non-empty string")
        for key, value in body.items():
            if key == "namespace":
                continue
            if key in _FLAGS:
                if not isinstance(value, bool):
                    raise ApiError(400, f"fault {key}: must be true or false")
            elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ApiError(400, f"fault {key}: must be a non-negative integer")
        return scope

    def set(self, body, store):
        scope = self._validate(body)
        with self.lock:
            for key, value in body.items():
                if key == "retryAfterSeconds":
                    self.retry_after[scope] = value
                elif key == "slowStartSeconds":
                    self.slow_start[scope] = value
                elif key == "status500Seconds":
                    self.error_until[scope] = time.monotonic() + value
                elif key == "podWatchLagSeconds":
                    self.pod_lag_until[scope] = time.monotonic() + value
                elif key not in _FLAGS and key != "namespace":
                    self.counts[(key, scope)] = value
            if body.get("watchGoneNow"):
                self.generations[scope] = self.generations.get(scope, 0) + 1
        if body.get("compact"):
            store.compact()
        if body.get("watchGoneNow"):
            store.wake()

    def reset(self, ns=None):
        """Clears the switches of namespace `ns`, or all of them when ns is None."""
        with self.lock:
            for table in (self.counts, self.error_until, self.retry_after, self.slow_start,
                          self.pod_lag_until):
                for key in [k for k in table
                            if ns is None or (k[1] if isinstance(k, tuple) else k) == ns]:
                    del table[key]

    def snapshot(self):
        now = time.monotonic()
        with self.lock:
            return {"counts": [{"switch": k, "namespace": ns, "left": n}
                               for (k, ns), n in self.counts.items() if n],
                    "status500SecondsLeft": {str(ns): round(t - now, 1)
                                             for ns, t in self.error_until.items() if t > now},
                    "switches": SWITCHES}

    def _before(self, deadlines, ns):
        """True while a deadline of namespace `ns`, or of every namespace, is ahead.
        REQUIRES: self.lock held."""
        now = time.monotonic()
        return any(deadlines.get(scope, 0) > now for scope in (ns, None))

    def pod_watch_lagging(self, ns):
        """True while pod watches in namespace `ns` hold their events back."""
        with self.lock:
            return self._before(self.pod_lag_until, ns)

    def generation(self, ns):
        """Changes whenever watchGoneNow is set for `ns` or for every namespace."""
        with self.lock:
            return (self.generations.get(None, 0), self.generations.get(ns, 0))

    def take(self, key, ns):
        """Consumes one unit of a counted switch for namespace `ns`; True when it applied."""
        with self.lock:
            for scope in (ns, None):
                if self.counts.get((key, scope), 0) > 0:
                    self.counts[(key, scope)] -= 1
                    return True
            return False

    def start_delay(self, ns):
        """Seconds a pod created now in namespace `ns` waits before its containers start
        (consumes one slowStart); 0 without the switch."""
        if not self.take("slowStart", ns):
            return 0
        with self.lock:
            return self.slow_start.get(ns, self.slow_start.get(None, 5))

    def check_request(self, ns):
        """Raises the 500 or 429 an API request in namespace `ns` should get now, if any."""
        with self.lock:
            if self._before(self.error_until, ns):
                raise ApiError(500, "Internal error occurred: injected by the emulator's "
                                    "status500Seconds fault", "InternalError")
            retry = self.retry_after.get(ns, self.retry_after.get(None, 1))
        if self.take("status429", ns):
            raise ApiError(429, "Too many requests, please try again later.",
                           "TooManyRequests", {"retryAfterSeconds": retry},
                           {"Retry-After": str(retry)})
