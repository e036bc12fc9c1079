// The plugin loader against real plugins (DESIGN.md section 6): a good one, and one for each
// way a plugin can be bad. Each test copies the fixtures it needs into a private directory,
// so that the permissions, owners and contents the loader sees are the test's own.
#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include <boost/preprocessor/stringize.hpp>
#include <boost/version.hpp>
#include <catch2/catch.hpp>

#include <dialkit/plugin.hpp>
#include <dialkit/install_dirs.hpp>
#include <dialkit/plugin_loader.hpp>
#include <dialkit/runtime.hpp>

#include "plugin_record.hpp"
#include "skip.hpp"

// A missing prerequisite skips the test case (tests/skip.hpp: counted as skipped by ctest).
#define SKIP_TEST(reason)      \
  do {                         \
    DIALKIT_SKIP(reason);      \
    return;                    \
  } while (false)

namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using dialkit::BackendContext;
using dialkit::BackendFactory;
using dialkit::Capabilities;
using dialkit::DialOption;
using dialkit::Errc;
using dialkit::LoadedPlugin;
using dialkit::PluginScan;
using dialkit::PluginSearchOptions;
using dialkit::Result;
using dialkit::State;

const fs::path good_fixture = DIALKIT_FIXTURE_GOOD;
const fs::path wrong_abi_fixture = DIALKIT_FIXTURE_WRONG_ABI;
const fs::path wrong_key_fixture = DIALKIT_FIXTURE_WRONG_KEY;
const fs::path throws_fixture = DIALKIT_FIXTURE_THROWS;
const fs::path unresolved_fixture = DIALKIT_FIXTURE_UNRESOLVED;
const fs::path unresolved_function_fixture = DIALKIT_FIXTURE_UNRESOLVED_FUNCTION;
const fs::path no_entry_fixture = DIALKIT_FIXTURE_NO_ENTRY;
const fs::path malformed_fixture = DIALKIT_FIXTURE_MALFORMED;
const fs::path text_fixture = DIALKIT_FIXTURE_TEXT;
const fs::path fixture_dir = DIALKIT_FIXTURE_DIR;
fs::path fixture(const std::string& name) { return fixture_dir / ("dialkit-backend-" + name + ".so"); }
constexpr const char* trace_variable = DIALKIT_FIXTURE_TRACE_VARIABLE;

// A private directory (mode 0700, ours), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "dialkit-plugin-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const fs::path& path() const { return path_; }

  // Copies a file in (under its own name unless `name` is given), mode 0755.
  [[nodiscard]] fs::path add(const fs::path& source, const std::string& name = {}) const {
    const fs::path target = path_ / (name.empty() ? source.filename() : fs::path(name));
    fs::copy_file(source, target, fs::copy_options::overwrite_existing);
    fs::permissions(target, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
    return target;
  }

  // Writes the first `size` bytes of `source` (all of it when size is empty) as `name`.
  [[nodiscard]] fs::path add_prefix(const fs::path& source, const std::string& name, std::size_t size) const {
    std::ifstream in(source, std::ios::binary);
    std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    bytes.resize(std::min(bytes.size(), size));
    const fs::path target = path_ / name;
    std::ofstream(target, std::ios::binary) << bytes;
    return target;
  }

 private:
  fs::path path_;
};

// Sets (or unsets, for nullptr) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Is this file mapped in the process? Asks the dynamic loader without loading it.
bool is_loaded(const fs::path& file) {
  void* handle = ::dlopen(file.c_str(), RTLD_NOLOAD | RTLD_LAZY);
  if (handle == nullptr) return false;
  ::dlclose(handle);
  return true;
}

LoadedPlugin require_loaded(const fs::path& file, bool allow_insecure = false) {
  auto result = dialkit::load_plugin(file, allow_insecure);
  INFO((result ? std::string() : result.error().message()));
  REQUIRE(result.has_value());
  return std::move(*result);
}

// The refusal's detail for a file that must be refused.
std::string refusal_of(const fs::path& file, bool allow_insecure = false) {
  auto result = dialkit::load_plugin(file, allow_insecure);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == Errc::plugin_rejected);
  return result.error().detail;
}

PluginSearchOptions only(std::vector<fs::path> dirs) {
  PluginSearchOptions options;
  options.paths = std::move(dirs);
  options.use_environment = false;
  options.use_install_dir = false;
  options.use_build_tree = false;
  return options;
}

std::vector<std::string> strings(const std::vector<fs::path>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) out.push_back(p.string());
  return out;
}

std::vector<std::string> key_components(std::string_view key) {
  std::vector<std::string> parts;
  for (;;) {
    const auto at = key.find("__");
    parts.emplace_back(key.substr(0, at));
    if (at == std::string_view::npos) return parts;
    key.remove_prefix(at + 2);
  }
}

void require_chmod(const fs::path& path, mode_t mode) { REQUIRE(::chmod(path.c_str(), mode) == 0); }

}  // namespace

TEST_CASE("the loader and the plugin kit agree on the entry point", "[plugin]") {
  STATIC_REQUIRE(std::is_same_v<dialkit::plugin::EntryFunction, Result<std::unique_ptr<BackendFactory>>()>);
  STATIC_REQUIRE(DIALKIT_PLUGIN_ABI == dialkit::plugin_abi_version);
  CHECK(dialkit::plugin::entry_alias_prefix == "dialkit_abi");
  CHECK(dialkit::host_build_key() == BOOST_PP_STRINGIZE(DIALKIT_BUILD_KEY_ID));
  // The loader names the differing component by position: platform, compiler, standard
  // library, Boost, expected, sanitizers. Neither the compiler's version nor the build type.
  const auto parts = key_components(dialkit::host_build_key());
  REQUIRE(parts.size() == 6);
  CHECK(parts[0].starts_with("linux_"));
#if defined(__clang__)
  CHECK(parts[1] == "clang");
#else
  CHECK(parts[1] == "gnu");
#endif
  CHECK(parts[2] == "libstdcxx_cxx11abi");
  CHECK(parts[3] == "boost" + std::to_string(BOOST_VERSION / 100000) + "_" +
                        std::to_string(BOOST_VERSION / 100 % 1000));
  CHECK(parts[4] == std::string(DIALKIT_HOST_EXPECTED) + "expected");
  CHECK_THAT(std::string(dialkit::host_build_key()), !Contains("debug") && !Contains("release"));
}

