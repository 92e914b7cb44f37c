#!/bin/sh
# The joblauncher README session against `cuttle serve` (no --config: 127.0.0.1:9998,
# local jobs, no token). Run it from any directory under $HOME or /tmp.
set -eu
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
  -d @query.json http://localhost:9998/job | tr -d '\r' | sed -n 's/^Location: //p')
echo "submitted: $location"
sleep 1
curl -s -H "Content-Type: application/json" -H 'Accept: application/json' "$location"
echo
cat output_file
# Cancel (a no-op once the job is done):
curl -s -H "Content-Type: application/json" -H 'Accept: application/json' -X DELETE "$location"
