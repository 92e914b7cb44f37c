// The Slurm dialect of the batch engine: #SBATCH directives, sbatch --parsable with the
// script on stdin, squeue -t all for every id at once, sacct -X for many ids, scancel,
// sinfo, scontrol update TimeLimit=. Thread-safety: immutable after construction.
#pragma once

#include <memory>

#include "adaptors/batch/dialect.h"

namespace cuttle::detail::slurm {

class SlurmDialect : public BatchDialect {
 public:
  std::string name() const override { return "slurm"; }
  Capabilities capabilities() const override;
  std::string render_directives(const JobDescription& description,
                                const DirectiveContext& context) const override;
  bool submit_reads_stdin() const override { return true; }
  std::vector<std::string> submit_argv(const std::string& script_path) const override;
  std::string parse_submit(const CommandResult& result) const override;
  // An array element "12[3]" is Slurm's "12_3".
  std::string canonical_id(const std::string& id) const override;
  std::vector<std::string> status_argv(const std::vector<std::string>& ids) const override;
  std::vector<NativeJob> parse_status(const std::string& output) const override;
  std::optional<std::vector<std::string>> accounting_argv(
      const std::vector<std::string>& ids) const override;
  std::vector<NativeJob> parse_accounting(const std::string& output) const override;
  std::vector<std::string> cancel_argv(const std::string& id) const override;
  std::vector<std::string> queues_argv() const override;
  std::vector<QueueInfo> parse_queues(const std::string& output) const override;
  std::vector<std::string> list_argv(const std::string& queue) const override;
  std::vector<NativeJob> parse_list(const std::string& output) const override;
  std::optional<std::vector<std::string>> extend_argv(const NativeJob& job,
                                                      std::chrono::seconds by) const override;
  CommandOutcome classify(const std::vector<std::string>& argv,
                          const CommandResult& result) const override;
};

}  // namespace cuttle::detail::slurm
