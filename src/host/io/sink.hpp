// Where bytes go: a file, or this process's part of a shared one (a distributed run's).
#pragma once

#include <functional>
#include <string_view>

namespace dupscan::io {

/// Where bytes go: a file, or this process's part of a shared one.
using Sink = std::function<void(std::string_view)>;

}  // namespace dupscan::io
