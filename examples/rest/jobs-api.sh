#!/bin/sh
# The jobs API reference session (shared/reference/001_*) against `cuttle serve`: create a
# job with a 5-hour time allocation, retrieve it, extend it by an hour, retrieve it again,
# terminate it, retrieve it once more. Start the service with the example config first:
#   cuttle serve --config examples/rest/jobs-api.json
# (its token "demo-token" belongs to the caller "user"). CUTTLE_URL and CUTTLE_TOKEN point
# elsewhere. Exits 0 only when the job read RUNNING, its expiry moved by exactly one hour,
# and it ended SUCCESS.
set -eu
host=${CUTTLE_URL:-http://127.0.0.1:9998}
accessToken=${CUTTLE_TOKEN:-demo-token}

# The member of a flat JSON text: `member NAME TEXT` (numbers, strings and null).
member() { printf '%s' "$2" | tr -d '\n' | sed -n "s/.*\"$1\": *\"\{0,1\}\([^\",}]*\).*/\1/p"; }

# The reference's JobSpecification, byte for byte (the tests send the same file).
created=$(curl -s -XPOST -H "Authorization: Bearer $accessToken" -H "Content-Type: application/json; charset=utf-8" "$host/api/jobs" --data-binary @"$(dirname "$0")/jobs-api-create.json")
echo "$created"
id=$(member id "$created")
[ -n "$id" ] || { echo "jobs-api.sh: the service at $host did not create the job" >&2; exit 1; }

retrieve() {
  curl -s -XGET -H "Authorization: Bearer $accessToken" "$host/api/jobs/retrieve?includeProduct=false&includeOthers=false&includeUpdates=false&includeSupport=false&id=$id"
}
# The job starts within a moment; the reference's first retrieve shows it RUNNING.
tries=0
until [ "$(member state "$(retrieve)")" = RUNNING ]; do
  tries=$((tries + 1))
  [ "$tries" -lt 300 ] || { echo "jobs-api.sh: not RUNNING after 30 s: $(retrieve)" >&2; exit 1; }
  sleep 0.1
done
job=$(retrieve)
echo "$job"
expires=$(member expiresAt "$job")

curl -s -XPOST -H "Authorization: Bearer $accessToken" -H "Content-Type: application/json; charset=utf-8" "$host/api/jobs/extend" -d '{
"items": [
{
"jobId": "'"$id"'",
"requestedTime": {
"hours": 1,
"minutes": 0,
"seconds": 0
}
}
]
}'
echo
job=$(retrieve)
echo "$job"
extended=$(member expiresAt "$job")

curl -s -XPOST -H "Authorization: Bearer $accessToken" -H "Content-Type: application/json; charset=utf-8" "$host/api/jobs/terminate" -d '{
"items": [
{
"id": "'"$id"'"
}
]
}'
echo
job=$(retrieve)
echo "$job"

[ $((extended - expires)) -eq 3600000 ] || { echo "jobs-api.sh: expiresAt moved from $expires to $extended" >&2; exit 1; }
case $job in *'"status":{'*'"state":"SUCCESS"'*) ;; *) exit 1 ;; esac
case $job in *'Your job has been cancelled!'*) ;; *) exit 1 ;; esac
