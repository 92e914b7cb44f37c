#!/bin/sh
# Starts (or stops) throwaway OpenSSH servers on 127.0.0.1 for the tests: a main one
# (CUTTLE_SSHD_PORT, default 2222), a second one used as a jump host
# (CUTTLE_SSHD_JUMP_PORT, default 2223), and a third whose sessions run a slow login
# .bashrc like an HPC login node's (CUTTLE_SSHD_BASHRC_PORT, default 2226): it sets HOME to
# a directory whose .bashrc appends a line to its `runs` file and sleeps 0.1 s. Throwaway host and user keys live under
# /tmp/cuttle-env/sshd; the machine's ~/.ssh is never touched (AuthorizedKeysFile points
# into the state directory, and the host key goes into a test known_hosts file).
# `start` is idempotent and prints the export lines the tests read; everything else goes
# to stderr.
# Usage: eval "$(tests/env/sshd.sh start)"; tests/env/sshd.sh stop
#        tests/env/sshd.sh start-one NAME PORT [FORCECOMMAND]   (an extra server, e.g. for
#          restart tests; FORCECOMMAND: an absolute path sshd runs instead of every command)
#        tests/env/sshd.sh stop-one NAME
set -eu
STATE=/tmp/cuttle-env/sshd
PORT=${CUTTLE_SSHD_PORT:-2222}
JUMP_PORT=${CUTTLE_SSHD_JUMP_PORT:-2223}
BASHRC_PORT=${CUTTLE_SSHD_BASHRC_PORT:-2226}
BASHRC_HOME=$STATE/bashrc-home

log() { echo "sshd.sh: $*" >&2; }

keys() {
  mkdir -p "$STATE" /run/sshd
  chmod 700 "$STATE"
  chmod 755 /run/sshd
  [ -s "$STATE/host_ed25519" ] ||
    ssh-keygen -q -t ed25519 -N '' -C cuttle-test-host -f "$STATE/host_ed25519" >&2
  [ -s "$STATE/id_ed25519" ] ||
    ssh-keygen -q -t ed25519 -N '' -C cuttle-test-user -f "$STATE/id_ed25519" >&2
  cp "$STATE/id_ed25519.pub" "$STATE/authorized_keys"
  chmod 600 "$STATE/authorized_keys"
}

write_config() {  # NAME PORT [SETENV] [FORCECOMMAND]
  cat >"$STATE/$1.conf" <<CONF
# Written by tests/env/sshd.sh: a throwaway server for Cuttle's tests, loopback only.
Port $2
ListenAddress 127.0.0.1
HostKey $STATE/host_ed25519
PidFile $STATE/$1.pid
AuthorizedKeysFile $STATE/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
StrictModes no
UsePAM no
AllowTcpForwarding yes
MaxSessions 10
MaxStartups 100:30:200
PrintMotd no
Subsystem sftp internal-sftp
LogLevel ERROR
# bash started by sshd reads ~/.bashrc unless SHLVL says it is nested; this machine's
# .bashrc (pyenv init) costs ~200 ms per command and takes a lock, which would dominate
# every remote command (ours and OpenSSH's alike) and stall concurrent ones. The bashrc
# server sets HOME instead, so bash reads the test .bashrc there.
# CONTAINERS_CONF / CONTAINERS_STORAGE_CONF, when set at start (tests/env/podman.sh), reach
# remote commands too, so a container job's podman over SSH uses the test configuration.
SetEnv ${3:-SHLVL=1}$(podman_env)
${4:+ForceCommand $4}
CONF
}

podman_env() {  # " NAME=VALUE..." for the podman test configuration in this environment
  for name in CONTAINERS_CONF CONTAINERS_STORAGE_CONF; do
    eval "value=\${$name:-}"
    [ -z "$value" ] || printf ' %s=%s' "$name" "$value"
  done
}

known_hosts() {
  key=$(cut -d' ' -f1,2 "$STATE/host_ed25519.pub")
  {
    echo "[127.0.0.1]:$PORT $key"
    echo "[127.0.0.1]:$JUMP_PORT $key"
    echo "[127.0.0.1]:$BASHRC_PORT $key"
  } >"$STATE/known_hosts"
}

slow_bashrc() {  # the .bashrc of the bashrc server: 100 ms, one line in `runs` per run
  mkdir -p "$BASHRC_HOME"
  printf 'echo "$$" >>%s/runs\nsleep 0.1\n' "$BASHRC_HOME" >"$BASHRC_HOME/.bashrc"
  touch "$BASHRC_HOME/runs"
}

running() {  # NAME
  [ -s "$STATE/$1.pid" ] && kill -0 "$(cat "$STATE/$1.pid")" 2>/dev/null
}

listening() {  # PORT
  bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' sh "$1" 2>/dev/null
}

start_one() {  # NAME PORT [SETENV] [FORCECOMMAND]
  keys
  write_config "$1" "$2" "${3:-}" "${4:-}"
  if running "$1"; then return; fi
  /usr/sbin/sshd -f "$STATE/$1.conf" -E "$STATE/$1.log" || {
    log "sshd $1 failed to start on port $2; see $STATE/$1.log"
    exit 1
  }
  i=0
  while ! listening "$2"; do
    i=$((i + 1))
    if [ $i -gt 100 ]; then
      log "sshd $1 is not listening on 127.0.0.1:$2 after 10 s; see $STATE/$1.log"
      exit 1
    fi
    sleep 0.1
  done
}

stop_one() {  # NAME
  [ -s "$STATE/$1.pid" ] || return 0
  pid=$(cat "$STATE/$1.pid")
  # The listener and the per-connection children it forked (by parent pid, never by name).
  for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do kill "$child" 2>/dev/null || true; done
  kill "$pid" 2>/dev/null || true
  rm -f "$STATE/$1.pid"
}

print_exports() {
  echo "export CUTTLE_TEST_SSH_USER=$(id -un)"
  echo "export CUTTLE_TEST_SSH_HOST=127.0.0.1"
  echo "export CUTTLE_TEST_SSH_PORT=$PORT"
  echo "export CUTTLE_TEST_SSH_KEY=$STATE/id_ed25519"
  echo "export CUTTLE_TEST_SSH_KNOWN_HOSTS=$STATE/known_hosts"
  echo "export CUTTLE_TEST_SSH_JUMP_PORT=$JUMP_PORT"
  echo "export CUTTLE_TEST_SSH_BASHRC_PORT=$BASHRC_PORT"
  echo "export CUTTLE_TEST_SSH_BASHRC_RUNS=$BASHRC_HOME/runs"
  echo "export CUTTLE_TEST_SSH_ENV_SCRIPT=$(cd "$(dirname "$0")" && pwd)/sshd.sh"
}

case "${1:-}" in
  start)
    start_one main "$PORT"
    start_one jump "$JUMP_PORT"
    slow_bashrc
    start_one bashrc "$BASHRC_PORT" "HOME=$BASHRC_HOME"
    known_hosts
    print_exports
    ;;
  stop)
    # Every server with a pid file: the three above and any extra one a test started
    # (named per test process) and could not stop itself.
    for pidfile in "$STATE"/*.pid; do
      if [ -e "$pidfile" ]; then stop_one "$(basename "$pidfile" .pid)"; fi
    done
    ;;
  start-one) start_one "$2" "$3" "" "${4:-}" ;;
  stop-one) stop_one "$2" ;;
  *)
    echo "usage: $0 start|stop|start-one NAME PORT [FORCECOMMAND]|stop-one NAME" >&2
    exit 2
    ;;
esac
