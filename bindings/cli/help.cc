// The help tables and what is generated from them.
#include "bindings/cli/help.h"

#include <sstream>

#include "bindings/cli/options.h"
#include "cuttle/error.h"

namespace cuttle::cli {
namespace {

const char* const kSchedulerFlags = R"(Scheduler options (every verb that opens a location):
  -p, --property KEY=VALUE  adaptor property (see `cuttle adaptors`); repeatable
  --identity FILE           SSH private key file
  --passphrase-env VAR      read the key's passphrase from environment variable VAR
  --password-env VAR        password authentication, from environment variable VAR
  --token-env VAR           bearer token from environment variable VAR
  --user NAME               user name for the credential
)";

const char* const kCommon = R"(Common options:
  --json                    exactly one JSON document on stdout, errors included
  -h, --help                this help (`cuttle VERB --help`: that verb's help)
  -V, --version             print the version
Jobs: JOB is the id `cuttle submit` printed. The location may be left out for jobs
  submitted with this `cuttle` (they are recorded in $XDG_STATE_HOME/cuttle, default
  ~/.local/state/cuttle); give it for jobs submitted otherwise.
Exit codes: 0 success; the job's own exit code (submit --wait, wait); 1 an error (no
  such job, connection, scheduler command failed); 2 bad usage or an invalid job;
  124 wait timed out or time allocation expired; 125 the job ended in Error;
  130 the job was cancelled, or the wait was interrupted.
Durations: 90, 30s, 5m, 2h, 1d. Sizes: 512, 4K, 16M, 2G.
)";

const std::vector<VerbHelp> kVerbs = {
    {"submit", "submit LOCATION [OPTIONS] -- CMD [ARGS...]",
     "submit a job; prints its id (--wait: waits and exits with the job's exit code)",
     R"(  --wait                    wait for the job; its exit code is cuttle's
  --timeout DURATION        bound --wait; exit 124 if the job is still not done
  --from FILE               read the job description from a JSON file (see docs/cli.md);
                            flags and a command after `--` override it
  --name NAME               --env KEY=VALUE (repeatable)  --cwd DIR
  --stdin FILE              --stdout FILE                 --stderr FILE
  --queue NAME              --max-runtime DURATION        --retry N
  --nodes N                 --tasks N                     --cores-per-task N
  --memory SIZE             --scheduler-arg ARG (repeatable)
  --label KEY=VALUE (repeatable)
  --array SPEC              a job array (docs/arrays.md): COUNT, FIRST-LAST[:STEP], each with
                            an optional %THROTTLE, e.g. --array 0-99%5; elements are ID[INDEX]
Resources and placement (docs/resources.md; refused where the adaptor cannot honour them):
  --gpus [TYPE:]N           GPUs per node, e.g. --gpus 2 or --gpus a100:2
  --account NAME            --qos NAME                    --reservation NAME
  --constraint FEATURE      a node feature; repeatable, all required
  --exclusive               no other job on the job's nodes
Dependencies (docs/dependencies.md; slurm, torque, ssh, local):
  --after CONDITION:ID      start after job ID: after_ok, after_any, after_not_ok or
                            after_start; repeatable, all required
  --stage-in SRC[:DEST]     --stage-out SRC[:DEST] (repeatable)
Launch and environment (docs/launchers.md; local, ssh, slurm, torque):
  --launcher NAME           none, srun, mpirun or mpiexec: starts --tasks copies of CMD
  --module NAME             `module load NAME` first (Lmod or Environment Modules); repeatable
  --pre-launch SCRIPT       sourced in the job's shell before CMD starts
  --post-launch SCRIPT      sourced after CMD ended; the job keeps CMD's exit code
  --no-inherit-environment  CMD starts from an empty environment plus --env
Containers (docs/containers.md; the job's sandbox is /work inside):
  --image IMAGE             --container-runtime auto|podman|docker|apptainer|singularity|charliecloud
  --mount HOST[:CONTAINER]  read-only; repeatable
  --network on|off          default off
  --container-user NAME|UID[:GID]
On local:// without --wait the job runs detached (mode=detached): an attached job would
die with this process and its id could never be found again.
With --json, an attached job's stdout goes to stderr so that stdout holds only JSON.
)"},
    {"status", "status [LOCATION] JOB...", "show the status of jobs, and where their output is",
     ""},
    {"wait", "wait [LOCATION] JOB [--timeout DURATION]",
     "wait until the job is done; exit with its exit code",
     "  --timeout DURATION        give up after DURATION; exit 124, the job keeps running\n"},
    {"cancel", "cancel [LOCATION] JOB...",
     "cancel jobs and print their state after the cancel (a finished job is left as it is)", ""},
    {"output", "output [LOCATION] JOB [--stderr]", "print a job's stdout (or stderr) so far",
     "  --stderr                  the job's stderr instead of its stdout\n"},
    {"logs", "logs [LOCATION] JOB [--stderr] [--follow]",
     "print a job's stdout (or stderr); --follow keeps printing until the job is done",
     "  --stderr                  the job's stderr instead of its stdout\n"
     "  -f, --follow              print new output as it arrives, until the job is done\n"},
    {"extend", "extend [LOCATION] JOB DURATION", "add DURATION to the job's time allocation", ""},
    {"list", "list [LOCATION] [--queue NAME] [--limit N]",
     "without LOCATION: jobs submitted with this cuttle, newest first, across locations; "
     "with LOCATION: the jobs the scheduler knows",
     "  --queue NAME              only jobs in this queue (with LOCATION)\n"
     "  --limit N                 how many recent jobs (without LOCATION; default 20)\n"},
    {"queues", "queues LOCATION", "list queues", ""},
    {"adaptors", "adaptors", "list adaptors, their location forms and properties", ""},
    {"clean", "clean --older-than DURATION [--dry-run] [-p sandbox.root=DIR]",
     "remove the sandboxes of finished jobs (local, and those submitted elsewhere by cuttle) "
     "and their job-index entries, older than DURATION",
     "  --older-than DURATION     e.g. 7d; required\n"
     "  --dry-run                 only print what would be removed\n"
     "Sandboxes of jobs still running are never removed.\n"},
    {"serve", "serve [--config FILE]", "run the REST service (default 127.0.0.1:9998)",
     "  see docs/rest.md and docs/config.md\n"},
    {"version", "version", "print the version", ""},
    {"help", "help [VERB | man | bash-completion]",
     "help on a verb; `man` prints the man page, `bash-completion` a completion script", ""},
};

}  // namespace

