// The pppd state machine: see mapper.hpp for the decisions.
#include "mapper.hpp"

#include <algorithm>
#include <cstring>

namespace dialkit::pppd {
namespace {

NativeReport report_of(State s, std::int64_t code, std::string_view name) {
  return {.state = s, .native_code = code, .native_name = std::string(name)};
}

NativeReport notifier_report(Notifier n) { return plugin::native_report(notifier_table, n, State::disconnecting); }

// The last non-empty lines of pppd's output, joined, for an error's detail.
std::string tail_text(std::string_view tail) {
  std::string out;
  std::size_t pos = 0;
  while (pos < tail.size()) {
    auto nl = tail.find('\n', pos);
    if (nl == std::string_view::npos) nl = tail.size();
    auto line = tail.substr(pos, nl - pos);
    pos = nl + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.starts_with("Plugin ")) continue;
    if (!out.empty()) out += " | ";
    out += line;
  }
  return out;
}

}  // namespace

std::string signal_name(int sig) {
  if (const char* abbrev = sigabbrev_np(sig)) return std::string("SIG") + abbrev;
  return "signal " + std::to_string(sig);
}

std::string exit_name(int code) {
  if (const auto* e = find_exit(code)) return std::string(e->name);
  return "EXIT_" + std::to_string(code);
}

std::vector<NativeReport> Mapper::spawned() {
  teardown_ = false;
  highest_ = -1;
  saw_establish_ = saw_authenticate_ = saw_auth_up_ = saw_after_auth_ = saw_network_ = saw_running_ =
      saw_terminate_ = false;
  paused_ = false;
  protocol_error_.reset();
  exit_notified_.reset();
  link_ = {};
  return {plugin::native_report(phase_table, phase_initialize, State::opening_port)};
}

NativeReport Mapper::phase_report(const NativeMapping<int>& info) {
  const int phase = info.native;
  NativeReport r = report_of(*info.state, phase, info.name);
  const bool up_phase = phase >= phase_establish && phase <= phase_running;
  if (info.state == State::disconnecting) teardown_ = true;  // TERMINATE, DISCONNECT, HOLDOFF
  if (up_phase && phase < highest_) teardown_ = true;  // going back down is teardown
  if (phase == phase_serialconn && highest_ >= phase_establish) teardown_ = true;
  if (teardown_ || connected_) {
    r.state = State::disconnecting;
    teardown_ = true;
  }
  if (up_phase && !teardown_) highest_ = std::max(highest_, phase);
  return r;
}

std::vector<NativeReport> Mapper::on_message(const Message& m) {
  std::vector<NativeReport> out;
  if (auto* p = std::get_if<PhaseMsg>(&m)) {
    const int phase = p->phase;
    if (phase == phase_terminate) saw_terminate_ = true;
    if (!teardown_ && !connected_) {
      if (phase == phase_establish) saw_establish_ = true;
      if (phase == phase_authenticate) saw_authenticate_ = true;
      if (phase == phase_callback || phase == phase_network || phase == phase_running) saw_after_auth_ = true;
      if (phase == phase_network || phase == phase_running) saw_network_ = true;
      if (phase == phase_running) saw_running_ = true;
    }
    if (phase == phase_dead) return out;  // the exit status ends the dial, not DEAD
    const auto* known = find_phase(phase);
    if (known == nullptr) return out;  // the parser admits 0..12 only; never map an unknown one
    auto r = phase_report(*known);
    if (r.state == State::disconnecting && pause_pending()) return out;
    if (r.state == State::connected) connected_ = true;  // PHASE_MASTER
    out.push_back(std::move(r));
  } else if (std::holds_alternative<AuthUpMsg>(m)) {
    if (!teardown_ && !connected_) {
      saw_auth_up_ = true;
      out.push_back(notifier_report(Notifier::auth_up));
    }
  } else if (auto* up = std::get_if<UpMsg>(&m)) {
    if (teardown_) return out;  // an NCP coming up during teardown connects nothing
    link_.interface = up->interface;
    link_.addresses.push_back("local " + up->local);
    link_.addresses.push_back("remote " + up->remote);
    if (!connected_) {
      connected_ = true;
      auto r = notifier_report(up->ipv6 ? Notifier::ipv6_up : Notifier::ip_up);
      r.reason = "interface " + up->interface + ", local " + up->local + ", remote " + up->remote;
      out.push_back(std::move(r));
    }
  } else if (auto* down = std::get_if<DownMsg>(&m)) {
    if (connected_) {
      teardown_ = true;
      out.push_back(notifier_report(down->ipv6 ? Notifier::ipv6_down : Notifier::ip_down));
    }
  } else if (std::holds_alternative<LinkDownMsg>(m)) {
    if ((saw_establish_ || connected_) && !pause_pending()) {
      teardown_ = true;
      out.push_back(notifier_report(Notifier::link_down));
    }
  } else if (auto* ex = std::get_if<ExitMsg>(&m)) {
    exit_notified_ = ex->status;
  }
  // HelloMsg is checked by the session, SecretRequestMsg answered by it: neither is mapped.
  return out;
}

bool Mapper::authentication_rejected() const noexcept {
  return saw_authenticate_ && !saw_auth_up_ && !saw_after_auth_;
}

bool Mapper::pause_pending() const noexcept {
  return handle_paused_ && authentication_rejected() && !connected_ && !local_hangup_ && !protocol_error_;
}

