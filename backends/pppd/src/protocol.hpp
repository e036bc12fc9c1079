// Wire protocol v1 between dialkit's pppd-side plugin and the backend (README.md, "Wire
// protocol"). The plugin writes lines; this parser takes raw bytes in any chunking and yields
// messages, refusing anything malformed, oversized, truncated or out of order with an error
// that says what and where. It never throws and never reads past its buffer (fuzzable).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <dialkit/error.hpp>

namespace dialkit::pppd {

inline constexpr int protocol_version = 1;
inline constexpr std::size_t max_line = 512;  // newline included

struct HelloMsg {
  int version = 0;
  std::int64_t pid = 0;
  std::string pppd_version;
};
struct PhaseMsg {
  int phase = 0;
};
struct AuthUpMsg {};
struct LinkDownMsg {};
struct UpMsg {
  bool ipv6 = false;
  std::string interface;
  std::string local;
  std::string remote;
};
struct DownMsg {
  bool ipv6 = false;
};
struct ExitMsg {
  int status = 0;
};
struct SecretRequestMsg {
  std::uint32_t id = 0;
  std::string kind;  // "pap" or "chap"
  std::string user;  // decoded
};
using Message = std::variant<HelloMsg, PhaseMsg, AuthUpMsg, LinkDownMsg, UpMsg, DownMsg, ExitMsg,
                             SecretRequestMsg>;

[[nodiscard]] std::string_view message_name(const Message&) noexcept;

// What one Parser::feed() gives: the messages its bytes completed, in order, and the error
// that stopped it, if any. The well-formed lines before a malformed one in the same bytes are
// in `messages`: the backend maps them first, then the error ends the dial (DESIGN.md
// section 4).
struct Feed {
  std::vector<Message> messages;
  std::optional<Error> error;
};

// Stateful: hello first and once, nothing after EXIT, secret ids increasing. After the first
// error it stays failed (the channel cannot be trusted any more): later feeds return no
// messages and that same error.
class Parser {
 public:
  // Appends bytes; returns the messages completed by them up to the first error, and it.
  Feed feed(std::string_view bytes);
  // End of input: an unfinished line is an error (truncated).
  Result<void> finish();
  [[nodiscard]] bool hello_seen() const noexcept { return hello_seen_; }
  [[nodiscard]] bool exit_seen() const noexcept { return exit_seen_; }
  [[nodiscard]] std::size_t lines() const noexcept { return lines_; }

 private:
  Result<Message> parse_line(std::string_view line);
  Result<void> check_order(const Message& m);
  Error error(std::string detail);

  std::string pending_;
  std::optional<Error> failed_;
  bool hello_seen_ = false;
  bool exit_seen_ = false;
  std::uint32_t last_secret_id_ = 0;
  std::size_t lines_ = 0;
};

// The backend's replies (one line each, newline included). The password travels hex-encoded.
[[nodiscard]] std::string secret_reply(std::uint32_t id, std::string_view password);
[[nodiscard]] std::string no_secret_reply(std::uint32_t id);

[[nodiscard]] std::string hex_encode(std::string_view bytes);
[[nodiscard]] std::optional<std::string> hex_decode(std::string_view hex);

}  // namespace dialkit::pppd
