// Helpers of the backend contract: resume input kinds, diagnostics names, guarded backend
// threads.
#include <dialkit/backend.hpp>

#include <exception>

namespace dialkit {

std::string_view resume_input_name(const ResumeInput& input) noexcept {
  switch (input.index()) {
    case 0: return "credentials";
    case 1: return "callback_number";
    case 2: return "new_password";
    case 3: return "eap_input";
    case 4: return "terminal_done";
    default: return "unknown";
  }
}

std::string_view accepted_input(State paused) noexcept {
  switch (paused) {
    case State::retry_authentication: return "credentials";
    case State::callback_set_by_caller: return "callback_number";
    case State::password_expired: return "new_password";
    case State::invoke_eap_ui: return "eap_input";
    case State::interactive: return "terminal_done";
    default: return {};
  }
}

std::string_view diagnostic_kind_name(Diagnostic::Kind kind) noexcept {
  switch (kind) {
    case Diagnostic::Kind::illegal_transition: return "illegal_transition";
    case Diagnostic::Kind::slot_exception: return "slot_exception";
    case Diagnostic::Kind::late_report: return "late_report";
    case Diagnostic::Kind::backend_error: return "backend_error";
    case Diagnostic::Kind::slow_slot: return "slow_slot";
  }
  return "unknown";
}


BackendThread::BackendThread(BackendFailure failed, std::string name, std::function<void()> body)
    : thread_([failed = std::move(failed), name = std::move(name), body = std::move(body)] {
        run_guarded(failed, name, body);
      }) {}

BackendThread& BackendThread::operator=(BackendThread&& other) noexcept {
  if (this != &other) {
    join();
    thread_ = std::move(other.thread_);
  }
  return *this;
}

// Destroyed from inside its own body (a backend's session dropped by a subscriber that runs on
// the session's thread), the thread cannot join itself: it is let go and ends on its own.
BackendThread::~BackendThread() {
  if (thread_.joinable() && thread_.get_id() == std::this_thread::get_id())
    thread_.detach();
  else
    join();
}

void BackendThread::join() {
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void run_guarded(const BackendFailure& failed, std::string_view name, const std::function<void()>& body) noexcept {
  std::string what;
  try {
    body();
    return;
  } catch (const std::exception& e) {
    what = std::string(name) + " threw: " + e.what();
  } catch (...) {
    what = std::string(name) + " threw a non-standard exception";
  }
  if (!failed) return;
  try {
    failed(what);
  } catch (...) {
    // The report itself failed (out of memory): nothing is left to tell.
  }
}

}  // namespace dialkit
