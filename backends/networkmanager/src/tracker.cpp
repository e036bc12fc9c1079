// How NetworkManager's device, active-connection and VPN states become one legal life of
// shared states. The device is the finest source for a dial on its own device; the
// active-connection state fills in where there is no device of ours (VPN, device-less), and
// its end reason stands in when the device ends without saying why.
#include "tracker.hpp"

#include "mapping.hpp"

namespace dialkit::nm {

namespace {

constexpr bool idle_device_state(std::uint32_t s) noexcept { return s == 10 || s == 20 || s == 30; }
constexpr bool terminal_device_state(std::uint32_t s) noexcept {
  return idle_device_state(s) || s == 120;
}

// A state from a table; `reported` is false for a value the table lacks or maps to no state.
template <std::size_t N>
plugin::MappedState lookup(const std::array<StateMapping, N>& table, std::uint32_t value) noexcept {
  return plugin::map_state(table, value, State::opening_port);
}

}  // namespace

bool Tracker::allowed(State next) const noexcept {
  if (!last_) return options_.mode == Mode::watch || state_group(next) == StateGroup::running ||
                     next == State::disconnected;
  if (*last_ == State::disconnected) return false;
  if (next == *last_) return true;
  if (next == State::disconnected) return true;
  if (connected_) return next == State::disconnecting;
  if (disconnecting_) return next == State::disconnecting;
  if (is_paused(*last_)) return state_group(next) == StateGroup::running;
  return true;
}

void Tracker::emit(Reports& out, State state, std::int64_t code, std::string name,
                   std::optional<Error> error, std::string reason) {
  if (ended_) return;
  // A repeat with the same native value adds nothing; the device's finer PREPARE after the
  // active connection's ACTIVATING does, and so does a second pause (credentials rejected).
  if (last_ && *last_ == state && last_code_ == code && last_name_ == name && !is_paused(state) && !error) return;
  if (!allowed(state)) return;
  last_ = state;
  last_code_ = code;
  last_name_ = name;
  if (state == State::connected) connected_ = true;
  if (state == State::disconnecting) disconnecting_ = true;
  if (state == State::disconnected) ended_ = released_ = true;
  out.push_back(NativeReport{state, code, std::move(name), std::move(error), std::move(reason), std::nullopt});
}

void Tracker::end(Reports& out, std::int64_t code, std::string name, ReasonEnd how) {
  if (how.error)
    emit(out, State::disconnected, code, std::move(name), std::move(how.error));
  else
    emit(out, State::disconnected, code, std::move(name), std::nullopt, std::move(how.text));
  ended_ = released_ = true;
}

void Tracker::need_auth_report(Reports& out, State state, std::string reason) {
  if (options_.vpn)
    emit(out, state, vpn_need_auth, std::string(vpn_states[vpn_need_auth].name), std::nullopt, std::move(reason));
  else
    emit(out, state, device_need_auth, "NM_DEVICE_STATE_NEED_AUTH", std::nullopt, std::move(reason));
}

Reports Tracker::device_state(std::uint32_t new_state, std::uint32_t /*old_state*/, std::uint32_t reason) {
  Reports out;
  if (options_.vpn) return out;  // the base connection's device, not ours
  if (started_ && terminal_device_state(new_state)) device_terminal_ = true;
  if (ended_) return out;
  if (hanging_up_) {
    if (started_ && terminal_device_state(new_state)) released_ = true;
    return out;
  }
  const auto row = lookup(device_states, new_state);
  if (!row.reported) return out;
  if (!started_) {
    // Until PREPARE the device may still be tearing down what it had before our activation.
    if (terminal_device_state(new_state) || new_state == 110) return out;
    started_ = true;
  }
  if (new_state == device_need_auth && options_.mode == Mode::dial) {
    return out;  // the secret agent decides between answering and pausing
  }
  if (terminal_device_state(new_state)) {
    // A device that ends without saying why leaves the word to the active connection.
    if ((reason == 0 || reason == 1) && active_end_reason_) {
      end(out, new_state, std::string(row.name), active_reason_end(*active_end_reason_, connected_));
    } else {
      end(out, new_state, std::string(row.name), device_reason_end(reason, connected_ && new_state != 120));
    }
    return out;
  }
  emit(out, row.state, new_state, std::string(row.name));
  return out;
}

Reports Tracker::active_state(std::uint32_t state, std::uint32_t reason) {
  Reports out;
  if (ended_) return out;
  if (hanging_up_) {
    if (state == 4) released_ = true;
    return out;
  }
  const auto row = lookup(active_states, state);
  if (!row.reported) return out;
  const std::string name(row.name);
  switch (state) {
    case 1:
      if (!last_) emit(out, State::opening_port, state, name);
      break;
    case 2:
      if (!connected_) emit(out, State::connected, state, name);
      break;
    case 3:
      if (last_) emit(out, State::disconnecting, state, name);
      break;
    case 4:
      if (!options_.vpn && started_ && !device_terminal_) {
        active_end_reason_ = reason;  // the device's own end follows and says more
        break;
      }
      end(out, state, name, active_reason_end(reason, connected_));
      break;
    default:
      break;
  }
  return out;
}

Reports Tracker::vpn_state(std::uint32_t state, std::uint32_t reason) {
  Reports out;
  if (!options_.vpn || ended_) return out;
  if (hanging_up_) {
    if (state == 6 || state == 7) released_ = true;
    return out;
  }
  const auto row = lookup(vpn_states, state);
  if (!row.reported) return out;
  if (state == vpn_need_auth && options_.mode == Mode::dial) return out;  // the agent decides
  if (state == 6 || state == 7) {
    end(out, state, std::string(row.name), active_reason_end(reason, connected_ && state == 7));
    return out;
  }
  emit(out, row.state, state, std::string(row.name));
  return out;
}

Tracker::SecretsAnswer Tracker::secrets_requested(std::uint32_t flags, const std::string& setting,
                                                  Reports& out) {
  if (ended_ || hanging_up_ || options_.mode == Mode::watch) return SecretsAnswer::refuse;
  const bool rejected = credentials_sent_ && (flags & secrets_flag_request_new) != 0;
  if (options_.has_credentials && !rejected) {
    credentials_sent_ = true;
    need_auth_report(out, State::authenticating,
                     "answered NetworkManager's request for '" + setting + "' secrets with the dial's credentials");
    return SecretsAnswer::credentials;
  }
  paused_ = true;
  need_auth_report(out, State::retry_authentication,
                   rejected ? "NetworkManager rejected the credentials and asks again for '" + setting + "' secrets"
                            : "NetworkManager needs '" + setting + "' secrets and the dial has none");
  return SecretsAnswer::pause;
}

Reports Tracker::resumed() {
  Reports out;
  paused_ = false;
  options_.has_credentials = true;
  credentials_sent_ = true;
  need_auth_report(out, State::authenticating, "resumed with new credentials");
  return out;
}

Reports Tracker::active_removed() {
  Reports out;
  if (ended_ || hanging_up_) {
    released_ = true;
    return out;
  }
  if (active_end_reason_) {
    end(out, 4, "NM_ACTIVE_CONNECTION_STATE_DEACTIVATED", active_reason_end(*active_end_reason_, connected_));
  } else {
    end(out, 0, "InterfacesRemoved",
        {Error{Errc::link_dropped, std::nullopt, "InterfacesRemoved",
               "the active connection left NetworkManager without a final state"},
         {}});
  }
  return out;
}

Reports Tracker::service_lost(const std::string& why, const std::string& native) {
  Reports out;
  if (ended_ || hanging_up_) {
    released_ = true;
    return out;
  }
  end(out, 0, native, {Error{Errc::backend_unavailable, std::nullopt, native, why}, {}});
  return out;
}

Reports Tracker::hangup_started() {
  Reports out;
  if (ended_) {
    released_ = true;
    return out;
  }
  if (!disconnecting_) emit(out, State::disconnecting, 0, "DeactivateConnection", std::nullopt, "local hang-up");
  hanging_up_ = true;
  paused_ = false;
  return out;
}

Reports Tracker::adopt(std::uint32_t active, std::optional<std::uint32_t> device) {
  Reports out;
  if (!options_.vpn && device && *device >= 40 && *device <= 110) {
    started_ = true;
    if (const auto row = lookup(device_states, *device); row.reported) {
      emit(out, row.state, *device, std::string(row.name));
      return out;
    }
  }
  if (const auto row = lookup(active_states, active); row.reported && active != 4)
    emit(out, row.state, active, std::string(row.name));
  return out;
}

}  // namespace dialkit::nm
