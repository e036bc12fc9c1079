/// @file
/// What a backend plugin includes to export itself. One line in one source file of the plugin:
///
///   DIALKIT_PLUGIN(MyBackendFactory)
///
/// exports the plugin's single entry point through Boost.DLL, in the "dialkit" section, under
/// an alias whose name carries the plugin ABI version and the build key. The host reads that
/// name without running any of the plugin's code and refuses a plugin built differently.
/// The entry point never lets an exception out: a factory that throws becomes an Error.
#pragma once

#include <exception>
#include <memory>
#include <string>

#include <boost/dll/alias.hpp>
#include <boost/preprocessor/cat.hpp>

#include <dialkit/backend.hpp>
#include <dialkit/error.hpp>
#include <dialkit/plugin_loader.hpp>

/// The ABI version compiled into a plugin; must equal dialkit::plugin_abi_version. A test may
/// define it differently to build a mismatching plugin.
#ifndef DIALKIT_PLUGIN_ABI
#define DIALKIT_PLUGIN_ABI 2
#endif

/// The build key as an identifier; CMake (dialkit_add_plugin) defines it.
#ifndef DIALKIT_BUILD_KEY_ID
#error "DIALKIT_BUILD_KEY_ID is not defined: build plugins with dialkit_add_plugin()"
#endif

/// What backend plugins use: the entry point (plugin.hpp) and the mapping helpers (mapping.hpp).
namespace dialkit::plugin {

using EntryResult = PluginEntryResult;  ///<what the entry point returns: the factory, or an error
using EntryFunction = PluginEntryFunction;  ///<the entry point's type
inline constexpr std::string_view entry_alias_prefix = plugin_entry_alias_prefix;  ///<the start of the entry point's alias name

/// Makes the plugin's factory, turning an exception into Errc::plugin_rejected (no
/// exception crosses the plugin boundary). DIALKIT_PLUGIN calls it.
template <class Factory>
EntryResult make_factory() noexcept {
  try {
    return std::unique_ptr<BackendFactory>(new Factory());
  } catch (const std::exception& e) {
    return fail(make_error(Errc::plugin_rejected, std::string("the plugin's factory threw: ") + e.what()));
  } catch (...) {
    return fail(make_error(Errc::plugin_rejected, "the plugin's factory threw a non-standard exception"));
  }
}

}  // namespace dialkit::plugin

/// The entry point's alias name: dialkit_abi, the ABI version, "__", the build key.
#define DIALKIT_PLUGIN_ENTRY_ALIAS \
  BOOST_PP_CAT(BOOST_PP_CAT(BOOST_PP_CAT(dialkit_abi, DIALKIT_PLUGIN_ABI), __), DIALKIT_BUILD_KEY_ID)

/// Exports `FactoryType` (a BackendFactory with a default constructor) as the plugin's
/// entry point. Use it once, in one source file of the plugin.
#define DIALKIT_PLUGIN(FactoryType)                                                      \
  namespace dialkit_plugin_entry {                                                       \
  inline ::dialkit::plugin::EntryResult entry() noexcept {                               \
    return ::dialkit::plugin::make_factory<FactoryType>();                               \
  }                                                                                      \
  }                                                                                      \
  BOOST_DLL_ALIAS_SECTIONED(dialkit_plugin_entry::entry, DIALKIT_PLUGIN_ENTRY_ALIAS, dialkit)
