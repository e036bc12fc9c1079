// What a test process holds, read from /proc/self: threads, open file descriptors, resident
// memory and (glibc) the heap in use. Used by the fault-injection and soak tests to show that
// nothing leaks. Linux only.
#pragma once

#include <dirent.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

namespace dialkit::test {

struct ProcessStats {
  int threads = 0;
  int fds = 0;
  std::int64_t rss_kb = 0;
  std::int64_t heap_bytes = 0;  // mallinfo2().uordblks: bytes malloc has handed out

  [[nodiscard]] std::string str() const {
    std::ostringstream s;
    s << "threads=" << threads << " fds=" << fds << " rss_kb=" << rss_kb << " heap_kb=" << heap_bytes / 1024;
    return s.str();
  }
};

inline int count_entries(const char* dir) {
  int n = 0;
  if (DIR* d = ::opendir(dir)) {
    while (const dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') ++n;
    ::closedir(d);
  }
  return n;
}

// "fd -> target" of each open descriptor, for a failure's message.
inline std::string fd_list() {
  std::string out;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      char target[512] = {};
      const std::string link = std::string("/proc/self/fd/") + e->d_name;
      const auto n = ::readlink(link.c_str(), target, sizeof target - 1);
      out += std::string(e->d_name) + " -> " + (n > 0 ? std::string(target, static_cast<std::size_t>(n)) : "?") + "\n";
    }
    ::closedir(d);
  }
  return out;
}

inline ProcessStats process_stats() {
  ProcessStats s;
  s.threads = count_entries("/proc/self/task");
  s.fds = count_entries("/proc/self/fd") - 1;  // not the one opendir is reading
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kb = std::stoll(line.substr(6));
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  s.heap_bytes = static_cast<std::int64_t>(::mallinfo2().uordblks);
#endif
  return s;
}

}  // namespace dialkit::test
