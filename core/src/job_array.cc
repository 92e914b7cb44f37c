// Array specs, element ids and the aggregate rule (cuttle/job_array.h).
#include "cuttle/job_array.h"

#include <algorithm>
#include <charconv>

#include "cuttle/error.h"

namespace cuttle {
namespace {

// A decimal number of at most 7 digits taken from the front of `text`; nullopt if none.
std::optional<int> take_number(std::string_view& text) {
  std::size_t n = 0;
  while (n < text.size() && n < 8 && text[n] >= '0' && text[n] <= '9') ++n;
  if (n == 0 || n > 7) return std::nullopt;
  int value = 0;
  std::from_chars(text.data(), text.data() + n, value);
  text.remove_prefix(n);
  return value;
}

[[noreturn]] void malformed(std::string_view text) {
  throw InvalidJobDescription("array", "'" + std::string(text.substr(0, 64)) +
                                           "' is not FIRST-LAST[:STEP][%THROTTLE] or "
                                           "COUNT[%THROTTLE]");
}

}  // namespace

ArraySpec ArraySpec::of_count(int count, std::optional<int> throttle) {
  if (count < 1) throw InvalidJobDescription("array", "the count must be at least 1");
  ArraySpec spec;
  spec.last = count - 1;
  spec.throttle = throttle;
  spec.validate();
  return spec;
}

ArraySpec ArraySpec::parse(std::string_view text) {
  std::string_view rest = text;
  const std::optional<int> first = take_number(rest);
  if (!first) malformed(text);
  ArraySpec spec;
  if (!rest.empty() && rest.front() == '-') {
    rest.remove_prefix(1);
    const std::optional<int> last = take_number(rest);
    if (!last) malformed(text);
    spec.first = *first;
    spec.last = *last;
    if (!rest.empty() && rest.front() == ':') {
      rest.remove_prefix(1);
      const std::optional<int> step = take_number(rest);
      if (!step) malformed(text);
      spec.step = *step;
    }
  } else {
    if (*first < 1) throw InvalidJobDescription("array", "the count must be at least 1");
    spec.last = *first - 1;
  }
  if (!rest.empty() && rest.front() == '%') {
    rest.remove_prefix(1);
    spec.throttle = take_number(rest);
    if (!spec.throttle) malformed(text);
  }
  if (!rest.empty()) malformed(text);
  spec.validate();
  return spec;
}

std::string ArraySpec::to_string() const {
  std::string text =
      std::to_string(first) + "-" + std::to_string(last) + ":" + std::to_string(step);
  if (throttle) text += "%" + std::to_string(*throttle);
  return text;
}

std::vector<int> ArraySpec::indices() const {
  std::vector<int> out;
  if (step < 1) return out;
  for (long long i = first; i <= last; i += step) out.push_back(static_cast<int>(i));
  return out;
}

int ArraySpec::size() const { return step < 1 || last < first ? 0 : (last - first) / step + 1; }

void ArraySpec::validate() const {
  if (first < 0 || last < 0) throw InvalidJobDescription("array", "indices must not be negative");
  if (first > kMaxIndex || last > kMaxIndex) {
    throw InvalidJobDescription("array", "indices must be at most " + std::to_string(kMaxIndex));
  }
  if (last < first) throw InvalidJobDescription("array", "the last index is below the first");
  if (step < 1) throw InvalidJobDescription("array", "the step must be at least 1");
  if (size() > kMaxElements) {
    throw InvalidJobDescription("array", "at most " + std::to_string(kMaxElements) +
                                             " elements, got " + std::to_string(size()));
  }
  if (throttle && *throttle < 1) {
    throw InvalidJobDescription("array", "the throttle (%N) must be at least 1");
  }
}

std::string array_element_id(std::string_view array_id, int index) {
  return std::string(array_id) + "[" + std::to_string(index) + "]";
}

std::optional<std::pair<std::string, int>> parse_array_element_id(std::string_view id) {
  if (id.size() < 4 || id.back() != ']') return std::nullopt;
  const std::size_t open = id.rfind('[');
  if (open == std::string_view::npos || open == 0) return std::nullopt;
  std::string_view digits = id.substr(open + 1, id.size() - open - 2);
  const std::size_t length = digits.size();
  const std::optional<int> index = take_number(digits);
  if (!index || !digits.empty() || length > 7 || *index > ArraySpec::kMaxIndex) return std::nullopt;
  // A second bracket in the array part is Torque's "12[].server" form, not ours.
  const std::string_view array = id.substr(0, open);
  if (array.find_first_of("[]") != std::string_view::npos) return std::nullopt;
  return std::pair{std::string(array), *index};
}

JobState aggregate_array_state(const std::vector<ArrayElementStatus>& elements) {
  auto any = [&](auto predicate) {
    return std::any_of(elements.begin(), elements.end(), predicate);
  };
  auto any_in = [&](JobState state) {
    return any([state](const ArrayElementStatus& e) { return e.state == state; });
  };
  if (elements.empty()) return JobState::kQueued;
  if (any([](const ArrayElementStatus& e) { return !is_final(e.state); })) {
    if (any([](const ArrayElementStatus& e) {
          return e.state == JobState::kRunning || e.state == JobState::kStagingOut ||
                 is_final(e.state);
        })) {
      return JobState::kRunning;
    }
    return JobState::kQueued;
  }
  for (JobState state :
       {JobState::kError, JobState::kFailed, JobState::kExpired, JobState::kCancelled}) {
    if (any_in(state)) return state;
  }
  return JobState::kCompleted;
}

std::optional<int> aggregate_array_exit_code(const std::vector<ArrayElementStatus>& elements) {
  std::optional<int> highest;
  for (const ArrayElementStatus& e : elements) {
    if (!is_final(e.state)) return std::nullopt;
    if (e.exit_code && (!highest || *e.exit_code > *highest)) highest = e.exit_code;
  }
  return highest;
}

}  // namespace cuttle
