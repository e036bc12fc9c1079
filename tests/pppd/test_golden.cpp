// Golden files: recorded pppd sequences (golden/*.in) through the real parser and mapper must
// give exactly the shared events in golden/*.out. DIALKIT_UPDATE_GOLDEN=1 rewrites the .out
// files (review the diff before committing it).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "golden_runner.hpp"

namespace fs = std::filesystem;

namespace {
std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("golden pppd sequences give the recorded shared events", "[pppd][golden]") {
  const fs::path dir = fs::path(DIALKIT_TEST_SOURCE_DIR) / "tests/pppd/golden";
  const bool update = std::getenv("DIALKIT_UPDATE_GOLDEN") != nullptr;
  std::size_t files = 0;
  for (const auto& f : fs::directory_iterator(dir)) {
    if (f.path().extension() != ".in") continue;
    ++files;
    auto expected_path = f.path();
    expected_path.replace_extension(".out");
    const auto actual = dialkit::pppd::test::run_golden(slurp(f.path()));
    if (update) {
      std::ofstream(expected_path, std::ios::binary) << actual;
      continue;
    }
    INFO("golden file " << f.path().filename().string());
    REQUIRE(fs::exists(expected_path));
    CHECK(actual == slurp(expected_path));
    CHECK(actual.find("# input error") == std::string::npos);
  }
  CHECK(files >= 10);
}
