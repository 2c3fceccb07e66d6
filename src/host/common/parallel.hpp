// Small threading helpers: a blocking queue, a parallel-for over a fixed number of threads, and
// the thread count a run's `threads` setting asks for.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace dupscan {

/// The worker threads a run takes: `asked` (a configuration's `threads`, --threads), or every
/// hardware thread when it is 0 (at least 1 where the count is unknown).
inline unsigned worker_threads(unsigned asked) {
  return asked ? asked : std::max(1u, std::thread::hardware_concurrency());
}

/// Multi-producer multi-consumer queue; pop() returns nullopt once closed and drained.
template <class T>
class BlockingQueue {
 public:
  void push(T v) {
    {
      std::lock_guard<std::mutex> lock(m_);
      q_.push_back(std::move(v));
    }
    cv_.notify_one();
  }
  std::optional<T> pop() {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait(lock, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return std::nullopt;
    T v = std::move(q_.front());
    q_.pop_front();
    return v;
  }
  void close() {
    {
      std::lock_guard<std::mutex> lock(m_);
      closed_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<T> q_;
  bool closed_ = false;
};

/// Keeps the first exception thrown by any of several threads.
class FirstError {
 public:
  void set(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(m_);
    if (!e_) e_ = e;
    failed_.store(true);
  }
  bool failed() const { return failed_.load(); }
  void rethrow() {
    if (e_) std::rethrow_exception(e_);
  }

 private:
  std::mutex m_;
  std::exception_ptr e_;
  std::atomic<bool> failed_{false};
};

/**
 * Calls f(i) for every i in [0, n) on `threads` threads (the caller is one of them), in chunks of
 * `grain` indices taken in order. f must only write state owned by index i: results then do not
 * depend on the thread count. The first exception is rethrown after all threads stopped.
 */
template <class F>
void parallel_for(std::size_t n, unsigned threads, std::size_t grain, F&& f) {
  if (n == 0) return;
  grain = std::max<std::size_t>(grain, 1);
  const std::size_t chunks = (n + grain - 1) / grain;
  const unsigned t = static_cast<unsigned>(std::min<std::size_t>(std::max(threads, 1u), chunks));
  std::atomic<std::size_t> next{0};
  FirstError error;
  auto work = [&] {
    try {
      for (;;) {
        if (error.failed()) return;
        const std::size_t c = next.fetch_add(1);
        if (c >= chunks) return;
        const std::size_t end = std::min(n, (c + 1) * grain);
        for (std::size_t i = c * grain; i < end; ++i)
          f(i);
      }
    } catch (...) {
      error.set(std::current_exception());
    }
  };
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < t; ++i)
    pool.emplace_back(work);
  work();
  for (auto& th : pool)
    th.join();
  error.rethrow();
}

}  // namespace dupscan
