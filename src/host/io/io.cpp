// What every part of io.hpp's implementation uses (the errno error, hex digits) and the checksum
// of a whole file. The parts: byte_source.cpp (decoders, open_source, pread_exact),
// line_reader.cpp, output_file.cpp (temporary names, atomic and compressed outputs), dirs.cpp
// (paths, directories, file identity); raw_file.hpp is what they share.
#include "io/io.hpp"

#include <cerrno>
#include <cstring>

#include "dupscan/errors.hpp"
#include "io/raw_file.hpp"

namespace dupscan::io {

void throw_errno(const std::string& what, const std::string& path) {
  throw Error("cannot " + what + " '" + path + "': " + std::strerror(errno));
}

std::string hex64(std::uint64_t v) {
  static const char* digits = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4)
    s[i] = digits[v & 15];
  return s;
}

std::string file_xxh3_64(const std::string& path) {
  detail::RawFile raw(path);
  while (raw.fill())
    raw.consume(raw.available());
  return raw.checksum();
}

}  // namespace dupscan::io
