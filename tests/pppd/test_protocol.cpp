// The plugin channel parser: good input in any chunking; malformed, truncated, oversized and
// out-of-order input gives a clear protocol_error and never a crash.
#include <catch2/catch.hpp>

#include <random>

#include "protocol.hpp"

using namespace dialkit;
using namespace dialkit::pppd;

namespace {
const std::string good =
    "DKPPP 1 4242 2.4.9\n"
    "PHASE 2\nPHASE 4\nPHASE 5\n"
    "SECRET? 1 chap 636c69656e74\n"
    "AUTH_UP\nPHASE 7\nPHASE 8\n"
    "IP_UP ppp0 192.0.2.2 192.0.2.1\n"
    "IPV6_UP ppp0 fe80::1 fe80::2\n"
    "PHASE 9\nIP_DOWN\nIPV6_DOWN\nLINK_DOWN\nPHASE 10\nPHASE 0\nEXIT 5\n";

Error first_error(std::string_view input) {
  Parser p;
  auto r = p.feed(input);
  if (r.error) return *r.error;
  auto f = p.finish();
  if (!f) return f.error();
  FAIL("no error for: " << input);
  return {};
}
}  // namespace

TEST_CASE("a whole recorded session parses, in one piece or a byte at a time", "[pppd][protocol]") {
  Parser whole;
  const auto fed = whole.feed(good);
  REQUIRE_FALSE(fed.error);
  REQUIRE(whole.finish());
  const auto* all = &fed.messages;
  REQUIRE(all->size() == 17);
  const auto& hello = std::get<HelloMsg>((*all)[0]);
  CHECK(hello.version == 1);
  CHECK(hello.pid == 4242);
  CHECK(hello.pppd_version == "2.4.9");
  const auto& req = std::get<SecretRequestMsg>((*all)[4]);
  CHECK(req.id == 1);
  CHECK(req.kind == "chap");
  CHECK(req.user == "client");
  const auto& up = std::get<UpMsg>((*all)[8]);
  CHECK_FALSE(up.ipv6);
  CHECK(up.interface == "ppp0");
  CHECK(up.local == "192.0.2.2");
  CHECK(std::get<UpMsg>((*all)[9]).ipv6);
  CHECK(std::get<ExitMsg>(all->back()).status == 5);
  CHECK(whole.exit_seen());

  Parser bytewise;
  std::size_t count = 0;
  for (char c : good) {
    auto r = bytewise.feed(std::string_view(&c, 1));
    REQUIRE_FALSE(r.error);
    count += r.messages.size();
  }
  CHECK(count == all->size());
  CHECK(bytewise.finish());
}

TEST_CASE("malformed lines are refused with a clear error", "[pppd][protocol]") {
  const char* cases[][2] = {
      {"DKPPP 1 1 2.4.9\nPHASE 13\n", "phase out of range"},
      {"DKPPP 1 1 2.4.9\nPHASE -1\n", "phase out of range"},
      {"DKPPP 1 1 2.4.9\nPHASE\n", "PHASE needs one number"},
      {"DKPPP 1 1 2.4.9\nPHASE 2 3\n", "PHASE needs one number"},
      {"DKPPP 1 1 2.4.9\nPHASE 0x2\n", "phase out of range"},
      {"DKPPP 1 1 2.4.9\nPHASE  2\n", "empty field"},
      {"DKPPP 1 1 2.4.9\nBOGUS\n", "unknown message"},
      {"DKPPP 1 1 2.4.9\n\n", "empty line"},
      {"DKPPP 1 1 2.4.9\nPHASE 2\r\n", "non-printable"},
      {"DKPPP 1 1 2.4.9\nAUTH_UP now\n", "takes no fields"},
      {"DKPPP 1 1 2.4.9\nIP_UP ppp0 1.2.3.4\n", "needs interface"},
      {"DKPPP 1 1 2.4.9\nEXIT 256\n", "out of range"},
      {"DKPPP 1 1 2.4.9\nSECRET? 1 ntlm 00\n", "unknown secret kind"},
      {"DKPPP 1 1 2.4.9\nSECRET? 1 pap zz\n", "not hex"},
      {"DKPPP 1 1 2.4.9\nSECRET? 0 pap 00\n", "bad secret request id"},
      {"DKPPP 2 1 2.4.9\n", "protocol version 2 is not supported"},
      {"DKPPP 1 0 2.4.9\n", "bad hello fields"},
      {"DKPPP 1\n", "hello needs"},
  };
  for (const auto& c : cases) {
    INFO(c[0]);
    const Error e = first_error(c[0]);
    CHECK(e.code == Errc::protocol_error);
    CHECK_THAT(e.detail, Catch::Contains(c[1]));
    CHECK_THAT(e.detail, Catch::Contains("line "));
  }
  // An embedded NUL byte is caught as non-printable.
  const Error nul = first_error(std::string("DKPPP 1 1 2.4.9\nPHASE 2\0\n", 25));
  CHECK_THAT(nul.detail, Catch::Contains("non-printable"));
}

