#!/bin/sh
# Regenerates the fixtures in this directory from the real single-node Slurm 22.05
# started by tests/env/slurm.sh (run as the test user; takes 1-2 minutes because one job
# must reach its 1-minute time limit). The formats are the ones slurm_dialect asks for.
set -eu
cd "$(dirname "$0")"
SEP=$(printf '\037')
FMT="%i${SEP}%T${SEP}%r${SEP}%V${SEP}%S${SEP}%e${SEP}%l${SEP}%P${SEP}%j"
sub() { sbatch --parsable -o /dev/null -e /dev/null "$@"; }
ok=$(sub -J done.c00000000000000000001 --wrap 'exit 0')
bad=$(sub -J "fail|with${SEP}sep \$(x) \`y\`" --wrap 'exit 5')
run=$(sub -J running -t 5 --wrap 'sleep 120')
held=$(sub -J held --hold --wrap 'true')
gone=$(sub -J cancelled --wrap 'sleep 120')
slow=$(sub -J timeout -t 1 --wrap 'sleep 300')
sleep 3
scancel "$gone"
sleep 2
squeue --noheader --states=all --jobs="$ok,$bad,$run,$held,$gone" --format="$FMT" >squeue_states.txt
sbatch --parsable -o /dev/null --wrap true >sbatch_parsable.txt
sinfo --noheader --format="%P${SEP}%a${SEP}%l${SEP}%D${SEP}%F" >sinfo.txt
sacct -X -P --noheader -j "$ok" >/dev/null 2>sacct_disabled_stderr.txt || true
squeue --noheader --jobs=999999 --format="$FMT" >/dev/null 2>squeue_invalid_id_stderr.txt || true
qstat -f "$ok" "$bad" "$run" "$held" >../../torque/testdata/qstat_f_slurm_wrapper.txt || true
# Slurm ends the job some seconds after its minute and purges it MinJobAge later: look
# every 2 s (bounded) and keep the line that says TIMEOUT.
i=0
while [ $i -lt 90 ]; do
  line=$(squeue --noheader --states=all --jobs="$slow" --format="$FMT" || true)
  case "$line" in *TIMEOUT*) printf '%s\n' "$line" >squeue_timeout.txt; break ;; esac
  i=$((i + 1))
  sleep 2
done
scancel "$run" "$held" || true
