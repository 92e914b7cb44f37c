#!/bin/sh
# A job with steps on kubernetes:// (docs/steps.md): one pod, the steps run in order as its
# init containers and then its main container, all sharing /work. The first step lists the
# staged-in input, the second (ignore_error) fails without stopping the job, the third
# counts the listing. `cuttle status --json` then shows each step's exit code
# (`step_exit_codes`: [0, 3, 0]).
#
#   examples/kubernetes/steps.sh [LOCATION] [IMAGE]
#
# LOCATION defaults to kubernetes:// (the kubeconfig's current context); with the test
# cluster: eval "$(tests/env/kubernetes.sh start)" first, or source its exports. Steps
# without an image run in the default.image property's image (here IMAGE).
set -eu
location=${1:-kubernetes://}
image=${2:-localhost/busybox:latest}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/input"
echo a > "$dir/input/a.txt"
echo b > "$dir/input/b.txt"
cat > "$dir/job.json" <<JSON
{"steps": [
  {"executable": "/bin/sh", "arguments": ["-c", "ls /work/input > /work/listing.txt"],
   "container_image": "$image"},
  {"executable": "/bin/sh", "arguments": ["-c", "echo this step fails >&2; exit 3"],
   "ignore_error": true},
  {"executable": "wc", "arguments": ["-l", "listing.txt"], "stdout": "count.txt"}],
 "stage_in": [{"source": "input", "destination": "input"}],
 "stage_out": [{"source": "count.txt", "destination": "count.txt"}]}
JSON
cd "$dir"
id=$(cuttle submit "$location" -p default.image="$image" --from job.json)
cuttle wait "$location" "$id" -p default.image="$image" || true
cuttle status --json "$location" "$id" -p default.image="$image"
echo "count.txt:"
cat count.txt
