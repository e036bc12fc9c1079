// The pppd backend's state machine, free of processes and threads: native events in (the
// plugin's messages, the backend's own actions, pppd's exit status), NativeReports out. The
// golden tests drive exactly this class with recorded sequences.
//
// Decisions (DESIGN.md section 4 and notes/pppd.md):
// - Teardown is not a new dial: after TERMINATE/DISCONNECT/HOLDOFF, after `connected`, after
//   link_down, and whenever a phase goes back below the highest one reached, every phase is
//   `disconnecting`. It stays so (sticky): pppd runs with nopersist.
// - The end is decided when the process exit status arrives, sequence first, for every exit
//   code (over a pty the code is not reliable): a hang-up the backend sent is "local hang-up"
//   (and core reports that `disconnected` itself); a protocol error or a kill by signal is
//   said as such; after `connected`, a teardown pppd did not start (no TERMINATE) is the peer
//   hanging up, one it started is named by the exit code (idle, time or traffic limit, dead
//   peer) or `link_dropped`; before `connected`, AUTHENTICATE then teardown with neither
//   auth_up nor a later CALLBACK, NETWORK or RUNNING phase (pppd enters those only after
//   authentication passed) is an authentication failure (exit 11 says it was the peer's);
//   any other sequence that reached ESTABLISH is a negotiation failure, whatever the code.
//   Only a sequence that never reached ESTABLISH leaves the end to the exit code table. The
//   exit code stays the error's native code either way.
// - When the caller handles pauses, the teardown after a failed authentication is not
//   reported: the dial pauses in retry_authentication once pppd has exited, and core allows
//   no pause after `disconnecting` (DESIGN.md section 2, rule 2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <dialkit/backend.hpp>

#include "mapping.hpp"
#include "protocol.hpp"

namespace dialkit::pppd {

// How the pppd process ended (waitpid()).
struct ProcessEnd {
  enum class How : std::uint8_t { exited, signaled, unknown };
  How how = How::exited;
  int code = 0;  // exit code or signal number
};

// What the session has learnt about the link (SessionStatus).
struct LinkInfo {
  std::string interface;
  std::vector<std::string> addresses;  // "local 192.0.2.2", "remote 192.0.2.1", ...
};

class Mapper {
 public:
  explicit Mapper(bool handle_paused_states) : handle_paused_(handle_paused_states) {}

  // A new pppd process for this dial (first one, or after resume()).
  std::vector<NativeReport> spawned();
  std::vector<NativeReport> on_message(const Message& m);
  // The backend is hanging up: `disconnecting`, and the end becomes "local hang-up".
  std::vector<NativeReport> local_hangup();
  // The channel said something unparseable; the backend kills pppd and the end says why.
  void protocol_failed(Error e);
  // pppd's exit status with the tail of its output. Returns the final report:
  // `disconnected` (with error or reason), `retry_authentication` (pausable auth failure),
  // or nothing after a local hang-up (core reports that end).
  std::vector<NativeReport> process_ended(ProcessEnd end, std::string_view output_tail);

  [[nodiscard]] const LinkInfo& link() const noexcept { return link_; }
  [[nodiscard]] bool paused() const noexcept { return paused_; }
  [[nodiscard]] bool hangup_requested() const noexcept { return local_hangup_; }

 private:
  NativeReport phase_report(const NativeMapping<int>& info);
  [[nodiscard]] bool pause_pending() const noexcept;
  // AUTHENTICATE was entered and nothing says it passed (auth_up, CALLBACK, NETWORK, RUNNING).
  [[nodiscard]] bool authentication_rejected() const noexcept;
  Error decide_error(const ProcessEnd& end, std::string_view output_tail) const;

  bool handle_paused_;
  // Per pppd run.
  bool teardown_ = false;
  int highest_ = -1;  // highest "up" phase reached (ESTABLISH..RUNNING)
  bool saw_establish_ = false;
  bool saw_authenticate_ = false;
  bool saw_auth_up_ = false;
  bool saw_after_auth_ = false;  // CALLBACK, NETWORK or RUNNING on the way up
  bool saw_network_ = false;     // NETWORK or RUNNING on the way up
  bool saw_running_ = false;     // RUNNING on the way up
  bool saw_terminate_ = false;
  bool connected_ = false;
  bool local_hangup_ = false;
  bool paused_ = false;
  std::optional<Error> protocol_error_;
  std::optional<int> exit_notified_;
  LinkInfo link_;
};

// Human text for a signal number ("SIGKILL"), and for an exit code's table name.
[[nodiscard]] std::string signal_name(int sig);
[[nodiscard]] std::string exit_name(int code);

}  // namespace dialkit::pppd
