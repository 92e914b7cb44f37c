#!/bin/sh
# The container job service's example (reference 000: platform input and output) against
# `cuttle serve --config examples/rest/process-serve.json` (or CUTTLE_URL): it puts two
# files in the project's platform directory, starts the job with the reference's curl
# call, follows its events until it is final, and prints the listing the container wrote
# back to the platform. Exits 0 only when the job Succeeded.
# Environment: CUTTLE_URL (default http://localhost:9998), PLATFORM (the config's
# process.platform_root, default /tmp/cuttle-platform), PROJECT_ID, OPEN_API_KEY.
set -eu
url=${CUTTLE_URL:-http://localhost:9998}
platform=${PLATFORM:-/tmp/cuttle-platform}
projectId=${PROJECT_ID:-00000000-0000-0000-0000-000000000000}
openapikey=${OPEN_API_KEY:-change-me}

mkdir -p "$platform/$projectId"
echo a > "$platform/$projectId/a.txt"
echo never copied > "$platform/$projectId/somefile.txt"

answer=$(curl -s -L -X POST "$url/api/process/job" \
  -H 'api-version: 3' \
  -H 'dhi-service-id: job' \
  -H "dhi-project-id: $projectId" \
  -H "dhi-open-api-key: $openapikey" \
  -H 'Content-Type: application/json' \
  --data-raw '{
    "Runtime": {
        "type": "ContainerRuntimeSpec",
        "Containers": [
            {
                "Image": "busybox",
                "Command": ["/bin/sh", "-c", "cd /work/input/; ls > /work/output/workls.txt"]
            }
        ]
    },
    "InputData": {
        "Locations": [
            {
                "type": "PlatformInputLocation",
                "ProjectId": "'"$projectId"'",
                "LocalPath": "input",
                "ExcludedFiles": ["somefile.txt"]
            }
        ]
    },
    "OutputData": {
        "Locations": [
            {
                "type": "PlatformOutputLocation",
                "LocalPath": "output",
                "RelativePlatformPath": ""
            }
        ]
    },
    "RetryLimit": "1"
}')
echo "$answer"
jobId=$(printf '%s' "$answer" | sed -n 's/.*"jobId":"\([^"]*\)".*/\1/p')
[ -n "$jobId" ] || { echo "process.sh: the service did not accept the job" >&2; exit 1; }
# The events as Server-Sent Events; the stream ends when the job is final.
curl -s -N -H 'Accept: text/event-stream' -H "dhi-project-id: $projectId" \
  -H "dhi-open-api-key: $openapikey" "$url/api/process/job/$jobId/events" | sed -n 's/^data: //p'
curl -s -H "dhi-project-id: $projectId" -H "dhi-open-api-key: $openapikey" \
  "$url/api/process/job/$jobId" | grep -q '"state":"Succeeded"' || {
  echo "process.sh: the job did not succeed" >&2
  exit 1
}
echo "workls.txt on the platform:"
cat "$platform/$projectId/workls.txt"
