// The RAS plugin's entry point (Windows builds only). MinGW cannot export the weak symbol
// BOOST_DLL_ALIAS uses by default; the toolchain defines BOOST_DLL_FORCE_ALIAS_INSTANTIATION,
// and this file defines it too so that the plugin exports its entry with any toolchain file.
#ifndef BOOST_DLL_FORCE_ALIAS_INSTANTIATION
#define BOOST_DLL_FORCE_ALIAS_INSTANTIATION
#endif
#include <dialkit/plugin.hpp>

#include "backend.hpp"

DIALKIT_PLUGIN(dialkit::ras::RasFactory, dialkit::ras::backend_name, dialkit::ras::backend_description)
