#!/bin/sh
# The reference's container example on kubernetes:// with the `cuttle` command: an input
# directory staged into /work/input, busybox listing it into /work/output/workls.txt, the
# listing staged back. Everything goes through the API server (pods/exec for the files).
#
#   examples/kubernetes/workls.sh [LOCATION] [IMAGE]
#
# LOCATION defaults to kubernetes:// (the kubeconfig's current context); with the test
# cluster: eval "$(tests/env/kubernetes.sh start)" first, or source its exports.
set -eu
location=${1:-kubernetes://}
image=${2:-localhost/busybox:latest}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/input"
echo a > "$dir/input/a.txt"
echo b > "$dir/input/b.txt"
cd "$dir"
cuttle submit --wait --image "$image" \
  --stage-in input:input --stage-out output/workls.txt:workls.txt \
  "$location" -- /bin/sh -c 'cd /work/input; ls > /work/output/workls.txt'
echo "workls.txt:"
cat workls.txt
