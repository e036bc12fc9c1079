// The NetworkManager backend's plugin entry point: only the MODULE build compiles this file.
#include <dialkit/plugin.hpp>

#include "backend.hpp"

DIALKIT_PLUGIN(dialkit::networkmanager::NetworkManagerFactory, dialkit::networkmanager::backend_name,
               dialkit::networkmanager::backend_description)
