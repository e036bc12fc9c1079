/// @file
/// What a backend plugin includes to export itself. One line in one source file of the plugin:
///
///   DIALKIT_PLUGIN(MyBackendFactory, "mybackend", "what it dials, in one line")
///
/// writes the plugin's ABI record (plugin ABI version, build key, backend name, description)
/// as data into its ".dialkit" section, and exports its single entry point through Boost.DLL
/// under an alias whose name carries the ABI version and the build key. The host reads the
/// record out of the file without running any of the plugin's code, refuses a plugin built
/// differently, and only then loads it. The record is data, so `strip` keeps it. The name
/// must be what the factory's name() returns ([a-z0-9_-]+; checked when this compiles and
/// again when the plugin loads). The entry point never lets an exception out: a factory that
/// throws becomes an Error.
#pragma once

#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include <boost/dll/alias.hpp>
#include <boost/preprocessor/cat.hpp>
#include <boost/preprocessor/stringize.hpp>

#include <dialkit/backend.hpp>
#include <dialkit/error.hpp>
#include <dialkit/plugin_loader.hpp>

/// The ABI version compiled into a plugin; must equal dialkit::plugin_abi_version. A test may
/// define it differently to build a mismatching plugin.
#ifndef DIALKIT_PLUGIN_ABI
#define DIALKIT_PLUGIN_ABI 5
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

namespace detail {
// Copies `text` into a NUL-terminated field of `N` bytes; a text that does not fit (or holds a
// NUL) does not compile: a consteval function cannot throw.
template <std::size_t N>
consteval void put_field(char (&field)[N], std::string_view text, bool terminated = true) {
  if (text.size() + (terminated ? 1 : 0) > N) throw "a plugin record field is too long";
  std::size_t i = 0;
  for (; i < text.size(); ++i) {
    if (text[i] == '\0') throw "a plugin record field holds a NUL";
    field[i] = text[i];
  }
  for (; i < N; ++i) field[i] = '\0';
}
}  // namespace detail

/// The plugin's ABI record (DIALKIT_PLUGIN makes it). An invalid backend name, or a field too
/// long for the record, does not compile.
consteval PluginRecord make_record(std::string_view abi, std::string_view build_key, std::string_view name,
                                   std::string_view description) {
  if (!is_valid_backend_name(name)) throw "a backend name is [a-z0-9_-]+, at most 63 characters";
  PluginRecord record{};
  detail::put_field(record.magic, plugin_record_magic, false);
  detail::put_field(record.abi, abi);
  detail::put_field(record.build_key, build_key);
  detail::put_field(record.name, name);
  detail::put_field(record.description, description);
  return record;
}

}  // namespace dialkit::plugin

/// Places the plugin record in its section and keeps it (the symbol is exported, so a linker
/// that drops unreferenced sections keeps it too).
#if defined(_MSC_VER) && !defined(__clang__)
#define DIALKIT_PLUGIN_RECORD_SECTION __pragma(section(".dialkit", read)) __declspec(allocate(".dialkit"))
#else
#define DIALKIT_PLUGIN_RECORD_SECTION __attribute__((used, section(".dialkit")))
#endif

/// The entry point's alias name: dialkit_abi, the ABI version, "__", the build key.
#define DIALKIT_PLUGIN_ENTRY_ALIAS \
  BOOST_PP_CAT(BOOST_PP_CAT(BOOST_PP_CAT(dialkit_abi, DIALKIT_PLUGIN_ABI), __), DIALKIT_BUILD_KEY_ID)

/// Exports `FactoryType` (a BackendFactory with a default constructor) as the plugin's
/// entry point, with its record: `name` (what FactoryType::name() returns) and `description`
/// (a line for people) are constant expressions convertible to std::string_view. Use it
/// once, in one source file of the plugin.
#define DIALKIT_PLUGIN(FactoryType, name, description)                                                \
  extern "C" BOOST_SYMBOL_EXPORT DIALKIT_PLUGIN_RECORD_SECTION const ::dialkit::PluginRecord        \
      dialkit_plugin_record = ::dialkit::plugin::make_record(                                       \
          BOOST_PP_STRINGIZE(DIALKIT_PLUGIN_ABI), BOOST_PP_STRINGIZE(DIALKIT_BUILD_KEY_ID), name,   \
          description);                                                                             \
  namespace dialkit_plugin_entry {                                                                  \
  inline ::dialkit::plugin::EntryResult entry() noexcept {                                          \
    return ::dialkit::plugin::make_factory<FactoryType>();                                          \
  }                                                                                                 \
  }                                                                                                 \
  BOOST_DLL_ALIAS_SECTIONED(dialkit_plugin_entry::entry, DIALKIT_PLUGIN_ENTRY_ALIAS, dialkit)
