#!/bin/sh
# Two GPUs (of a type, if given) for a job with the `cuttle` command; the job prints the
# GPUs the scheduler handed it. A location that cannot allocate GPUs refuses the job,
# naming the field `gpus` (docs/resources.md).
#
#   examples/cli/gpu_job.sh [LOCATION] [TYPE] [ACCOUNT]
#   examples/cli/gpu_job.sh slurm:// a100 chem42
set -eu
location=${1:-slurm://}
gpus=${2:+$2:}2
account=${3:-}

id=$(cuttle submit --gpus "$gpus" ${account:+--account "$account"} "$location" -- \
  /bin/sh -c 'echo "CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES-unset}"')
cuttle wait "$location" "$id"
cuttle output "$location" "$id"
