#include "dupscan/errors.hpp"

#include <algorithm>
#include <atomic>

#include "dupscan/choices.hpp"

namespace dupscan {
namespace {
std::atomic<bool> interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");
}  // namespace

void request_interrupt() noexcept {
  interrupted.store(true, std::memory_order_relaxed);
}
bool interrupt_requested() noexcept {
  return interrupted.load(std::memory_order_relaxed);
}
void clear_interrupt() noexcept {
  interrupted.store(false, std::memory_order_relaxed);
}
void check_interrupt() {
  if (interrupt_requested()) throw Interrupted("interrupted; no output was written");
}

void expect_choice(const std::string& option, const std::string& value, const Choices& choices) {
  if (std::find(choices.begin(), choices.end(), value) != choices.end()) return;
  std::string names;
  for (const std::string& c : choices)
    names += (names.empty() ? "" : ", ") + c;
  throw UsageError(option + ": '" + value + "' not in {" + names + "}");
}

}  // namespace dupscan
