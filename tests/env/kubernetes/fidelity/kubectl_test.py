"""Runs the kubectl fidelity tests (kubectl_jobs.py, kubectl_faults.py, and raw_api.py
for requests kubectl never sends) against the
emulator named by the CUTTLE_TEST_K8S_* variables; prints one PASS/FAIL line per test.
Usage: python3 kubectl_test.py [TEST_NAME...]
"""
import sys

import kubectl_faults  # noqa: F401  (registers its tests)
import kubectl_jobs  # noqa: F401
import raw_api  # noqa: F401
from harness import run_all

if __name__ == "__main__":
    sys.exit(0 if run_all() else 1)
