#!/bin/sh
# A chain of jobs with the `cuttle` command: B runs only if A completed, C only if B did
# not, and D (after_ok on B) can never run, so it ends as Error "dependency never
# satisfied" instead of staying queued (docs/dependencies.md). Works on slurm://,
# torque://, ssh:// and local://.
#
#   examples/cli/dependency_chain.sh [LOCATION]
#   examples/cli/dependency_chain.sh 'local://?mode=detached'
set -eu
location=${1:-slurm://}

a=$(cuttle submit "$location" -- /bin/sh -c 'echo preparing; sleep 2')
b=$(cuttle submit --after "after_ok:$a" "$location" -- /bin/sh -c 'echo computing; exit 3')
c=$(cuttle submit --after "after_not_ok:$b" "$location" -- /bin/sh -c 'echo cleaning up')
d=$(cuttle submit --after "after_ok:$b" "$location" -- /bin/sh -c 'echo never printed')
for job in "$a" "$b" "$c" "$d"; do
  cuttle wait "$location" "$job" || true  # B fails and D errs, by design
done
cuttle status "$location" "$a" "$b" "$c" "$d"
