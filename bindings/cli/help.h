// The `cuttle` command's help, kept as data so that `cuttle --help`, `cuttle VERB
// --help`, the man page (`cuttle help --man`) and the bash completion (`cuttle help
// --bash-completion`) are generated from one text and cannot drift apart.
// Thread-safety: pure functions over constant tables.
#pragma once

#include <string>
#include <vector>

namespace cuttle::cli {

struct VerbHelp {
  const char* name;
  const char* synopsis;  // after "cuttle "
  const char* summary;   // one line
  const char* details;   // the verb's own flags and notes, one "  --flag  text" per line
};

const std::vector<VerbHelp>& verb_help();

// The global usage: verbs, shared flags, exit codes.
std::string usage();

// One verb's help. Throws InvalidArgument for an unknown verb.
std::string usage(const std::string& verb);

// A man page (roff, section 1) built from the same tables.
std::string man_page();

// A bash completion script for verbs and flags.
std::string bash_completion();

}  // namespace cuttle::cli
