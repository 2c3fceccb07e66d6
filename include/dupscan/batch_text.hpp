/**
 * @file batch_text.hpp
 * @brief The bytes of a batch of normalized documents, in memory a backend may lend.
 *
 * A device copies a batch's text to its memory from page-locked (pinned) host memory. When the
 * text is written anywhere else it has to be staged into pinned memory first: one more copy of
 * every byte on the host, by one thread. So a backend lends its own memory (Sketcher's
 * text_memory()), the workers normalize straight into it, and the device copies from where the
 * normalizer wrote.
 */
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <utility>

namespace dupscan {

/// Where BatchText keeps its bytes: blocks a backend hands out (pinned host memory for a device).
class TextMemory {
 public:
  virtual ~TextMemory() = default;
  /// A block of at least `bytes` bytes, whose size is put in `bytes`; throws (never returns
  /// null) when there is none.
  virtual char* allocate(std::size_t& bytes) = 0;
  /// Gives back a block that allocate() returned with this size. Must not throw.
  virtual void deallocate(char* p, std::size_t bytes) noexcept = 0;
};

/**
 * Bytes that only grow at the end, as a std::string would hold them, in ordinary memory or in a
 * TextMemory. Writers may write straight at the end: room(n) makes n bytes writable past size()
 * without initializing them, and commit(m) adds the first m of them.
 */
class BatchText {
 public:
  BatchText() = default;
  ~BatchText() { release(); }
  BatchText(const BatchText& o) : memory_(o.memory_) { append(o.view()); }
  BatchText& operator=(const BatchText& o) {
    if (this != &o) {
      clear();
      append(o.view());
    }
    return *this;
  }
  BatchText(BatchText&& o) noexcept
      : memory_(std::move(o.memory_)),
        p_(std::exchange(o.p_, nullptr)),
        size_(std::exchange(o.size_, 0)),
        cap_(std::exchange(o.cap_, 0)) {}
  BatchText& operator=(BatchText&& o) noexcept {
    if (this != &o) {
      release();
      memory_ = std::move(o.memory_);
      p_ = std::exchange(o.p_, nullptr);
      size_ = std::exchange(o.size_, 0);
      cap_ = std::exchange(o.cap_, 0);
    }
    return *this;
  }

  /// Keeps the bytes in `memory` from now on (null: ordinary memory); what is held moves there,
  /// and the old block is given back (a worker's batch cleared before a run with another backend
  /// takes nothing of the old one's size: it grows in the new memory as it needs).
  void use(std::shared_ptr<TextMemory> memory) {
    if (memory == memory_) return;
    BatchText moved;
    moved.memory_ = std::move(memory);
    moved.reserve(size_);
    moved.append(view());
    *this = std::move(moved);
  }
  /// The memory the bytes are in (null: ordinary memory).
  const TextMemory* memory() const { return memory_.get(); }

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return cap_; }
  bool empty() const { return size_ == 0; }
  const char* data() const { return p_ ? p_ : ""; }
  std::string_view view() const { return std::string_view(data(), size_); }
  operator std::string_view() const { return view(); }

  void clear() { size_ = 0; }
  void reserve(std::size_t n) {
    if (n > cap_) regrow(n);
  }
  /// At least n writable bytes past size(), not initialized; returns where they begin.
  char* room(std::size_t n) {
    if (cap_ - size_ < n) regrow(std::max(size_ + n, cap_ + cap_ / 2));
    return p_ + size_;
  }
  /// Adds the first m bytes written into room() (m at most what room() was asked).
  void commit(std::size_t m) { size_ += m; }
  void append(std::string_view s) {
    if (s.empty()) return;
    std::memcpy(room(s.size()), s.data(), s.size());
    size_ += s.size();
  }
  /// Cuts the bytes to the first n (n <= size()).
  void resize_down(std::size_t n) { size_ = std::min(size_, n); }

 private:
  // n: the bytes asked for, then the block's size.
  void regrow(std::size_t n) {
    char* p = memory_ ? memory_->allocate(n) : static_cast<char*>(::operator new(n));
    if (size_) std::memcpy(p, p_, size_);
    const std::size_t size = size_;
    release();
    p_ = p;
    cap_ = n;
    size_ = size;
  }
  void release() noexcept {
    if (!p_) return;
    if (memory_) {
      memory_->deallocate(p_, cap_);
    } else {
      ::operator delete(p_);
    }
    p_ = nullptr;
    cap_ = size_ = 0;
  }

  std::shared_ptr<TextMemory> memory_;
  char* p_ = nullptr;
  std::size_t size_ = 0, cap_ = 0;
};

}  // namespace dupscan