TEST_CASE("dialkit::expected is the implementation the build chose", "[plugin]") {
  // tl unless the tree was configured with DIALKIT_EXPECTED=std (the tsan preset is).
  if constexpr (std::string_view(DIALKIT_HOST_EXPECTED) == "tl") {
#if defined(DIALKIT_USE_TL_EXPECTED)
    STATIC_REQUIRE(std::is_same_v<dialkit::expected<int, int>, tl::expected<int, int>>);
#else
    FAIL("DIALKIT_EXPECTED=tl, but dialkit/expected.hpp did not pick tl::expected");
#endif
  } else {
#if defined(DIALKIT_USE_STD_EXPECTED)
    STATIC_REQUIRE(std::is_same_v<dialkit::expected<int, int>, std::expected<int, int>>);
#else
    FAIL("DIALKIT_EXPECTED=std, but dialkit/expected.hpp did not pick std::expected");
#endif
  }
}

TEST_CASE("a good plugin loads and its factory creates a working backend", "[plugin]") {
  TempDir dir;
  const auto file = dir.add(good_fixture);
  const auto plugin = require_loaded(file);
  CHECK(plugin.path == file);
  REQUIRE(plugin.factory != nullptr);
  CHECK(plugin.factory->name() == "fixture");
  CHECK(plugin.factory->description() == "loader test fixture");
  CHECK_FALSE(plugin.factory->is_fake());
  CHECK(plugin.factory->capabilities() ==
        Capabilities{}.with(DialOption::credentials).with_pause(State::retry_authentication));
  CHECK(plugin.factory->probe().has_value());

  auto backend = plugin.factory->create(BackendContext{});
  REQUIRE(backend.has_value());
  REQUIRE(*backend != nullptr);
  const auto entries = (*backend)->entries();
  REQUIRE(entries.has_value());
  REQUIRE(entries->size() == 1);
  CHECK(entries->front().name == "fixture-entry");
  // Errors made by plugin code cross back as values.
  const auto dialed = (*backend)->dial(dialkit::DialRequest{}, nullptr);
  REQUIRE_FALSE(dialed.has_value());
  CHECK(dialed.error().code == Errc::not_supported);
}

TEST_CASE("a plugin built for another ABI version is refused before any of its code runs", "[plugin]") {
  const ScopedEnv clean(trace_variable, nullptr);
  TempDir dir;
  const auto file = dir.add(wrong_abi_fixture);

  const auto detail = refusal_of(file);
  CHECK_THAT(detail,
             Contains(file.string()) && Contains("built for plugin ABI 99") &&
                 Contains("this host uses plugin ABI " + std::to_string(dialkit::plugin_abi_version)));
  CHECK_FALSE(is_loaded(file));
  CHECK(std::getenv(trace_variable) == nullptr);

  // The trace is real: loading the fixture behind the loader's back does run its static
  // constructor, so the check above would have seen it.
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  REQUIRE(handle != nullptr);
  CHECK(std::getenv(trace_variable) != nullptr);
  ::dlclose(handle);
}

TEST_CASE("a plugin built with another Boost is refused, naming what differs", "[plugin]") {
  TempDir dir;
  const auto file = dir.add(wrong_key_fixture);
  const auto host_boost = key_components(dialkit::host_build_key()).at(3);
  const auto plugin_boost = key_components(DIALKIT_FIXTURE_WRONG_KEY_ID).at(3);
  REQUIRE(plugin_boost == "boost1_73");

  const auto detail = refusal_of(file);
  CHECK_THAT(detail, Contains(file.string()) && Contains("Boost differs") &&
                         Contains("built with boost1_73, this host uses " + host_boost));
  // Only Boost differs, so nothing else is named.
  CHECK_THAT(detail, !Contains("platform differs") && !Contains("compiler differs") &&
                         !Contains("standard library differs") && !Contains("expected differs") &&
                         !Contains("sanitizers differ"));
  CHECK_FALSE(is_loaded(file));
}

TEST_CASE("a plugin built with the other expected is refused, naming both implementations", "[plugin]") {
  if (std::string_view(DIALKIT_FIXTURE_OTHER_EXPECTED).empty()) {
    DIALKIT_SKIP("tl-expected (Debian libexpected-dev, ./dev setup) is not installed: "
                 "no plugin can be built with tl::expected in this std::expected tree");
    return;
  }
  TempDir dir;
  const auto file = dir.add(DIALKIT_FIXTURE_OTHER_EXPECTED);
  const std::string ours = std::string(DIALKIT_HOST_EXPECTED) + "::expected";
  const std::string theirs = std::string(DIALKIT_OTHER_EXPECTED) + "::expected";
  REQUIRE(ours != theirs);

  const auto detail = refusal_of(file);
  CHECK_THAT(detail, Contains(file.string()) && Contains("expected differs") &&
                         Contains("built with " + theirs + ", this host uses " + ours));
  // Only the expected differs, so nothing else is named.
  CHECK_THAT(detail, !Contains("Boost differs") && !Contains("compiler differs") &&
                         !Contains("standard library differs") && !Contains("sanitizers differ"));
  CHECK_FALSE(is_loaded(file));
}

TEST_CASE("a plugin whose factory throws is refused with the plugin's own error", "[plugin]") {
  TempDir dir;
  const auto file = dir.add(throws_fixture);
  const auto detail = refusal_of(file);
  CHECK_THAT(detail, Contains(file.string()) && Contains("entry point failed") && Contains("factory threw") &&
                         Contains("the fixture factory refuses to start"));
  // The plugin's own refusal is quoted once, not wrapped in a second "plugin_rejected".
  CHECK_THAT(detail, !Contains("plugin_rejected"));
  // The refused library does not stay mapped.
  CHECK_FALSE(is_loaded(file));
}

TEST_CASE("a shared library without a dialkit entry point is refused", "[plugin]") {
  TempDir dir;
  const auto file = dir.add(no_entry_fixture);
  CHECK_THAT(refusal_of(file), Contains("no dialkit entry point in " + file.string()));
  CHECK_FALSE(is_loaded(file));
}

TEST_CASE("a plugin record whose ABI version is no number is refused", "[plugin]") {
  TempDir dir;
  const auto file = dir.add(malformed_fixture);
  CHECK_THAT(refusal_of(file), Contains("malformed dialkit plugin record in " + file.string()) &&
                                   Contains("its ABI version \"abi_garbage\" is not a number"));
  CHECK_FALSE(is_loaded(file));
}

TEST_CASE("a plugin with an unresolved symbol is refused with the dynamic loader's message", "[plugin]") {
  TempDir dir;
  SECTION("missing data") {
    const auto file = dir.add(unresolved_fixture);
    CHECK_THAT(refusal_of(file), Contains("cannot load " + file.string()) && Contains("undefined symbol") &&
                                     Contains("dialkit_fixture_missing_data"));
    CHECK_FALSE(is_loaded(file));
  }
  SECTION("a missing function, which lazy binding would only notice when called") {
    const auto file = dir.add(unresolved_function_fixture);
    CHECK_THAT(refusal_of(file), Contains("cannot load " + file.string()) && Contains("undefined symbol") &&
                                     Contains("dialkit_fixture_missing_function"));
    CHECK_FALSE(is_loaded(file));
  }
}

