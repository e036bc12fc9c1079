// Helpers of the backend contract: resume input kinds and diagnostics names.
#include <dialkit/backend.hpp>

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
  }
  return "unknown";
}

}  // namespace dialkit
