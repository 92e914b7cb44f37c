"""The shared busybox test image (tests/env/busybox-image.sh) as the container tests use
it outside Kubernetes: the Charliecloud directory image runs a command with /work bound,
exit codes pass through, and the rootfs has what staging needs (sh, tar, /work).
Prints PASS/FAIL lines for run.sh.
"""
import os
import shutil
import subprocess
import sys
import tempfile

ROOTFS = os.environ["CUTTLE_TEST_BUSYBOX_ROOTFS"]


class Skip(Exception):
    """The test cannot run here, and why."""


def charliecloud_runs_the_rootfs_with_work_bound():
    if not shutil.which("ch-run"):
        raise AssertionError("ch-run is missing; install charliecloud-runtime")
    probe = subprocess.run(["unshare", "--user", "true"], capture_output=True)
    if probe.returncode != 0:
        # The kernel refuses new user namespaces to a chrooted process (CI's fresh root
        # chroots); ch-run needs one. Said, not hidden: the line reads SKIP with why.
        raise Skip("no user namespaces here (unshare --user: "
                   f"{probe.stderr.decode(errors='replace').strip()}); ch-run needs them")
    with tempfile.TemporaryDirectory() as work:
        env = dict(os.environ, USER=os.environ.get("USER") or "root")
        proc = subprocess.run(["ch-run", "-b", f"{work}:/work", ROOTFS, "--", "/bin/sh", "-c",
                               "cd /work && echo 'a $(b)' > out.txt && tar cf t.tar out.txt "
                               "&& exit 3"], env=env, capture_output=True, timeout=60)
        assert proc.returncode == 3, f"exit {proc.returncode}: {proc.stderr!r}"
        with open(os.path.join(work, "out.txt")) as f:
            assert f.read() == "a $(b)\n"
        assert os.path.getsize(os.path.join(work, "t.tar")) > 0


def rootfs_has_the_staging_tools():
    for tool in ("sh", "tar", "ls", "cat", "sleep", "mkdir", "kill", "wc", "true"):
        assert os.path.islink(os.path.join(ROOTFS, "bin", tool)), f"/bin/{tool} is missing"
    assert os.path.isdir(os.path.join(ROOTFS, "work")), "/work is missing"


failed = 0
for test in (charliecloud_runs_the_rootfs_with_work_bound, rootfs_has_the_staging_tools):
    try:
        test()
        print(f"PASS image.{test.__name__}", flush=True)
    except Skip as e:
        print(f"SKIP image.{test.__name__}: {e}", flush=True)
    except Exception as e:  # report and go on to the next test
        failed += 1
        print(f"FAIL image.{test.__name__}: {e}", flush=True)
sys.exit(1 if failed else 0)