TEST_CASE("files that are not shared libraries are refused without crashing", "[plugin]") {
  TempDir dir;
  SECTION("text named like a plugin") {
    const auto file = dir.add(text_fixture);
    CHECK_THAT(refusal_of(file),
               Contains("not a shared library: " + file.string()) && Contains("no ELF or PE header"));
  }
  SECTION("an empty file") {
    const auto file = dir.add_prefix(good_fixture, "dialkit-backend-empty.so", 0);
    CHECK_THAT(refusal_of(file), Contains("not a shared library: " + file.string()));
  }
  SECTION("an ELF header without the rest") {
    const auto file = dir.add_prefix(good_fixture, "dialkit-backend-header.so", 64);
    CHECK_THAT(refusal_of(file), Contains("not a shared library: " + file.string()) &&
                                     Contains("its headers are truncated or damaged"));
  }
  SECTION("half of a plugin") {
    const auto size = static_cast<std::size_t>(fs::file_size(good_fixture));
    const auto file = dir.add_prefix(good_fixture, "dialkit-backend-half.so", size / 2);
    CHECK_THAT(refusal_of(file), Contains(file.string()));
    CHECK_FALSE(is_loaded(file));
  }
}

TEST_CASE("only regular files are read, even when insecure loading is allowed", "[plugin]") {
  TempDir dir;
  const bool allow_insecure = GENERATE(false, true);
  INFO("allow_insecure " << allow_insecure);
  SECTION("a directory") {
    const auto path = dir.path() / "dialkit-backend-dir.so";
    fs::create_directory(path);
    CHECK_THAT(refusal_of(path, allow_insecure), Contains(path.string() + " is not a regular file"));
  }
  SECTION("a FIFO, which would block a reader") {
    const auto path = dir.path() / "dialkit-backend-fifo.so";
    REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
    CHECK_THAT(refusal_of(path, allow_insecure), Contains(path.string() + " is not a regular file"));
  }
  SECTION("a dangling symbolic link") {
    const auto path = dir.path() / "dialkit-backend-dangling.so";
    fs::create_symlink(dir.path() / "nowhere.so", path);
    CHECK_THAT(refusal_of(path, allow_insecure),
               Contains("cannot follow the symbolic link " + path.string()));
  }
  SECTION("a missing file") {
    const auto path = dir.path() / "dialkit-backend-missing.so";
    CHECK_THAT(refusal_of(path, allow_insecure), Contains("cannot stat " + path.string()));
  }
}

TEST_CASE("a plugin file writable by group or others is refused unless insecure loading is allowed",
          "[plugin]") {
  TempDir dir;
  const auto file = dir.add(good_fixture);
  SECTION("mode 0755 is fine") { CHECK(require_loaded(file).factory->name() == "fixture"); }
  SECTION("writable by others") {
    require_chmod(file, 0666);
    CHECK_THAT(refusal_of(file),
               Contains(file.string() + " is writable by others (mode 0666)") &&
                   Contains("pass allow_insecure / --allow-insecure-plugins to load it anyway"));
    CHECK_FALSE(is_loaded(file));
    CHECK(require_loaded(file, true).factory->name() == "fixture");
  }
  SECTION("writable by group") {
    require_chmod(file, 0664);
    CHECK_THAT(refusal_of(file), Contains(file.string() + " is writable by group (mode 0664)"));
    CHECK(require_loaded(file, true).factory->name() == "fixture");
  }
}

TEST_CASE("a plugin in a directory writable by group or others is refused unless insecure loading is allowed",
          "[plugin]") {
  TempDir dir;
  const auto file = dir.add(good_fixture);
  const auto holding = "the directory " + dir.path().string() + " on the path to " + file.string();
  SECTION("writable by others") {
    require_chmod(dir.path(), 0777);
    CHECK_THAT(refusal_of(file), Contains(holding + " is writable by others (mode 0777)") &&
                                     Contains("--allow-insecure-plugins"));
    CHECK(require_loaded(file, true).factory->name() == "fixture");
  }
  SECTION("sticky and writable by others, like /tmp: allowed only when root owns it") {
    require_chmod(dir.path(), 01777);
    if (::geteuid() == 0)
      CHECK(require_loaded(file).factory->name() == "fixture");
    else
      CHECK_THAT(refusal_of(file), Contains(holding + " is writable by others (mode 1777)"));
  }
  SECTION("writable by group") {
    require_chmod(dir.path(), 0775);
    CHECK_THAT(refusal_of(file), Contains(holding + " is writable by group (mode 0775)"));
  }
}

TEST_CASE("a plugin or directory owned by another user is refused unless insecure loading is allowed",
          "[plugin]") {
  if (::geteuid() != 0) SKIP_TEST("not running as root: cannot give files to another user");
  TempDir dir;
  const auto file = dir.add(good_fixture);
  constexpr uid_t stranger = 4242;
  SECTION("the file") {
    REQUIRE(::chown(file.c_str(), stranger, stranger) == 0);
    CHECK_THAT(refusal_of(file),
               Contains(file.string() + " is owned by uid 4242, neither root nor the current user (uid 0)"));
    CHECK(require_loaded(file, true).factory->name() == "fixture");
  }
  SECTION("the directory") {
    REQUIRE(::chown(dir.path().c_str(), stranger, stranger) == 0);
    CHECK_THAT(refusal_of(file), Contains("the directory " + dir.path().string() + " on the path to " +
                                          file.string() + " is owned by uid 4242"));
    CHECK(require_loaded(file, true).factory->name() == "fixture");
  }
}

TEST_CASE("a symbolic link to a plugin is judged by its target", "[plugin]") {
  TempDir links;
  TempDir targets;
  const auto target = targets.add(good_fixture);
  const auto link = links.path() / "dialkit-backend-linked.so";
  fs::create_symlink(target, link);
  SECTION("a secure target loads") { CHECK(require_loaded(link).factory->name() == "fixture"); }
  SECTION("a target writable by others") {
    require_chmod(target, 0666);
    CHECK_THAT(refusal_of(link), Contains(link.string() + " is writable by others (mode 0666)"));
  }
  SECTION("a target in a directory writable by others") {
    require_chmod(targets.path(), 0777);
    CHECK_THAT(refusal_of(link), Contains("the directory " + fs::canonical(targets.path()).string()) &&
                                     Contains("is writable by others (mode 0777)"));
  }
  SECTION("a link in a directory writable by others") {
    require_chmod(links.path(), 0777);
    CHECK_THAT(refusal_of(link), Contains("the directory " + links.path().string()) &&
                                     Contains("is writable by others (mode 0777)"));
  }
}

