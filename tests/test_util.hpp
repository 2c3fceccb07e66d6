// Helpers shared by the tests: temporary directories, files, running the built binary, JSON.
#pragma once

#include <dirent.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace dupscan::test {

/// tests/data/NAME; DUPSCAN_TEST_DATA_DIR overrides the directory (the GPU pack runs the tests
/// away from the source tree).
inline std::string test_data(const std::string& name) {
  const char* dir = std::getenv("DUPSCAN_TEST_DATA_DIR");
  return std::string(dir ? dir : DUPSCAN_TEST_DATA) + "/" + name;
}

/// A fresh directory under $TMPDIR, removed with its content at scope exit.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/dupscan-test-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
    path_ = buf.data();
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// Sets an environment variable for the scope (the test hooks), and restores what was there.
class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) {
      had_ = true;
      old_ = old;
    }
    ::setenv(name, value, 1);
  }
  EnvVar(const char* name, const std::string& value) : EnvVar(name, value.c_str()) {}
  ~EnvVar() {
    if (had_) {
      ::setenv(name_, old_.c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  EnvVar(const EnvVar&) = delete;
  EnvVar& operator=(const EnvVar&) = delete;

 private:
  const char* name_;
  bool had_ = false;
  std::string old_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline bool file_exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

inline void write_file(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary);
  f << content;
  if (!f) throw std::runtime_error("cannot write " + path);
}

inline std::string gzip_bytes(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

/// zstd with a content checksum, as the zstd command writes it.
inline std::string zstd_bytes(const std::string& in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  out.resize(ZSTD_compress2(cctx, out.data(), out.size(), in.data(), in.size()));
  ZSTD_freeCCtx(cctx);
  return out;
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream ss(text);
  for (std::string l; std::getline(ss, l);)
    lines.push_back(l);
  return lines;
}

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s)
    q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// Runs `cmd` (sh -c) with its stdout and stderr captured and `stdin_redirect` (e.g. "</dev/null").
inline RunResult run_captured(const std::string& cmd, const std::string& stdin_redirect) {
  TempDir io;
  const std::string full = cmd + " >" + (io / "out") + " 2>" + (io / "err") + " " + stdin_redirect;
  const int status = std::system(full.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(io / "out");
  r.err = read_file(io / "err");
  return r;
}

/// Runs the built dupscan with `args` (already shell-quoted where needed), optional stdin file.
inline RunResult run_dupscan(const std::string& args, const std::string& stdin_file = "") {
  return run_captured(std::string(DUPSCAN_BIN) + " " + args,
                      stdin_file.empty() ? "</dev/null" : "<" + stdin_file);
}

/// Runs a shell script (sh -c) with DUPSCAN standing for the built binary.
inline RunResult run_shell(std::string script) {
  for (std::size_t at; (at = script.find("DUPSCAN")) != std::string::npos;) {
    script.replace(at, 7, DUPSCAN_BIN);
  }
  return run_captured("sh -c " + shell_quote(script), "</dev/null");
}

/// An index manifest (index.json) as a dupscan from before manifests had a checksum wrote it:
/// the same text without its last field, "checksum" (index.hpp). Tests that edit a manifest on
/// purpose drop the checksum that would otherwise (rightly) refuse the edit.
inline std::string without_manifest_checksum(std::string m) {
  const auto at = m.rfind(",\n  \"checksum\": \"");
  if (at != std::string::npos) m.erase(at, m.find('\n', at + 2) - at);
  return m;
}

/// Names of the entries of a directory (hidden ones included), sorted.
inline std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

/// Parses a JSON document (a whole file or one line); the parser must outlive the element.
inline simdjson::dom::element parse_json(simdjson::dom::parser& parser, const std::string& text) {
  simdjson::dom::element e;
  const auto err = parser.parse(text).get(e);
  if (err) throw std::runtime_error(std::string("bad JSON: ") + simdjson::error_message(err));
  return e;
}

/// A JSON string value as std::string (throws if it is not a string).
inline std::string str(simdjson::simdjson_result<simdjson::dom::element> e) {
  return std::string(std::string_view(e));
}

}  // namespace dupscan::test