std::vector<NativeReport> Mapper::local_hangup() {
  if (local_hangup_) return {};
  local_hangup_ = true;
  teardown_ = true;
  NativeReport r = report_of(State::disconnecting, native_local_hangup, native_local_hangup_name);
  r.reason = "local hang-up";
  return {r};
}

void Mapper::protocol_failed(Error e) {
  if (!protocol_error_) protocol_error_ = std::move(e);
}

Error Mapper::decide_error(const ProcessEnd& end, std::string_view output_tail) const {
  const std::string output = tail_text(output_tail);
  auto with_output = [&](std::string detail) {
    if (!output.empty()) detail += ": " + output;
    return detail;
  };
  if (protocol_error_)
    return make_error(protocol_error_->code, native_protocol_error, std::string(native_protocol_error_name),
                      protocol_error_->detail);
  if (end.how == ProcessEnd::How::signaled)
    return make_error(Errc::system_error, -end.code, signal_name(end.code),
                      "pppd was killed by " + signal_name(end.code) +
                          (connected_ ? " while connected" : " while dialing"));
  if (end.how == ProcessEnd::How::unknown) {
    Error e = make_error(Errc::system_error, "pppd's exit status could not be read");
    if (exit_notified_) e = make_error(e.code, *exit_notified_, exit_name(*exit_notified_), e.detail);
    return e;
  }
  const int code = end.code;
  const auto* info = find_exit(code);
  Error e = make_error(Errc::unknown, code, exit_name(code), "");
  const std::string meaning = info ? std::string(info->note) : "unknown exit code";
  // "pppd exit 16: the modem or pty hung up": the code stays beside the sequence's verdict.
  const std::string exit_said = "pppd exit " + std::to_string(code) + ": " + meaning;
  // The sequence decides first, for every exit code (DESIGN.md section 4).
  if (connected_) {
    if (!saw_terminate_) {
      // pppd did not start the teardown: the peer did (or the line dropped under it).
      e.code = Errc::peer_hung_up;
      e.detail = "the peer hung up (" + exit_said + ")";
    } else if (std::ranges::find(pppd_ended_link_codes, code) != pppd_ended_link_codes.end()) {
      // pppd ended the link itself: the code says why.
      e.code = info->code;
      e.detail = meaning;
    } else {
      e.code = Errc::link_dropped;
      e.detail = "pppd ended the link (" + exit_said + ")";
    }
    return e;
  }
  if (authentication_rejected()) {
    e.code = code == 11 ? Errc::peer_authentication_failed : Errc::authentication_failed;
    e.detail = code == 11 ? "the peer failed to authenticate itself"
                          : "the peer rejected our user name or password";
    return e;
  }
  if (saw_establish_) {
    e.code = Errc::negotiation_failed;
    if (saw_after_auth_ && !saw_network_)
      e.detail = "authentication passed, then the peer negotiated a callback, which pppd does not wait for (" +
                 exit_said + ")";
    else if (saw_running_)
      e.detail = std::string(saw_authenticate_ ? "authentication passed and " : "") +
                 "a network protocol came up, but the link ended before the interface was up (" + exit_said + ")";
    else if (saw_authenticate_ || saw_network_)
      e.detail = std::string(saw_authenticate_ ? "authentication passed, but " : "") +
                 "no network protocol (IPCP, IPv6CP) came up before the link ended (" + exit_said + ")";
    else
      e.detail = "LCP negotiation did not complete (" + exit_said + ")";
    return e;
  }
  // The sequence never reached ESTABLISH (an early exit, the connect script or pty command
  // failed): only the exit code can tell.
  if (info && info->end == NativeEnd::failure) {
    e.code = info->code;
    e.detail = with_output("pppd exited " + std::to_string(code) + " (" + meaning + ")");
  } else if (info) {
    e.code = info->code;  // a clean end before the link came up (connect_failed)
    e.detail = with_output("pppd exited " + std::to_string(code) + " before the link came up");
  } else {
    e.code = Errc::unknown;
    e.detail = with_output("pppd exited with unknown code " + std::to_string(code));
  }
  return e;
}

std::vector<NativeReport> Mapper::process_ended(ProcessEnd end, std::string_view output_tail) {
  if (local_hangup_) return {};  // core reports `disconnected` with "local hang-up"
  // A clean exit after `connected` that someone else asked for (SIGTERM from `poff`): pppd
  // started the teardown (TERMINATE) and exited 5 or 0.
  const auto* info = find_exit(end.code);
  if (connected_ && !protocol_error_ && end.how == ProcessEnd::How::exited && saw_terminate_ && info &&
      info->end == NativeEnd::clean) {
    NativeReport r = report_of(State::disconnected, end.code, exit_name(end.code));
    r.reason = "hung up outside dialkit (pppd exit " + std::to_string(end.code) + ")";
    return {r};
  }
  Error e = decide_error(end, output_tail);
  const std::int64_t native = e.native_code.value_or(0);
  const std::string native_name = e.native_text;
  if (e.code == Errc::authentication_failed && handle_paused_ && end.how == ProcessEnd::How::exited) {
    paused_ = true;
    NativeReport r = report_of(State::retry_authentication, native, native_name);
    r.reason = e.detail;
    return {r};
  }
  NativeReport r = report_of(State::disconnected, native, native_name);
  if (e.code == Errc::peer_hung_up && connected_) r.reason = "peer hung up";
  r.error = std::move(e);
  return {r};
}

}  // namespace dialkit::pppd
