/// @file
/// The session of the plugin kit: what core holds for one dial, over the dial's state that the
/// backend's threads or scheduler tasks share (they hold it by a shared_ptr, so that a report
/// in progress keeps it alive after core dropped the session). Every call goes to that state:
///
///     class Dial {  // the backend's own
///      public:
///       dialkit::Result<void> resume(const dialkit::ResumeInput& input);
///       void hangup();
///       [[nodiscard]] dialkit::SessionStatus status() const;
///       // Core dropped the session (it hangs up first): end what is left without reporting,
///       // and wait for no report of the thread drop() runs on (a slot may drop the session).
///       void drop();
///     };
///     return std::unique_ptr<dialkit::Session>(new dialkit::plugin::SharedSession(dial));
#pragma once

#include <memory>
#include <string>
#include <utility>

#include <dialkit/backend.hpp>

namespace dialkit::plugin {

/// A Session that forwards to `Dial` (see the file comment) and calls its drop() when core
/// destroys the session.
template <class Dial>
class SharedSession final : public Session {
 public:
  /// The session of `dial` (never null).
  explicit SharedSession(std::shared_ptr<Dial> dial) : dial_(std::move(dial)) {}
  /// Calls the dial's drop(); the dial lives on while a thread or task of the backend holds it.
  ~SharedSession() override { dial_->drop(); }
  SharedSession(const SharedSession&) = delete;  ///<one session per dial
  SharedSession& operator=(const SharedSession&) = delete;  ///<one session per dial

  /// The dial's resume().
  Result<void> resume(const ResumeInput& input) override { return dial_->resume(input); }
  /// The dial's hangup().
  void hangup() override { dial_->hangup(); }
  /// The dial's status().
  [[nodiscard]] SessionStatus status() const override { return dial_->status(); }

 private:
  std::shared_ptr<Dial> dial_;
};

/// Starts the thread of a dial that has one of its own (pppd's and RAS's; the mock's and the
/// template's run on the Scheduler instead): it runs `dial->run()`, holding the dial until run()
/// returns. An exception that escapes run() (out of memory, a bug) first lets the dial
/// `abandon()` its native connection (stop it, report nothing more), then reaches `failed` as a
/// BackendThread's does, which ends the connection with backend_failed instead of the user's
/// process. `name` says which thread in that failure's text.
template <class Dial>
[[nodiscard]] BackendThread start_dial_thread(std::shared_ptr<Dial> dial, BackendFailure failed, std::string name) {
  return BackendThread(std::move(failed), std::move(name), [dial = std::move(dial)] {
    try {
      dial->run();
    } catch (...) {
      dial->abandon();
      throw;
    }
  });
}

}  // namespace dialkit::plugin
