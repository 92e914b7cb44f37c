#!/bin/sh
# A job array with the `cuttle` command: 20 elements, at most 5 running at once, each
# printing its index; then the array's status (one line per element) and one element's
# output (docs/arrays.md).
#
#   examples/cli/array_job.sh [LOCATION]
#   examples/cli/array_job.sh slurm://
set -eu
location=${1:-slurm://}

id=$(cuttle submit --array 0-19%5 "$location" -- \
  /bin/sh -c 'echo "element $CUTTLE_ARRAY_INDEX of the array"')
cuttle wait "$location" "$id"
cuttle status "$location" "$id"
cuttle output "$location" "$id[3]"