TEST_CASE("the library stays loaded while its factory lives, and is unloaded after", "[plugin]") {
  TempDir dir;
  const auto file = dir.add(good_fixture);
  REQUIRE_FALSE(is_loaded(file));

  std::shared_ptr<BackendFactory> factory;
  {
    const auto plugin = require_loaded(file);
    CHECK(is_loaded(file));
    factory = plugin.factory;
  }
  // The LoadedPlugin is gone; the factory alone keeps its code mapped.
  CHECK(is_loaded(file));
  {
    auto backend = factory->create(BackendContext{});
    REQUIRE(backend.has_value());
    CHECK((*backend)->entries().has_value());
  }
  CHECK(is_loaded(file));
  factory.reset();
  CHECK_FALSE(is_loaded(file));
}

TEST_CASE("plugin directories are searched in order: paths, DIALKIT_PLUGIN_PATH, then the build tree's",
          "[plugin]") {
  // Empty entries would mean the current directory; they are skipped.
  const ScopedEnv env("DIALKIT_PLUGIN_PATH", "/env/one::/env/two:");
  PluginSearchOptions options;
  options.paths = {"/given/one", "/given/two"};
  const std::string build = DIALKIT_TEST_PLUGIN_DIR;

  // This test's libdialkit-core is a build tree's: it finds the tree's plugin directory from
  // the file beside it, and has no install directory (tests/package checks an installed one).
  REQUIRE(dialkit::dialkit_dirs().build_tree);
  CHECK(dialkit::dialkit_dirs().plugin_dir == build);
  using List = std::vector<std::string>;
  CHECK(strings(dialkit::plugin_search_dirs(options)) ==
        List{"/given/one", "/given/two", "/env/one", "/env/two", build});
  options.use_environment = false;
  CHECK(strings(dialkit::plugin_search_dirs(options)) == List{"/given/one", "/given/two", build});
  options.use_install_dir = false;
  CHECK(strings(dialkit::plugin_search_dirs(options)) == List{"/given/one", "/given/two", build});
  options.use_build_tree = false;
  CHECK(strings(dialkit::plugin_search_dirs(options)) == List{"/given/one", "/given/two"});
}

TEST_CASE("module_file names the module that holds an address", "[plugin]") {
  static const int anchor = 0;
  const auto self = dialkit::module_file(&anchor);
  REQUIRE(self.is_absolute());
  CHECK(std::filesystem::equivalent(self, "/proc/self/exe"));
  const auto core = dialkit::module_file(reinterpret_cast<const void*>(&dialkit::dialkit_dirs));
  CHECK(core.filename().string().starts_with("libdialkit-core"));
}

TEST_CASE("a plugin in the given paths wins over one in DIALKIT_PLUGIN_PATH", "[plugin]") {
  TempDir given;
  TempDir from_env;
  const auto given_file = given.add(good_fixture);
  const auto env_file = from_env.add(good_fixture);
  const ScopedEnv env("DIALKIT_PLUGIN_PATH", from_env.path().c_str());
  auto options = only({given.path()});
  options.use_environment = true;

  SECTION("both are found; the given one wins, the other is shadowed") {
    const auto scan = dialkit::scan_plugins(options);
    REQUIRE(scan.loaded.size() == 1);
    CHECK(scan.loaded.front().path == given_file);
    REQUIRE(scan.refused.size() == 1);
    CHECK(scan.refused.front().path == env_file);
    CHECK_THAT(scan.refused.front().error.detail,
               Contains(env_file.string() + ": backend \"fixture\" is shadowed by " + given_file.string()));
  }
  SECTION("without given paths, the environment's plugin loads") {
    options.paths.clear();
    const auto scan = dialkit::scan_plugins(options);
    REQUIRE(scan.loaded.size() == 1);
    CHECK(scan.loaded.front().path == env_file);
    CHECK(scan.refused.empty());
  }
  SECTION("use_environment = false ignores DIALKIT_PLUGIN_PATH") {
    options.use_environment = false;
    const auto scan = dialkit::scan_plugins(options);
    REQUIRE(scan.loaded.size() == 1);
    CHECK(scan.loaded.front().path == given_file);
    CHECK(scan.refused.empty());
  }
}

TEST_CASE("within a directory plugins are taken in name order and a later one of the same name is shadowed",
          "[plugin]") {
  TempDir dir;
  // Created out of order, so that directory order alone would rarely give the right answer.
  const auto c = dir.add(good_fixture, "dialkit-backend-c.so");
  const auto a = dir.add(good_fixture, "dialkit-backend-a.so");
  const auto b = dir.add(good_fixture, "dialkit-backend-b.so");

  const auto scan = dialkit::scan_plugins(only({dir.path()}));
  REQUIRE(scan.loaded.size() == 1);
  CHECK(scan.loaded.front().path == a);
  REQUIRE(scan.refused.size() == 2);
  CHECK(scan.refused[0].path == b);
  CHECK(scan.refused[1].path == c);
  for (const auto& refusal : scan.refused) {
    CHECK(refusal.error.code == Errc::plugin_rejected);
    CHECK_THAT(refusal.error.detail, Contains("is shadowed by " + a.string()));
    CHECK_FALSE(is_loaded(refusal.path));
  }
}

