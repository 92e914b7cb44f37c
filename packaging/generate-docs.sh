#!/bin/sh
# Writes the man page and the bash completion from the built `cuttle`'s own help tables.
# Usage: generate-docs.sh CUTTLE MAN_OUT COMPLETION_OUT
set -e
"$1" help man >"$2.tmp" && mv "$2.tmp" "$2"
"$1" help bash-completion >"$3.tmp" && mv "$3.tmp" "$3"
