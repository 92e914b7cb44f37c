#!/bin/sh
# The reference's container example with the `cuttle` command: an input directory staged
# into /work/input, a busybox image listing it into /work/output/workls.txt, the listing
# staged back into this directory.
#
#   examples/cli/container_workls.sh [LOCATION] [IMAGE] [RUNTIME]
#   examples/cli/container_workls.sh local://
#   examples/cli/container_workls.sh slurm:// /shared/images/busybox charliecloud
#
# In a container the job's sandbox is mounted read-write at /work, the working directory:
# --stage-in destinations and --stage-out sources are relative to it (docs/containers.md).
set -eu
location=${1:-local://}
image=${2:-localhost/busybox:latest}
runtime=${3:-auto}

here=$(mktemp -d)
trap 'rm -rf "$here"' EXIT
mkdir "$here/input"
echo a > "$here/input/a.txt"
echo b > "$here/input/b.txt"

cuttle submit --wait --image "$image" --container-runtime "$runtime" \
  --stage-in "$here/input:input" --stage-out "output/workls.txt:$here/workls.txt" \
  "$location" -- /bin/sh -c 'cd /work/input; ls > /work/output/workls.txt'
echo "workls.txt:"
cat "$here/workls.txt"