TEST_CASE("a scan refuses each bad plugin with its own reason and still loads the good one", "[plugin]") {
  const ScopedEnv clean(trace_variable, nullptr);
  TempDir dir;
  for (const auto& fixture :
       {good_fixture, wrong_abi_fixture, wrong_key_fixture, throws_fixture, unresolved_fixture,
        unresolved_function_fixture, no_entry_fixture, malformed_fixture, text_fixture})
    (void)dir.add(fixture);
  const std::map<std::string, std::string> expected{
      {"dialkit-backend-wrong-abi.so", "built for plugin ABI 99"},
      {"dialkit-backend-wrong-key.so", "Boost differs"},
      {"dialkit-backend-throws.so", "the fixture factory refuses to start"},
      {"dialkit-backend-unresolved.so", "undefined symbol: dialkit_fixture_missing_data"},
      {"dialkit-backend-unresolved-function.so", "undefined symbol: dialkit_fixture_missing_function"},
      {"dialkit-backend-no-entry.so", "no dialkit entry point"},
      {"dialkit-backend-malformed.so", "malformed dialkit plugin record"},
      {"dialkit-backend-text.so", "not a shared library"},
  };

  const PluginScan scan = dialkit::scan_plugins(only({dir.path()}));

  REQUIRE(scan.loaded.size() == 1);
  CHECK(scan.loaded.front().path.filename() == "dialkit-backend-good.so");
  REQUIRE(scan.refused.size() == expected.size());
  std::set<std::string> files;
  std::set<std::string> details;
  for (const auto& refusal : scan.refused) {
    const auto name = refusal.path.filename().string();
    INFO(name << ": " << refusal.error.message());
    const auto reason = expected.find(name);
    REQUIRE(reason != expected.end());
    CHECK(refusal.error.code == Errc::plugin_rejected);
    CHECK_THAT(refusal.error.detail, Contains(reason->second));
    CHECK_FALSE(is_loaded(refusal.path));
    files.insert(name);
    details.insert(refusal.error.detail);
  }
  CHECK(files.size() == expected.size());
  CHECK(details.size() == expected.size());
  CHECK(std::getenv(trace_variable) == nullptr);

  // The good plugin works after all that.
  auto backend = scan.loaded.front().factory->create(BackendContext{});
  REQUIRE(backend.has_value());
  CHECK((*backend)->entries().has_value());
}

TEST_CASE("a scan skips missing directories and files not named like plugins", "[plugin]") {
  TempDir dir;
  for (const char* name : {"libdialkit-backend-good.so", "dialkit-backend-good.so.1",
                           "dialkit-backend-good.txt", "dialkit-backend-.so", "good.so"})
    (void)dir.add(good_fixture, name);
  const auto options = only({dir.path() / "missing", "/nonexistent/dialkit/plugins", dir.path()});
  {
    const auto scan = dialkit::scan_plugins(options);
    CHECK(scan.loaded.empty());
    CHECK(scan.refused.empty());
  }
  // The same directory does find a file that is named like a plugin.
  const auto file = dir.add(good_fixture, "dialkit-backend-good.so");
  const auto scan = dialkit::scan_plugins(options);
  REQUIRE(scan.loaded.size() == 1);
  CHECK(scan.loaded.front().path == file);
  CHECK(scan.refused.empty());
}

TEST_CASE("a file reached twice through the search path does not shadow itself", "[plugin]") {
  TempDir dir;
  const auto file = dir.add(good_fixture);
  const auto scan = dialkit::scan_plugins(only({dir.path(), dir.path() / ".", dir.path()}));
  REQUIRE(scan.loaded.size() == 1);
  CHECK(scan.loaded.front().path == file);
  CHECK(scan.refused.empty());
}

namespace {

// Threads and open file descriptors of this process now.
std::size_t thread_count() {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator("/proc/self/task"), fs::directory_iterator{}));
}
std::size_t fd_count() {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator{}));
}

}  // namespace

TEST_CASE("a plugin whose thread or scheduler task throws fails its dial, not the process", "[plugin][fault]") {
  using namespace std::chrono_literals;
  const std::string entry = GENERATE(std::string("thread-throws"), std::string("task-throws"));
  INFO("entry " << entry);
  TempDir dir;
  const auto file = dir.add(DIALKIT_FIXTURE_BROKEN);
  // ThreadSanitizer starts a thread of its own with the first thread a program makes: let
  // that happen before counting.
  std::thread([] {}).join();
  const auto threads_before = thread_count();
  const auto fds_before = fd_count();
  {
    dialkit::RuntimeOptions options;
    options.load_plugins = false;
    dialkit::Runtime rt(options);
    REQUIRE(rt.load_plugin_file(file));
    std::mutex m;
    std::vector<dialkit::Diagnostic> diagnostics;
    auto diag_sub = rt.on_diagnostic([&](const dialkit::Diagnostic& d) {
      std::lock_guard lock(m);
      diagnostics.push_back(d);
    });
    auto dialer = rt.dialer("broken");
    REQUIRE(dialer);
    std::vector<dialkit::Event> events;
    auto conn = dialer->dial(entry, {}, [&](const dialkit::Event& e) {
      std::lock_guard lock(m);
      events.push_back(e);
    });
    REQUIRE(conn);
    REQUIRE(conn->wait_until_ended(10s));
    {
      std::lock_guard lock(m);
      REQUIRE(events.size() == 2);
      CHECK(events[0].state == dialkit::State::opening_port);
      CHECK(events[1].state == dialkit::State::disconnected);
      REQUIRE(events[1].error.has_value());
      CHECK(events[1].error->code == Errc::backend_failed);
      CHECK_THAT(events[1].error->message(), Contains("backend \"broken\" failed") &&
                                                 Contains("threw: the fixture's worker lost its device"));
    }
    // The diagnostic is posted before the ending; wait for it with a bound.
    for (int i = 0; i < 200; ++i) {
      {
        std::lock_guard lock(m);
        if (!diagnostics.empty()) break;
      }
      std::this_thread::sleep_for(10ms);
    }
    {
      std::lock_guard lock(m);
      REQUIRE(diagnostics.size() == 1);
      CHECK(diagnostics[0].kind == dialkit::Diagnostic::Kind::backend_error);
      CHECK(diagnostics[0].backend == "broken");
      CHECK_THAT(diagnostics[0].message, Contains("lost its device"));
    }
    // A backend in an unknown state takes no more dials, and says why.
    auto again = dialer->dial(entry, {}, nullptr);
    REQUIRE_FALSE(again);
    CHECK(again.error().code == Errc::backend_failed);
    CHECK_THAT(again.error().message(), Contains("failed earlier") && Contains("lost its device"));
  }
  // The runtime is gone: its threads and the plugin's have been joined, nothing left open.
  CHECK(thread_count() == threads_before);
  CHECK(fd_count() == fds_before);
  CHECK_FALSE(is_loaded(file));
}

