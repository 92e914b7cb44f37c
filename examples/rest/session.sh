#!/bin/sh
# The joblauncher README session against `cuttle serve` (no --config: 127.0.0.1:9998,
# local jobs, no token; CUTTLE_URL points elsewhere). Run it from any directory under
# $HOME or /tmp: it writes ./myjob, submits the job, waits for its final state, prints
# the status and output_file, and exits 0 only when the job ended DONE with exit code 0.
set -eu
url=${CUTTLE_URL:-http://localhost:9998}
mkdir -p myjob
cd myjob
echo 'Lorem ipsum' > input_file
echo 'hostname;date;wc -l input_file > output_file' > runme.sh
cat > query.json <<JSON
{
   "jobdir": "$(pwd)/",
   "executable": "/bin/sh",
   "prestaged": ["runme.sh", "input_file"],
   "poststaged": ["output_file"],
   "stderr": "stderr.txt",
   "stdout": "stdout.txt",
   "arguments": ["runme.sh"],
   "status_callback_url": "http://localhost/job/myjob/status"
}
JSON
location=$(curl -s -H "Content-Type: application/json" -H 'Accept: application/json' -i -X POST \
  -d @query.json "$url/job" | tr -d '\r' | sed -n 's/^Location: //p')
[ -n "$location" ] || { echo "session.sh: the service at $url did not accept the job" >&2; exit 1; }
echo "submitted: $location"
# "done": true once the state is final (DONE, KILLED or ERROR); give it a minute.
tries=0
while :; do
  status=$(curl -s -H 'Accept: application/json' "$location")
  case $status in *'"done":true'*) break ;; esac
  tries=$((tries + 1))
  [ "$tries" -lt 600 ] || { echo "session.sh: not done after 60 s: $status" >&2; exit 1; }
  sleep 0.1
done
echo "$status"
cat output_file
# Cancel (a no-op once the job is done):
curl -s -H 'Accept: application/json' -X DELETE "$location" >/dev/null
case $status in *'"state":"DONE"'*) ;; *) exit 1 ;; esac
case $status in *'"exitCode":0,'*) ;; *) exit 1 ;; esac
