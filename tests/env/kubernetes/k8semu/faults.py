"""Fault switches, set by tests through POST /emulator/faults (see docs/testing.md).

Every switch is a count of requests (or pods) it still applies to, or a deadline, so a
test that forgets to reset one cannot poison the next test for long. Thread-safe: one lock.
"""
import threading
import time

from .errors import ApiError

SWITCHES = {
    "status429": "answer the next N API requests 429 TooManyRequests with Retry-After",
    "retryAfterSeconds": "the Retry-After value sent with status429 (default 1)",
    "status500Seconds": "answer every API request 500 for the next N seconds",
    "watchGoneAtConnect": "the next N watch requests are answered 410 Expired at connect",
    "watchGoneNow": "true: every open watch gets a 410 Expired ERROR event and ends",
    "compact": "true: drop the watch history (older resourceVersions become 410)",
    "quota403": "refuse the next N creates (pods or jobs) 403 exceeded quota",
    "unschedulable": "the next N pods stay Pending, PodScheduled=False reason Unschedulable",
    "vanishOnExit": "the next N pods are deleted the moment their container ends, before "
                    "any status shows it finished",
    "stuckTerminating": "the next N pods deleted gracefully stay Terminating until deleted "
                        "with gracePeriodSeconds=0",
}


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.retry_after = 1
        self.error_until = 0.0
        self.watch_generation = 0  # bumped by watchGoneNow; open watches compare

    def set(self, body, store):
        unknown = sorted(set(body) - set(SWITCHES))
        if unknown:
            raise ApiError(400, f"unknown fault switch(es) {unknown}; valid: {sorted(SWITCHES)}")
        with self.lock:
            for key, value in body.items():
                if key in ("watchGoneNow", "compact"):
                    if not isinstance(value, bool):
                        raise ApiError(400, f"fault {key}: must be true or false")
                    continue
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise ApiError(400, f"fault {key}: must be a non-negative integer")
                if key == "retryAfterSeconds":
                    self.retry_after = value
                elif key == "status500Seconds":
                    self.error_until = time.monotonic() + value
                else:
                    self.counts[key] = value
            if body.get("watchGoneNow"):
                self.watch_generation += 1
        if body.get("compact"):
            store.compact()
        if body.get("watchGoneNow"):
            store.wake()

    def reset(self):
        with self.lock:
            self.counts.clear()
            self.error_until = 0.0
            self.retry_after = 1

    def snapshot(self):
        with self.lock:
            left = max(0.0, self.error_until - time.monotonic())
            return {"counts": dict(self.counts), "retryAfterSeconds": self.retry_after,
                    "status500SecondsLeft": round(left, 1), "switches": SWITCHES}

    def take(self, key):
        """Consumes one unit of a counted switch; True when it applied."""
        with self.lock:
            if self.counts.get(key, 0) > 0:
                self.counts[key] -= 1
                return True
            return False

    def check_request(self):
        """Raises the 500 or 429 an API request should get now, if any."""
        with self.lock:
            if time.monotonic() < self.error_until:
                raise ApiError(500, "Internal error occurred: injected by the emulator's "
                                    "status500Seconds fault", "InternalError")
        if self.take("status429"):
            raise ApiError(429, "Too many requests, please try again later.",
                           "TooManyRequests", {"retryAfterSeconds": self.retry_after},
                           {"Retry-After": str(self.retry_after)})