const std::vector<VerbHelp>& verb_help() { return kVerbs; }

std::string usage() {
  std::ostringstream out;
  out << "usage: cuttle VERB [OPTIONS] ...\n\nVerbs:\n";
  for (const VerbHelp& v : kVerbs) {
    out << "  " << v.synopsis << "\n      " << v.summary << "\n";
  }
  out << "\n" << kSchedulerFlags << kCommon;
  return out.str();
}

std::string usage(const std::string& verb) {
  for (const VerbHelp& v : kVerbs) {
    if (verb != v.name) continue;
    std::ostringstream out;
    out << "usage: cuttle " << v.synopsis << "\n\n" << v.summary << "\n";
    if (*v.details != '\0') out << "\n" << v.details;
    if (verb != "adaptors" && verb != "version" && verb != "help" && verb != "serve") {
      out << "\n" << kSchedulerFlags;
    }
    out << "\n" << kCommon;
    return out.str();
  }
  throw InvalidArgument("unknown verb '" + verb + "' (see cuttle --help)");
}

namespace {

// roff treats a leading '.' or '\'' as a request, and '\' as an escape.
std::string roff(const std::string& text) {
  std::ostringstream out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out << "\\&";
    if (c == '\\') {
      out << "\\e";
    } else if (c == '-') {
      out << "\\-";
    } else {
      out << c;
    }
    line_start = c == '\n';
  }
  return out.str();
}

}  // namespace

std::string man_page() {
  std::ostringstream out;
  out << ".TH CUTTLE 1 \"\" \"cuttle\" \"User Commands\"\n"
      << ".SH NAME\ncuttle \\- run jobs on local processes, SSH hosts, Slurm and Torque\n"
      << ".SH SYNOPSIS\n.B cuttle\n.I VERB\n[OPTIONS] ...\n.SH VERBS\n";
  for (const VerbHelp& v : kVerbs) {
    out << ".TP\n.B " << roff(v.synopsis) << "\n" << roff(v.summary) << "\n";
    if (*v.details != '\0') out << ".nf\n" << roff(v.details) << ".fi\n";
  }
  out << ".SH OPTIONS\n.nf\n"
      << roff(kSchedulerFlags) << "\n"
      << roff(kCommon) << ".fi\n"
      << ".SH SEE ALSO\nThe documentation in docs/cli.md of the cuttle sources.\n";
  return out.str();
}

std::string bash_completion() {
  std::ostringstream verbs;
  for (const VerbHelp& v : kVerbs) verbs << v.name << ' ';
  std::ostringstream flags;
  for (const std::string& flag : known_flags()) flags << flag << ' ';
  std::ostringstream out;
  out << "# bash completion for cuttle, generated by `cuttle help bash-completion`\n"
      << "_cuttle() {\n"
      << "  local cur=${COMP_WORDS[COMP_CWORD]}\n"
      << "  if [[ $COMP_CWORD -eq 1 ]]; then\n"
      << "    COMPREPLY=($(compgen -W '" << verbs.str() << "' -- \"$cur\"))\n"
      << "  elif [[ $cur == -* ]]; then\n"
      << "    COMPREPLY=($(compgen -W '" << flags.str() << "' -- \"$cur\"))\n"
      << "  else\n"
      << "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
      << "  fi\n"
      << "}\n"
      << "complete -F _cuttle cuttle\n";
  return out.str();
}

}  // namespace cuttle::cli
