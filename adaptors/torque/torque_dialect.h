// The Torque dialect of the batch engine: #PBS directives (memory with its unit), qsub
// of the script file, qstat -x (XML) for every id at once with a fallback to qstat -f
// where -x is not supported (Slurm's Torque wrappers), idempotent qdel, qstat -Q.
// Thread-safety: the -x/-f choice is an atomic; everything else is immutable.
#pragma once

#include <atomic>

#include "adaptors/batch/dialect.h"

namespace cuttle::detail::torque {

class TorqueDialect : public BatchDialect {
 public:
  std::string name() const override { return "torque"; }
  Capabilities capabilities() const override;
  std::string render_directives(const JobDescription& description,
                                const DirectiveContext& context) const override;
  bool submit_reads_stdin() const override { return false; }
  std::vector<std::string> submit_argv(const std::string& script_path) const override;
  std::string parse_submit(const CommandResult& result) const override;
  std::string canonical_id(const std::string& id) const override;
  std::vector<std::string> status_argv(const std::vector<std::string>& ids) const override;
  std::vector<NativeJob> parse_status(const std::string& output) const override;
  bool fall_back_status(const CommandResult& result) override;
  std::vector<std::string> cancel_argv(const std::string& id) const override;
  std::vector<std::string> queues_argv() const override;
  std::vector<QueueInfo> parse_queues(const std::string& output) const override;
  std::vector<std::string> list_argv(const std::string& queue) const override;
  std::vector<NativeJob> parse_list(const std::string& output) const override;
  CommandOutcome classify(const std::vector<std::string>& argv,
                          const CommandResult& result) const override;

  bool uses_xml() const { return xml_.load(); }

 private:
  std::atomic<bool> xml_{true};
};

}  // namespace cuttle::detail::torque
