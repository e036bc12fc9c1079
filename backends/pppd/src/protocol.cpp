// Wire protocol v1 parser: see protocol.hpp.
#include "protocol.hpp"

#include "mapping.hpp"

#include <algorithm>
#include <charconv>

#include <dialkit/secret.hpp>

namespace dialkit::pppd {
namespace {

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < line.size()) {
    const auto sp = line.find(' ', pos);
    const auto end = sp == std::string_view::npos ? line.size() : sp;
    out.push_back(line.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

template <class T>
std::optional<T> number(std::string_view text, T min, T max) {
  T v{};
  if (text.empty() || text.size() > 20) return std::nullopt;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || p != text.data() + text.size() || v < min || v > max) return std::nullopt;
  return v;
}

// Interface names and addresses: plain printable tokens of sane length.
bool is_token(std::string_view t) {
  return !t.empty() && t.size() <= 64 && std::ranges::all_of(t, [](char c) { return c > ' ' && c < 127; });
}

std::string quoted(std::string_view line) {
  constexpr std::size_t shown = 60;
  std::string out = "\"";
  for (char c : line.substr(0, shown)) out += (c >= ' ' && c < 127) ? c : '?';
  if (line.size() > shown) out += "...";
  return out + "\"";
}

}  // namespace

std::string_view message_name(const Message& m) noexcept {
  constexpr std::string_view names[] = {"DKPPP", "PHASE", "AUTH_UP", "LINK_DOWN", "IP_UP",
                                        "IP_DOWN", "EXIT", "SECRET?"};
  return names[m.index()];
}

Error Parser::error(std::string detail) {
  Error e = make_error(Errc::protocol_error, native_protocol_error, std::string(native_protocol_error_name),
                       "pppd plugin channel, line " + std::to_string(lines_) + ": " + std::move(detail));
  failed_ = e;
  return e;
}

Feed Parser::feed(std::string_view bytes) {
  Feed out;
  if (failed_) {
    out.error = failed_;
    return out;
  }
  for (char c : bytes) {
    if (c != '\n') {
      if (pending_.size() + 1 >= max_line) {
        out.error = error("line longer than " + std::to_string(max_line - 1) + " bytes: " + quoted(pending_));
        return out;
      }
      pending_ += c;
      continue;
    }
    ++lines_;
    auto m = parse_line(pending_);
    secure_wipe(pending_);
    pending_.clear();
    if (!m) {
      out.error = failed_;
      return out;
    }
    if (auto ok = check_order(*m); !ok) {
      out.error = ok.error();
      return out;
    }
    out.messages.push_back(std::move(*m));
  }
  return out;
}

Result<void> Parser::finish() {
  if (failed_) return fail(*failed_);
  if (!pending_.empty()) {
    ++lines_;
    return fail(error("truncated: the channel ended inside a line " + quoted(pending_)));
  }
  return {};
}

Result<Message> Parser::parse_line(std::string_view line) {
  for (char c : line)
    if (c < ' ' || c >= 127) return fail(error("non-printable byte in " + quoted(line)));
  if (line.empty()) return fail(error("empty line"));
  const auto f = split(line);
  for (auto part : f)
    if (part.empty()) return fail(error("empty field (double space) in " + quoted(line)));
  const auto verb = f[0];
  auto want = [&](std::size_t n) -> bool { return f.size() == n; };
  auto bad = [&](std::string_view why) { return fail(error(std::string(why) + ": " + quoted(line))); };

  if (verb == "DKPPP") {
    if (!want(4)) return bad("hello needs version, pid and pppd version");
    auto v = number<int>(f[1], 0, 1000);
    if (!v) return bad("bad protocol version");
    if (*v != protocol_version)
      return bad("protocol version " + std::to_string(*v) + " is not supported (this backend speaks " +
                 std::to_string(protocol_version) + ")");
    auto pid = number<std::int64_t>(f[2], 1, 4'194'304);
    if (!pid || !is_token(f[3])) return bad("bad hello fields");
    return Message{HelloMsg{*v, *pid, std::string(f[3])}};
  }
  if (verb == "PHASE") {
    if (!want(2)) return bad("PHASE needs one number");
    auto p = number<int>(f[1], 0, 12);
    if (!p) return bad("phase out of range 0..12");
    return Message{PhaseMsg{*p}};
  }
  if (verb == "AUTH_UP") return want(1) ? Result<Message>(Message{AuthUpMsg{}}) : bad("AUTH_UP takes no fields");
  if (verb == "LINK_DOWN") return want(1) ? Result<Message>(Message{LinkDownMsg{}}) : bad("LINK_DOWN takes no fields");
  if (verb == "IP_DOWN" || verb == "IPV6_DOWN") {
    if (!want(1)) return bad("takes no fields");
    return Message{DownMsg{verb == "IPV6_DOWN"}};
  }
  if (verb == "IP_UP" || verb == "IPV6_UP") {
    if (!want(4) || !is_token(f[1]) || !is_token(f[2]) || !is_token(f[3]))
      return bad("needs interface, local and remote address");
    return Message{UpMsg{verb == "IPV6_UP", std::string(f[1]), std::string(f[2]), std::string(f[3])}};
  }
  if (verb == "EXIT") {
    if (!want(2)) return bad("EXIT needs one number");
    auto s = number<int>(f[1], 0, 255);
    if (!s) return bad("exit status out of range 0..255");
    return Message{ExitMsg{*s}};
  }
  if (verb == "SECRET?") {
    if (!want(4)) return bad("SECRET? needs id, kind and user");
    auto id = number<std::uint32_t>(f[1], 1, 1'000'000);
    if (!id) return bad("bad secret request id");
    if (f[2] != "pap" && f[2] != "chap") return bad("unknown secret kind");
    std::string user;
    if (f[3] != "-") {
      auto decoded = hex_decode(f[3]);
      if (!decoded) return bad("user is not hex");
      user = std::move(*decoded);
    }
    return Message{SecretRequestMsg{*id, std::string(f[2]), std::move(user)}};
  }
  return bad("unknown message");
}

Result<void> Parser::check_order(const Message& m) {
  const bool is_hello = std::holds_alternative<HelloMsg>(m);
  if (!hello_seen_ && !is_hello)
    return fail(error(std::string(message_name(m)) + " before the hello line"));
  if (hello_seen_ && is_hello) return fail(error("a second hello line"));
  if (exit_seen_) return fail(error(std::string(message_name(m)) + " after EXIT"));
  if (auto* r = std::get_if<SecretRequestMsg>(&m)) {
    if (r->id <= last_secret_id_)
      return fail(error("secret request id " + std::to_string(r->id) + " is not after " +
                        std::to_string(last_secret_id_)));
    last_secret_id_ = r->id;
  }
  hello_seen_ = hello_seen_ || is_hello;
  exit_seen_ = std::holds_alternative<ExitMsg>(m);
  return {};
}

std::string hex_encode(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::optional<std::string> hex_decode(std::string_view hex) {
  if (hex.size() % 2 != 0 || hex.size() > 2 * 256) return std::nullopt;
  auto value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = value(hex[i]), lo = value(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(static_cast<unsigned char>(hi * 16 + lo));
  }
  return out;
}

std::string secret_reply(std::uint32_t id, std::string_view password) {
  return "SECRET " + std::to_string(id) + " " + hex_encode(password) + "\n";
}

std::string no_secret_reply(std::uint32_t id) { return "NOSECRET " + std::to_string(id) + "\n"; }

}  // namespace dialkit::pppd
