// One dial through pppd: the session core holds, and the thread that runs pppd,
// reads the plugin channel and pppd's output, and reports. That thread is the only one that
// reports, so events keep pppd's order; hangup() from elsewhere asks it to stop and joins.
#pragma once

#include <memory>
#include <mutex>
#include <set>

#include <dialkit/backend.hpp>

#include "backend.hpp"
#include "mapper.hpp"

#include "process.hpp"

namespace dialkit::pppd {

// What the backend shares with its sessions and watches: the pids it started (for
// started_here), and core's hook for an exception that escapes one of their threads.
struct Registry {
  std::mutex mutex;
  std::set<pid_t> pids;
  BackendFailure failed;  // set once, before any thread starts

  [[nodiscard]] std::set<pid_t> our_pids() {
    std::lock_guard lock(mutex);
    return pids;
  }
};

// Spawns the first pppd now (a failure to start is dial()'s error) and starts the session's
// thread; core holds the dial through the kit's SharedSession.
Result<std::unique_ptr<Session>> start_session(Settings settings, std::filesystem::path helper,
                                               const DialRequest& request, std::shared_ptr<Reporter> reporter,
                                               std::shared_ptr<Registry> registry);

}  // namespace dialkit::pppd
