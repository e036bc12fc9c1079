// Test fixture for the NetworkManager real-peer tests: starts a peer (a real NetworkManager in
// its own network namespace, or python-dbusmock's NM) on a private bus through the scripts in
// harness/, and stops it (processes and namespace) when it goes out of scope, also when a test
// fails. Plus an event collector that waits for conditions instead of sleeping.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <dialkit/runtime.hpp>

namespace dialkit::nm::test {

class Peer {
 public:
  // script: "start-realnm.sh" or "start-mocknm.sh". Throws (fails the test) when it cannot start.
  explicit Peer(const std::string& script);
  ~Peer();
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  [[nodiscard]] const std::string& address() const { return address_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  // The last value DIR/env gave KEY (a restart appends a new NM_PID).
  [[nodiscard]] std::string env(const std::string& key) const;
  // Starts NetworkManager again after a test killed it (harness/restart-realnm.sh; real NM
  // only) and re-reads DIR/env. Fails the test when NM does not come back.
  void restart_nm();
  // Every process and network namespace the harness made so far (DIR/pids, DIR/netns), for
  // checking after the peer stopped that none is left.
  [[nodiscard]] std::vector<int> pids() const;
  [[nodiscard]] std::vector<std::string> namespaces() const;
  // Runs a shell command with the peer's bus as the system bus; returns its exit status and
  // leaves its output in `output`.
  int sh(const std::string& command, std::string* output = nullptr) const;
  // A runtime with the in-process NetworkManager backend pointed at this peer's bus.
  [[nodiscard]] RuntimeOptions runtime_options() const;

 private:
  void read_env();

  std::filesystem::path dir_;
  std::string address_;
  std::vector<std::pair<std::string, std::string>> env_;
};

class Events {
 public:
  EventSlot slot();
  // Waits until `pred` holds for the events so far (or the time is up); returns whether it did.
  bool wait(const std::function<bool(const std::vector<Event>&)>& pred,
            std::chrono::milliseconds limit = std::chrono::seconds(15));
  bool wait_for_state(State s, std::chrono::milliseconds limit = std::chrono::seconds(15));
  [[nodiscard]] std::vector<Event> all() const;
  [[nodiscard]] std::string dump() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Event> events_;
};

std::string describe(const Event& e);

// What of `pids` and `namespaces` still exists (a zombie counts as gone): empty when a stopped
// harness left nothing behind.
std::vector<std::string> leftovers(const std::vector<int>& pids, const std::vector<std::string>& namespaces);

}  // namespace dialkit::nm::test
