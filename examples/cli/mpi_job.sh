#!/bin/sh
# Two tasks started by srun inside the job's sbatch allocation (docs/launchers.md): each
# prints its rank. The job starts from a clean environment (nothing of this shell's), with
# one variable of its own, and a pre-launch script sourced in its shell before srun.
#
#   examples/cli/mpi_job.sh [LOCATION] [TASKS]
#   examples/cli/mpi_job.sh slurm:// 2
set -eu
location=${1:-slurm://}
tasks=${2:-2}

setup=$(mktemp "${TMPDIR:-/tmp}/mpi-setup.XXXXXX")
trap 'rm -f "$setup"' EXIT
echo 'GREETING="hello from pre_launch"; export GREETING' > "$setup"

id=$(cuttle submit "$location" --launcher srun --tasks "$tasks" --pre-launch "$setup" \
  --no-inherit-environment --env RUN=example -- \
  /bin/sh -c 'echo "rank $SLURM_PROCID of $SLURM_NTASKS: $GREETING ($RUN)"')
cuttle wait "$location" "$id"
cuttle output "$location" "$id"