namespace {

// --- Hostile files, made from the good fixture (an ELF64 little-endian file) --------------

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

fs::path write_bytes(const TempDir& dir, const std::string& name, const std::string& bytes) {
  const fs::path target = dir.path() / name;
  std::ofstream(target, std::ios::binary) << bytes;
  fs::permissions(target, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
  return target;
}

std::uint64_t get_le(const std::string& b, std::size_t at, std::size_t width) {
  REQUIRE(at + width <= b.size());
  std::uint64_t v = 0;
  for (std::size_t i = width; i-- > 0;) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

void put_le(std::string& b, std::size_t at, std::size_t width, std::uint64_t v) {
  REQUIRE(at + width <= b.size());
  for (std::size_t i = 0; i < width; ++i, v >>= 8) b[at + i] = static_cast<char>(v & 0xff);
}

// The section headers of an ELF64 file: where each one is in the file.
struct ElfLayout {
  std::size_t shoff = 0;
  std::size_t shnum = 0;
  std::size_t shstrndx = 0;
  [[nodiscard]] std::size_t header(std::size_t i) const { return shoff + i * 64; }
};

ElfLayout elf_layout(const std::string& b) {
  REQUIRE(b.size() >= 64);
  REQUIRE(b.compare(0, 4, "\x7f" "ELF") == 0);
  REQUIRE(b[4] == 2);  // ELFCLASS64
  REQUIRE(b[5] == 1);  // little-endian
  ElfLayout l;
  l.shoff = static_cast<std::size_t>(get_le(b, 0x28, 8));
  l.shnum = static_cast<std::size_t>(get_le(b, 0x3c, 2));
  l.shstrndx = static_cast<std::size_t>(get_le(b, 0x3e, 2));
  REQUIRE(l.shnum > 0);
  REQUIRE(l.shoff + l.shnum * 64 <= b.size());
  return l;
}

// The ways a file can lie about where its names are; each once crashed the host.
std::map<std::string, std::string> hostile_elf_files(const std::string& good) {
  const auto l = elf_layout(good);
  std::map<std::string, std::string> files;
  {  // every section's name far beyond the name table (and the file)
    std::string b = good;
    for (std::size_t i = 0; i < l.shnum; ++i) put_le(b, l.header(i), 4, 0x7ffffff0);
    files["section-names"] = b;
  }
  {  // the name table itself outside the file
    std::string b = good;
    put_le(b, l.header(l.shstrndx) + 0x18, 8, 0x7fffffffffff0000ULL);
    put_le(b, l.header(l.shstrndx) + 0x20, 8, 0x100000);
    files["name-table"] = b;
  }
  {  // every symbol's name in .symtab outside its name table. (.dynsym is the dynamic loader's:
     // a plugin that passed every check is code the user installed, and dlopen trusts it.)
    std::string b = good;
    bool found = false;
    for (std::size_t i = 0; i < l.shnum; ++i) {
      if (get_le(b, l.header(i) + 4, 4) != 2) continue;  // SHT_SYMTAB
      found = true;
      const auto offset = static_cast<std::size_t>(get_le(b, l.header(i) + 0x18, 8));
      const auto size = static_cast<std::size_t>(get_le(b, l.header(i) + 0x20, 8));
      for (std::size_t sym = offset + 24; sym + 24 <= offset + size; sym += 24) put_le(b, sym, 4, 0x7ffffff0);
    }
    REQUIRE(found);
    files["symbol-names"] = b;
  }
  {  // the section headers outside the file
    std::string b = good;
    put_le(b, 0x28, 8, 0xfffffffffffff000ULL);
    files["section-headers"] = b;
  }
  {  // more sections than the file holds, and the name table index beyond them
    std::string b = good;
    put_le(b, 0x3c, 2, 0xfffe);
    put_le(b, 0x3e, 2, 0xfffd);
    files["section-count"] = b;
  }
  return files;
}

// Runs a program, its output (stdout and stderr) into `output`; returns its wait status.
int run_program(const std::vector<std::string>& argv, std::string& output) {
  TempDir scratch;
  const fs::path out = scratch.path() / "output";
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  REQUIRE(spawned == 0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  output = read_bytes(out);
  return status;
}

// Strips a copy of `file` into `dir` as `name` with the toolchain's strip and `options`.
fs::path stripped_copy(const TempDir& dir, const fs::path& file, const std::string& name,
                       const std::vector<std::string>& options) {
  const auto copy = dir.add(file, name);
  std::vector<std::string> argv{DIALKIT_TEST_STRIP};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back(copy.string());
  std::string output;
  const int status = run_program(argv, output);
  INFO(output);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return copy;
}

bool has_section(const fs::path& file, const std::string& name) {
  const std::string b = read_bytes(file);
  const auto l = elf_layout(b);
  const auto names = static_cast<std::size_t>(get_le(b, l.header(l.shstrndx) + 0x18, 8));
  for (std::size_t i = 0; i < l.shnum; ++i) {
    const auto at = names + static_cast<std::size_t>(get_le(b, l.header(i), 4));
    if (at < b.size() && std::strcmp(b.c_str() + at, name.c_str()) == 0) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a plugin whose section or symbol names point outside the file never crashes the host",
          "[plugin][hostile]") {
  TempDir dir;
  const auto good = read_bytes(good_fixture);
  for (const auto& [kind, bytes] : hostile_elf_files(good)) {
    INFO("hostile kind " << kind);
    const auto file = write_bytes(dir, "dialkit-backend-" + kind + ".so", bytes);
    auto result = dialkit::load_plugin(file);
    if (kind == "symbol-names") {
      // .symtab is not the loader's business: the record is found by section, the entry point
      // by the dynamic loader.
      INFO((result ? std::string() : result.error().message()));
      CHECK(result.has_value());
      continue;
    }
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code == Errc::plugin_rejected);
    CHECK_THAT(result.error().detail, Contains(file.string()));
    CHECK_FALSE(is_loaded(file));
  }
}

TEST_CASE("a Runtime survives a directory of hostile plugin files and lists them as refused",
          "[plugin][hostile]") {
  TempDir dir;
  for (const auto& [kind, bytes] : hostile_elf_files(read_bytes(good_fixture)))
    if (kind != "symbol-names") (void)write_bytes(dir, "dialkit-backend-" + kind + ".so", bytes);
  dialkit::RuntimeOptions options;
  options.plugins = only({dir.path()});
  dialkit::Runtime rt(options);
  CHECK(rt.backends().empty());
  CHECK(rt.refused_plugins().size() == 4);
}

TEST_CASE("a stripped plugin loads: strip and strip --strip-unneeded keep its record", "[plugin][strip]") {
  if (std::string(DIALKIT_TEST_STRIP).empty() || !fs::exists(DIALKIT_TEST_STRIP))
    SKIP_TEST("no strip program was found by CMake (CMAKE_STRIP)");
  const std::vector<std::string> options = GENERATE(std::vector<std::string>{},
                                                    std::vector<std::string>{"--strip-unneeded"});
  INFO("strip options: " << (options.empty() ? "(none)" : options.front()));
  TempDir dir;
  SECTION("the test fixture") {
    const auto file = stripped_copy(dir, good_fixture, "dialkit-backend-good.so", options);
    CHECK_FALSE(has_section(file, ".symtab"));
    CHECK(has_section(file, ".dialkit"));
    CHECK(require_loaded(file).factory->name() == "fixture");
  }
  SECTION("each plugin this tree ships, and the template") {
    std::vector<fs::path> shipped;
    for (const auto& entry : fs::directory_iterator(DIALKIT_TEST_PLUGIN_DIR))
      if (entry.path().filename().string().starts_with("dialkit-backend-") && entry.path().extension() == ".so")
        shipped.push_back(entry.path());
    shipped.emplace_back(DIALKIT_TEST_TEMPLATE_PLUGIN);
    REQUIRE(shipped.size() >= 2);
    for (const auto& original : shipped) {
      INFO("plugin " << original);
      const auto file = stripped_copy(dir, original, original.filename().string(), options);
      CHECK_FALSE(has_section(file, ".symtab"));
      const auto plugin = require_loaded(file);
      CHECK("dialkit-backend-" + plugin.factory->name() + ".so" == original.filename().string());
    }
  }
}

TEST_CASE("every directory from the root down is checked, for the file and each symbolic link on the way",
          "[plugin][permissions]") {
  TempDir top;
  SECTION("a safe directory inside a world-writable one") {
    const auto open_dir = top.path() / "open";
    const auto safe = open_dir / "safe";
    fs::create_directories(safe);
    require_chmod(safe, 0755);
    const auto file = safe / "dialkit-backend-good.so";
    fs::copy_file(good_fixture, file);
    require_chmod(file, 0755);
    require_chmod(open_dir, 0755);
    CHECK(require_loaded(file).factory->name() == "fixture");
    require_chmod(open_dir, 0777);
    CHECK_THAT(refusal_of(file), Contains("the directory " + open_dir.string() + " on the path to " +
                                          file.string() + " is writable by others (mode 0777)"));
    CHECK_FALSE(is_loaded(file));
    CHECK(require_loaded(file, true).factory->name() == "fixture");
    require_chmod(open_dir, 0775);
    CHECK_THAT(refusal_of(file), Contains("the directory " + open_dir.string()) &&
                                     Contains("is writable by group (mode 0775)"));
  }
  SECTION("a chain of symbolic links with one hop in a world-writable directory") {
    // links/dialkit-backend-good.so -> ../open/hop -> ../safe/dialkit-backend-good.so
    for (const char* d : {"links", "open", "safe"}) {
      fs::create_directory(top.path() / d);
      require_chmod(top.path() / d, 0755);
    }
    const auto file = top.path() / "safe" / "dialkit-backend-good.so";
    fs::copy_file(good_fixture, file);
    require_chmod(file, 0755);
    fs::create_symlink("../safe/dialkit-backend-good.so", top.path() / "open" / "hop");
    const auto link = top.path() / "links" / "dialkit-backend-good.so";
    fs::create_symlink("../open/hop", link);
    CHECK(require_loaded(link).factory->name() == "fixture");
    require_chmod(top.path() / "open", 0777);
    CHECK_THAT(refusal_of(link), Contains("the directory " + (top.path() / "open").string() + " on the path to " +
                                          link.string() + " is writable by others (mode 0777)"));
    CHECK_FALSE(is_loaded(file));
  }
  SECTION("an absolute link into a directory whose parent is world-writable") {
    const auto open_dir = top.path() / "open";
    fs::create_directories(open_dir / "safe");
    require_chmod(open_dir / "safe", 0755);
    const auto file = open_dir / "safe" / "dialkit-backend-good.so";
    fs::copy_file(good_fixture, file);
    require_chmod(file, 0755);
    require_chmod(open_dir, 0777);
    const auto link = top.path() / "dialkit-backend-good.so";
    fs::create_symlink(file, link);
    CHECK_THAT(refusal_of(link), Contains("the directory " + open_dir.string()) &&
                                     Contains("is writable by others (mode 0777)"));
  }
  SECTION("a symbolic link owned by another user") {
    if (::geteuid() != 0) SKIP_TEST("not running as root: cannot give a link to another user");
    const auto file = top.add(good_fixture);
    const auto link = top.path() / "dialkit-backend-linked.so";
    fs::create_symlink(file, link);
    REQUIRE(::lchown(link.c_str(), 4242, 4242) == 0);
    CHECK_THAT(refusal_of(link), Contains("the symbolic link " + link.string()) && Contains("is owned by uid 4242"));
  }
}

TEST_CASE("a factory whose name, description, probe or create throws is refused or fails, never throws",
          "[plugin][guard]") {
  TempDir dir;
  SECTION("name(), description() and capabilities() throwing refuse the plugin with the text") {
    for (const std::string kind : {"name", "description", "capabilities"}) {
      const auto file = dir.add(fixture(kind + "-throws"));
      CHECK_THAT(refusal_of(file), Contains(file.string()) && Contains("the factory's " + kind + "() threw") &&
                                       Contains("the fixture's " + kind + "() broke"));
      CHECK_FALSE(is_loaded(file));
    }
  }
  SECTION("a declaration of what this host does not know refuses the plugin, saying what") {
    const auto file = dir.add(fixture("capabilities-bad"));
    CHECK_THAT(refusal_of(file), Contains(file.string()) && Contains("the factory's capabilities()") &&
                                     Contains("not paused states"));
    CHECK_FALSE(is_loaded(file));
  }
  SECTION("probe() and create() throwing become errors") {
    const auto probe = require_loaded(dir.add(fixture("probe-throws")));
    const auto probed = probe.factory->probe();
    REQUIRE_FALSE(probed);
    CHECK(probed.error().code == Errc::backend_unavailable);
    CHECK_THAT(probed.error().detail, Contains("probe() threw: the fixture's probe() broke"));
    CHECK_FALSE(probe.factory->probe_with(BackendContext{}));
    const auto create = require_loaded(dir.add(fixture("create-throws")));
    const auto created = create.factory->create(BackendContext{});
    REQUIRE_FALSE(created);
    CHECK(created.error().code == Errc::backend_failed);
    CHECK_THAT(created.error().detail, Contains("create() threw: the fixture's create() broke"));
  }
  SECTION("a backend member throwing becomes an error") {
    const auto plugin = require_loaded(dir.add(fixture("backend-throws")));
    auto backend = plugin.factory->create(BackendContext{});
    REQUIRE(backend);
    Result<std::vector<dialkit::Entry>> entries;
    REQUIRE_NOTHROW(entries = (*backend)->entries());
    REQUIRE_FALSE(entries);
    CHECK(entries.error().code == Errc::backend_failed);
    CHECK_THAT(entries.error().detail, Contains("entries() threw: the fixture's entries() broke"));
  }
  SECTION("through a Runtime: its constructor, backends(), dialer() and default_dialer() do not throw") {
    for (const char* kind : {"name-throws", "description-throws", "probe-throws", "create-throws"})
      (void)dir.add(fixture(kind));
    dialkit::RuntimeOptions options;
    options.plugins = only({dir.path()});
    std::optional<dialkit::Runtime> rt;
    REQUIRE_NOTHROW(rt.emplace(options));
    std::vector<dialkit::BackendSummary> listed;
    REQUIRE_NOTHROW(listed = rt->backends());
    // create-throws is shadowed by probe-throws (both are "fixture"; names sort "create" first).
    REQUIRE(listed.size() == 1);
    CHECK(listed.front().name == "fixture");
    CHECK(rt->refused_plugins().size() == 3);
    REQUIRE_NOTHROW((void)rt->default_dialer());
    const auto dialer = rt->dialer("fixture");
    REQUIRE_FALSE(dialer);
    CHECK_THAT(dialer.error().message(), Contains("create() broke"));
  }
}

TEST_CASE("a factory whose name is empty, no backend name or not its record's is refused", "[plugin][guard]") {
  TempDir dir;
  SECTION("empty") {
    const auto file = dir.add(fixture("empty-name"));
    CHECK_THAT(refusal_of(file), Contains(file.string() + ": the factory's name() is empty"));
    CHECK_FALSE(is_loaded(file));
  }
  SECTION("not [a-z0-9_-]+") {
    const auto file = dir.add(fixture("bad-name"));
    CHECK_THAT(refusal_of(file), Contains("\"Fixture_Two\" is not a backend name"));
  }
  SECTION("another name than the record's") {
    const auto file = dir.add(fixture("other-name"));
    CHECK_THAT(refusal_of(file), Contains("the factory's name() is \"other\", its plugin record says \"fixture\""));
  }
}

TEST_CASE("dialkit backends lists plugins and refusals for every hostile kind and exits 0", "[plugin][hostile][cli]") {
  TempDir top;
  const auto plain = top.path() / "plain";
  fs::create_directory(plain);
  require_chmod(plain, 0755);
  TempDir files;
  for (const auto& [kind, bytes] : hostile_elf_files(read_bytes(good_fixture)))
    if (kind != "symbol-names")
      (void)fs::copy_file(write_bytes(files, "x", bytes), plain / ("dialkit-backend-" + kind + ".so"));
  for (const char* kind : {"name-throws", "description-throws", "probe-throws", "empty-name", "bad-name"}) {
    const auto copy = plain / fixture(kind).filename();
    fs::copy_file(fixture(kind), copy);
    require_chmod(copy, 0755);
  }
  // A safe directory inside a world-writable one.
  const auto open_dir = top.path() / "open";
  fs::create_directories(open_dir / "safe");
  require_chmod(open_dir / "safe", 0755);
  fs::copy_file(good_fixture, open_dir / "safe" / "dialkit-backend-nested.so");
  require_chmod(open_dir / "safe" / "dialkit-backend-nested.so", 0755);
  // A link whose hop is in the world-writable directory (to another file: the scan takes a
  // file reached twice once).
  fs::copy_file(good_fixture, open_dir / "safe" / "target.so");
  require_chmod(open_dir / "safe" / "target.so", 0755);
  require_chmod(open_dir, 0777);
  fs::create_symlink(open_dir / "safe" / "target.so", open_dir / "hop");
  fs::create_symlink(open_dir / "hop", plain / "dialkit-backend-linked.so");
  // A stripped good plugin, which loads.
  if (!std::string(DIALKIT_TEST_STRIP).empty())
    (void)fs::copy_file(stripped_copy(files, good_fixture, "stripped.so", {"--strip-unneeded"}),
                        plain / "dialkit-backend-zstripped.so");

  const std::string path = plain.string() + ":" + (open_dir / "safe").string();
  const ScopedEnv env("DIALKIT_PLUGIN_PATH", path.c_str());
  std::string output;
  const int status = run_program({DIALKIT_TEST_CLI, "backends"}, output);
  INFO(output);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK_THAT(output, Contains("Refused plugins:"));
  for (const char* kind : {"section-names", "name-table", "section-headers", "section-count"})
    CHECK_THAT(output, Contains("dialkit-backend-" + std::string(kind) + ".so\n    plugin_rejected"));
  CHECK_THAT(output, Contains("name() threw: the fixture's name() broke"));
  CHECK_THAT(output, Contains("description() threw: the fixture's description() broke"));
  CHECK_THAT(output, Contains("the factory's name() is empty"));
  CHECK_THAT(output, Contains("\"Fixture_Two\" is not a backend name"));
  CHECK_THAT(output, Contains("the directory " + open_dir.string() + " on the path to " +
                              (open_dir / "safe" / "dialkit-backend-nested.so").string()));
  CHECK_THAT(output, Contains("the directory " + open_dir.string() + " on the path to " +
                              (plain / "dialkit-backend-linked.so").string()));
  // probe-throws loads (listed, unusable, with the text); the stripped one is shadowed by it.
  CHECK_THAT(output, Contains("fixture\n  description: loader test fixture\n  path: " +
                              (plain / "dialkit-backend-probe-throws.so").string()));
  CHECK_THAT(output, Contains("status: unusable: backend_unavailable") && Contains("the fixture's probe() broke"));
  if (!std::string(DIALKIT_TEST_STRIP).empty())
    CHECK_THAT(output, Contains("dialkit-backend-zstripped.so: backend \"fixture\" is shadowed by"));
}

TEST_CASE("the record reader finds a plugin's record in a PE file too, and refuses a cut one", "[plugin][record]") {
  // A Windows DLL (made with MinGW) carrying the good fixture's record in its .dialkit section;
  // also a seed of the fuzzer.
  const auto bytes = read_bytes(fs::path(DIALKIT_TEST_SOURCE_DIR) / "tests/fuzz/corpus/plugin_record/plugin.dll");
  REQUIRE(bytes.size() > 1024);
  {
    const dialkit::detail::MemorySource file(bytes);
    const auto record = dialkit::detail::read_plugin_record(file, "plugin.dll");
    INFO((record ? std::string() : record.error().message()));
    REQUIRE(record.has_value());
    CHECK(record->abi == 3);
    CHECK(record->name == "fixture");
    CHECK(record->description == "loader test fixture");
  }
  const std::string cut = bytes.substr(0, 1024);
  const dialkit::detail::MemorySource file(cut);
  const auto record = dialkit::detail::read_plugin_record(file, "plugin.dll");
  REQUIRE_FALSE(record.has_value());
  CHECK_THAT(record.error().detail, Contains("not a shared library: plugin.dll (its headers are truncated or damaged"));
}
