// Job arrays (docs/arrays.md): the array spec of a JobDescription, the ids of its
// elements, and the rule that makes one status of the whole array out of its elements'.
// Thread-safety: value types and pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cuttle/job_state.h"

namespace cuttle {

// Which elements an array job has: every index first, first + step, ... up to last, at
// most `throttle` of them running at once (Slurm's %N; none: no limit of ours).
struct ArraySpec {
  int first = 0;
  int last = 0;
  int step = 1;
  std::optional<int> throttle;

  // `count` elements, indices 0 .. count-1.
  static ArraySpec of_count(int count, std::optional<int> throttle = std::nullopt);
  // The text form: "FIRST-LAST[:STEP][%THROTTLE]" (Slurm's), or "COUNT[%THROTTLE]" — a
  // bare number is a count, not Slurm's single index ("5-5" is index 5 alone).
  // Throws InvalidJobDescription("array", why).
  static ArraySpec parse(std::string_view text);
  // "FIRST-LAST:STEP[%THROTTLE]", what parse() reads back and sbatch --array accepts.
  std::string to_string() const;

  std::vector<int> indices() const;
  int size() const;

  // Throws InvalidJobDescription("array", why): indices 0..kMaxIndex, first <= last,
  // step >= 1, at most kMaxElements elements, throttle >= 1.
  void validate() const;

  static constexpr int kMaxIndex = 1'000'000;
  static constexpr int kMaxElements = 100'000;

  bool operator==(const ArraySpec&) const = default;
};

// One element of an array as the array's status lists it; status("ID[INDEX]") has the
// element's whole status (times, reason, scheduler_info).
struct ArrayElementStatus {
  int index = 0;
  JobState state = JobState::kNew;
  std::optional<int> exit_code;
  bool operator==(const ArrayElementStatus&) const = default;
};

// The id of one element: "<array id>[<index>]", on every adaptor.
std::string array_element_id(std::string_view array_id, int index);
// {array id, index} of an element id; nullopt for any other id.
std::optional<std::pair<std::string, int>> parse_array_element_id(std::string_view id);

// The aggregate state of an array from its elements' (docs/arrays.md):
//   not every element final -> Running while any element runs, stages out or has ended
//   (the array is under way), else Queued;
//   every element final -> Error if any is Error, else Failed if any Failed, else Expired
//   if any Expired, else Cancelled if any Cancelled, else Completed.
// An empty list is Queued.
JobState aggregate_array_state(const std::vector<ArrayElementStatus>& elements);
// The aggregate exit code: the highest of the elements' (Slurm's rule for arrays); nullopt
// until every element is final or when none has a code.
std::optional<int> aggregate_array_exit_code(const std::vector<ArrayElementStatus>& elements);

}  // namespace cuttle
