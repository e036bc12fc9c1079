// Fuzzes the pppd-plugin wire protocol parser, dialkit::pppd::Parser (bytes that arrive from
// pppd's side of the channel), in random chunkings. The first byte says how many of the next
// bytes are chunk sizes; the rest is the channel's byte stream. The stream is fed once whole
// and once in those chunks (cycling through the sizes; a zero size feeds an empty chunk, then
// one byte; no sizes: byte by byte): the
// outcome (the messages, the first error and finish()) must not depend on the chunking. The
// messages before the first error are returned with it, so they too are the same.
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol.hpp"

#include "fuzz_support.hpp"

namespace {

using namespace dialkit::pppd;

std::string describe(const Message& m) {
  std::string out(message_name(m));
  if (const auto* h = std::get_if<HelloMsg>(&m))
    out += " " + std::to_string(h->version) + " " + std::to_string(h->pid) + " " + h->pppd_version;
  else if (const auto* p = std::get_if<PhaseMsg>(&m))
    out += " " + std::to_string(p->phase);
  else if (const auto* u = std::get_if<UpMsg>(&m))
    out += std::string(u->ipv6 ? " v6 " : " v4 ") + u->interface + " " + u->local + " " + u->remote;
  else if (const auto* d = std::get_if<DownMsg>(&m))
    out += d->ipv6 ? " v6" : " v4";
  else if (const auto* e = std::get_if<ExitMsg>(&m))
    out += " " + std::to_string(e->status);
  else if (const auto* s = std::get_if<SecretRequestMsg>(&m))
    out += " " + std::to_string(s->id) + " " + s->kind + " " + hex_encode(s->user);
  return out;
}

struct Outcome {
  std::vector<std::string> messages;  // everything the feeds returned, in order
  std::optional<dialkit::Error> error;  // the first error of feed or finish
  bool feed_failed = false;  // the error came from feed, not finish
  bool hello = false, exit = false;
  std::size_t lines = 0;
};

template <class Feed>
Outcome run(Feed&& feed_all) {
  Parser parser;
  Outcome out;
  feed_all([&](std::string_view chunk) {
    auto got = parser.feed(chunk);
    dialkit::fuzz::require(!out.error || got.messages.empty(), "a failed parser returns no more messages");
    for (const auto& m : got.messages) out.messages.push_back(describe(m));
    if (got.error) {
      dialkit::fuzz::require(!out.error || *got.error == *out.error, "a failed parser repeats its first error");
      if (!out.error) out.error = got.error;
      out.feed_failed = true;
      return;
    }
    dialkit::fuzz::require(!out.error, "feed succeeds after an error");
  });
  if (auto done = parser.finish(); !done && !out.error) out.error = done.error();
  // A failed parser stays failed.
  if (out.error) {
    auto again = parser.feed("PHASE 1\n");
    dialkit::fuzz::require(again.error && *again.error == *out.error && again.messages.empty(),
                           "a failed parser repeats its first error");
  }
  out.hello = parser.hello_seen();
  out.exit = parser.exit_seen();
  out.lines = parser.lines();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using dialkit::fuzz::require;
  dialkit::fuzz::Bytes in(data, size);
  std::vector<std::size_t> sizes;
  for (std::size_t n = in.byte() % 16; n > 0 && !in.empty(); --n) sizes.push_back(in.byte());
  const std::string_view stream = in.rest();

  const Outcome whole = run([&](auto&& feed) { feed(stream); });
  const Outcome chunked = run([&](auto&& feed) {
    if (sizes.empty()) {
      for (char c : stream) feed(std::string_view(&c, 1));
      return;
    }
    std::size_t pos = 0;
    for (std::size_t i = 0; pos < stream.size(); ++i) {
      std::size_t n = sizes[i % sizes.size()];
      if (n == 0) {  // an empty feed, then one byte (so that all-zero sizes end)
        feed(std::string_view{});
        n = 1;
      }
      n = std::min(n, stream.size() - pos);
      feed(stream.substr(pos, n));
      pos += n;
    }
  });

  require(whole.error == chunked.error && whole.feed_failed == chunked.feed_failed,
          "the first error does not depend on the chunking");
  require(whole.hello == chunked.hello && whole.exit == chunked.exit && whole.lines == chunked.lines,
          "the parser's state does not depend on the chunking");
  // Every well-formed line before the first error was returned, however the bytes were split.
  require(whole.messages == chunked.messages, "the messages do not depend on the chunking");
  if (whole.error) require(whole.error->code == dialkit::Errc::protocol_error, "a refused channel is protocol_error");
  return 0;
}
