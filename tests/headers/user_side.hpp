// Checks that the headers included before this one keep the backend side out of a user's
// translation unit: no Boost, no Boost.DLL setting, no backend interface beyond the names the
// API passes around, no plugin loader. Included once per translation unit, after the header
// under test (CMakeLists.txt generates one translation unit per user-facing header).
//
// DIALKIT_CHECK_BACKEND_SIDE: 1 for a user's header (runtime.hpp and what it includes): the
// backend interface must be absent; 0 for a backend a program adds itself (mock.hpp), which
// is a BackendFactory and so brings the interface, but still neither Boost nor the loader.
#pragma once

// BOOST_VERSION (boost/version.hpp) or BOOST_CONFIG_HPP (boost/config.hpp, which every Boost
// library includes and which does not define BOOST_VERSION).
#if defined(BOOST_VERSION) || defined(BOOST_CONFIG_HPP)
#error "a user-facing dialkit header includes Boost"
#endif
#ifdef BOOST_DLL_USE_STD_FS
#error "BOOST_DLL_USE_STD_FS reaches a user of dialkit (it belongs to what includes Boost.DLL)"
#endif

// The loader's names, declared here as variables: if a header under test declared the loader
// (plugin_loader.hpp), these would redeclare its functions and constants as another kind of
// entity and fail to compile.
namespace dialkit {
inline constexpr int scan_plugins = 0;
inline constexpr int load_plugin = 0;
inline constexpr int keep_loaded = 0;
inline constexpr int host_build_key = 0;
inline constexpr int plugin_abi_version = 0;
inline constexpr int plugin_search_dirs = 0;
}  // namespace dialkit

namespace dialkit_header_check {
template <class T>
concept complete = requires { sizeof(T); };
}  // namespace dialkit_header_check

// The loader's types: declared (again) here, and still incomplete.
namespace dialkit {
struct LoadedPlugin;
struct PluginScan;
struct PluginRecord;
}  // namespace dialkit
static_assert(!dialkit_header_check::complete<dialkit::LoadedPlugin>, "the plugin loader is visible");
static_assert(!dialkit_header_check::complete<dialkit::PluginScan>, "the plugin loader is visible");
static_assert(!dialkit_header_check::complete<dialkit::PluginRecord>, "the plugin loader is visible");

#if DIALKIT_CHECK_BACKEND_SIDE
// The backend interface: runtime.hpp names BackendFactory (Runtime::add_backend) and nothing
// more of it; none of these is defined for a user.
namespace dialkit {
class BackendFactory;
class Backend;
class Session;
class Reporter;
class WatchSink;
class WatchHandle;
class BackendThread;
struct BackendContext;
struct DialRequest;
struct NativeReport;
}  // namespace dialkit
static_assert(!dialkit_header_check::complete<dialkit::BackendFactory>, "the backend interface is visible");
static_assert(!dialkit_header_check::complete<dialkit::Backend>, "the backend interface is visible");
static_assert(!dialkit_header_check::complete<dialkit::Session>, "the backend interface is visible");
static_assert(!dialkit_header_check::complete<dialkit::Reporter>, "the backend interface is visible");
static_assert(!dialkit_header_check::complete<dialkit::WatchSink>, "the backend interface is visible");
static_assert(!dialkit_header_check::complete<dialkit::WatchHandle>, "the backend interface is visible");
static_assert(!dialkit_header_check::complete<dialkit::BackendThread>, "the backend interface is visible");
static_assert(!dialkit_header_check::complete<dialkit::BackendContext>, "the backend interface is visible");
static_assert(!dialkit_header_check::complete<dialkit::DialRequest>, "the backend interface is visible");
static_assert(!dialkit_header_check::complete<dialkit::NativeReport>, "the backend interface is visible");
#endif
