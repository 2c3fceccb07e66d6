// Messages between the ranks of a distributed run: plain values and strings packed back to back
// (one process's byte order: every rank runs the same build on the same kind of machine).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "dupscan/errors.hpp"
#include "dupscan/run.hpp"

namespace dupscan {

class Packer {
 public:
  template <class T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable<T>::value, "plain data only");
    s_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void put(const std::pair<std::uint64_t, std::uint64_t>& v) {
    put(v.first);
    put(v.second);
  }
  void put_str(std::string_view v) {
    put<std::uint64_t>(v.size());
    s_.append(v);
  }
  /// n plain values.
  template <class T>
  void put_array(const T* v, std::size_t n) {
    static_assert(std::is_trivially_copyable<T>::value, "plain data only");
    put<std::uint64_t>(n);
    s_.append(reinterpret_cast<const char*>(v), n * sizeof(T));
  }
  std::string& str() { return s_; }

 private:
  std::string s_;
};

class Unpacker {
 public:
  explicit Unpacker(const std::string& s) : p_(s.data()), end_(s.data() + s.size()) {}
  bool more() const { return p_ < end_; }
  template <class T>
  T get() {
    static_assert(std::is_trivially_copyable<T>::value, "plain data only");
    need(sizeof(T));
    T v;
    std::memcpy(&v, p_, sizeof v);
    p_ += sizeof v;
    return v;
  }
  std::pair<std::uint64_t, std::uint64_t> get_pair() {
    const auto a = get<std::uint64_t>();
    return {a, get<std::uint64_t>()};
  }
  std::string_view get_str() {
    const auto n = get<std::uint64_t>();
    need(n);
    std::string_view v(p_, n);
    p_ += n;
    return v;
  }
  /// What put_array packed, into `out`.
  template <class T>
  void get_array(std::vector<T>& out) {
    const auto n = get<std::uint64_t>();
    need(n * sizeof(T));
    out.resize(n);
    if (n) std::memcpy(out.data(), p_, n * sizeof(T));
    p_ += n * sizeof(T);
  }

 private:
  void need(std::uint64_t n) const {
    if (static_cast<std::uint64_t>(end_ - p_) < n) throw Error("distributed run: short message");
  }
  const char* p_;
  const char* end_;
};

inline std::vector<std::string> strings_of(std::vector<Packer>& out) {
  std::vector<std::string> s(out.size());
  for (std::size_t r = 0; r < out.size(); ++r)
    s[r] = std::move(out[r].str());
  return s;
}

/// The summaries of a rank's inputs.
inline void put_inputs(Packer& p, const std::vector<InputSummary>& inputs) {
  p.put<std::uint64_t>(inputs.size());
  for (const InputSummary& in : inputs) {
    p.put_str(in.path);
    p.put_str(in.compression);
    for (std::uint64_t v :
         {in.bytes, in.text_bytes, in.lines, in.records, in.blank_lines, in.skipped}) {
      p.put(v);
    }
    p.put_str(in.xxh3_64);
  }
}

/// What put_inputs packed, appended to `out`.
inline void get_inputs(Unpacker& u, std::vector<InputSummary>& out) {
  const auto inputs = u.get<std::uint64_t>();
  for (std::uint64_t i = 0; i < inputs; ++i) {
    InputSummary in;
    in.path.assign(u.get_str());
    in.compression.assign(u.get_str());
    for (std::uint64_t* v :
         {&in.bytes, &in.text_bytes, &in.lines, &in.records, &in.blank_lines, &in.skipped}) {
      *v = u.get<std::uint64_t>();
    }
    in.xxh3_64.assign(u.get_str());
    out.push_back(std::move(in));
  }
}

}  // namespace dupscan