TEST_CASE("out-of-order messages are refused", "[pppd][protocol]") {
  CHECK_THAT(first_error("PHASE 2\n").detail, Catch::Contains("before the hello"));
  CHECK_THAT(first_error("DKPPP 1 1 2.4.9\nDKPPP 1 1 2.4.9\n").detail, Catch::Contains("second hello"));
  CHECK_THAT(first_error("DKPPP 1 1 2.4.9\nEXIT 5\nPHASE 0\n").detail, Catch::Contains("after EXIT"));
  CHECK_THAT(first_error("DKPPP 1 1 2.4.9\nSECRET? 2 pap 00\nSECRET? 2 pap 00\n").detail,
             Catch::Contains("is not after"));
}

TEST_CASE("truncated and oversized input is refused", "[pppd][protocol]") {
  CHECK_THAT(first_error("DKPPP 1 1 2.4.9\nPHASE 2").detail, Catch::Contains("truncated"));
  const std::string huge = "DKPPP 1 1 2.4.9\nPHASE " + std::string(600, '2') + "\n";
  CHECK_THAT(first_error(huge).detail, Catch::Contains("longer than 511"));
  // A line of exactly the limit is read whole and judged on its content.
  Parser p;
  auto at_limit = p.feed("DKPPP 1 1 " + std::string(501, 'v') + "\n");
  REQUIRE(at_limit.error);
  CHECK_THAT(at_limit.error->detail, Catch::Contains("bad hello fields"));
}

TEST_CASE("the good lines before a malformed one in the same bytes are returned with the error",
          "[pppd][protocol]") {
  // One read carrying the way up and then a bad line: the messages before it are kept.
  Parser p;
  const auto fed = p.feed("DKPPP 1 7 2.4.9\nPHASE 2\nAUTH_UP\nIP_UP ppp0 192.0.2.2 192.0.2.1\nPHASE 99\nPHASE 9\n");
  REQUIRE(fed.error);
  CHECK(fed.error->code == Errc::protocol_error);
  CHECK_THAT(fed.error->detail, Catch::Contains("line 5"));
  REQUIRE(fed.messages.size() == 4);
  CHECK(std::holds_alternative<HelloMsg>(fed.messages[0]));
  CHECK(std::get<PhaseMsg>(fed.messages[1]).phase == 2);
  CHECK(std::holds_alternative<AuthUpMsg>(fed.messages[2]));
  CHECK(std::get<UpMsg>(fed.messages[3]).interface == "ppp0");
  // An order error and an oversized line keep what came before them too.
  Parser order;
  const auto twice = order.feed("DKPPP 1 7 2.4.9\nPHASE 2\nDKPPP 1 7 2.4.9\n");
  REQUIRE(twice.error);
  CHECK(twice.messages.size() == 2);
  Parser longer;
  const auto huge = longer.feed("DKPPP 1 7 2.4.9\nPHASE 4\nPHASE " + std::string(600, '4'));
  REQUIRE(huge.error);
  CHECK(huge.messages.size() == 2);
}

TEST_CASE("after an error the parser stays failed", "[pppd][protocol]") {
  Parser p;
  REQUIRE(p.feed("PHASE 2\n").error);
  auto again = p.feed("DKPPP 1 1 2.4.9\n");
  REQUIRE(again.error);
  CHECK(again.messages.empty());
  CHECK_THAT(again.error->detail, Catch::Contains("before the hello"));
  CHECK_FALSE(p.finish());
}

TEST_CASE("random bytes never crash the parser", "[pppd][protocol]") {
  std::mt19937 rng(20240611);
  const std::string alphabet = "DKP 0123456789\nHASEXITUP_?-.:abcdef\r\x01\xff";
  for (int round = 0; round < 3000; ++round) {
    Parser p;
    std::string input = round % 2 ? "DKPPP 1 7 2.4.9\n" : "";
    const auto len = rng() % 200;
    for (unsigned i = 0; i < len; ++i) input += alphabet[rng() % alphabet.size()];
    // Mutations of a good session too.
    if (round % 3 == 0) {
      input = good;
      input[rng() % input.size()] = alphabet[rng() % alphabet.size()];
    }
    auto r = p.feed(input);
    if (r.error) CHECK(r.error->code == Errc::protocol_error);
    auto f = p.finish();
    if (!f) CHECK(f.error().code == Errc::protocol_error);
  }
}

TEST_CASE("secrets travel hex-encoded and come back intact", "[pppd][protocol]") {
  const std::string pw = std::string("p a\ns\xff\x01") + "word";
  const auto reply = secret_reply(3, pw);
  CHECK(reply.starts_with("SECRET 3 "));
  CHECK(reply.back() == '\n');
  CHECK(reply.find(' ', 9) == std::string::npos);
  CHECK(hex_decode(reply.substr(9, reply.size() - 10)) == pw);
  CHECK(no_secret_reply(4) == "NOSECRET 4\n");
  CHECK_FALSE(hex_decode("abc"));
  CHECK_FALSE(hex_decode("zz"));
  CHECK_FALSE(hex_decode("AB"));  // the plugin writes lower case only
}
