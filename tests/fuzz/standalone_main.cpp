// Runs a libFuzzer target without libFuzzer (any compiler): each argument is a file, or a
// directory whose files are all run. ctest replays the seed corpus and the crash regressions
// through this in every build; scripts/fuzz.sh does the fuzzing with clang.
#include <dirent.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {
int run_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(f)),
                                std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  return 1;
}
}  // namespace

int main(int argc, char** argv) {
  int runs = 0;
  for (int i = 1; i < argc; ++i) {
    struct stat st {};
    if (::stat(argv[i], &st) != 0) {
      std::fprintf(stderr, "no such file: %s\n", argv[i]);
      return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
      runs += run_file(argv[i]);
      continue;
    }
    DIR* d = ::opendir(argv[i]);
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') runs += run_file(std::string(argv[i]) + "/" + e->d_name);
    }
    ::closedir(d);
  }
  std::printf("%d inputs run\n", runs);
  return runs > 0 ? 0 : 1;
}
