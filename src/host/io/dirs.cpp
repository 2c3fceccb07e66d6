// Paths and directories: the directory of a path, directories made (and removed again by a run
// that failed), and the identity of a file.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "dupscan/errors.hpp"
#include "io/io.hpp"

namespace dupscan::io {

std::string dir_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::vector<std::string> make_dirs(const std::string& path) {
  std::vector<std::string> created;
  if (path.empty()) return created;
  std::string cur;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    cur = path.substr(0, pos);
    if (cur.empty()) continue;
    if (::mkdir(cur.c_str(), 0755) == 0) {
      created.push_back(cur);
    } else if (errno != EEXIST) {
      const int e = errno;
      remove_created_dirs(created);
      errno = e;
      throw_errno("create directory", cur);
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    remove_created_dirs(created);
    throw Error("cannot create directory '" + path + "': a file of that name exists");
  }
  return created;
}

void remove_created_dirs(const std::vector<std::string>& created) noexcept {
  for (auto it = created.rbegin(); it != created.rend(); ++it)
    ::rmdir(it->c_str());  // fails, harmlessly, on a directory that is not empty
}

bool file_id(const std::string& path, FileId& id) {
  struct stat st {};
  if (path == "-" || ::stat(path.c_str(), &st) != 0) return false;
  id.dev = static_cast<std::uint64_t>(st.st_dev);
  id.ino = static_cast<std::uint64_t>(st.st_ino);
  return true;
}

}  // namespace dupscan::io
