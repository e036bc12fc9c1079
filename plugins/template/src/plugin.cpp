// The plugin's entry point: one line that writes the plugin's record (ABI version, build key,
// backend name, description) into its ".dialkit" section and exports the factory through
// Boost.DLL (see dialkit/plugin.hpp). The name must be what TemplateFactory::name() returns:
// both come from backend.hpp.
// Keep it in its own file, so that the backend's code also builds as a static library for tests.
#include <dialkit/plugin.hpp>

#include "backend.hpp"

DIALKIT_PLUGIN(dialkit_template::TemplateFactory, dialkit_template::backend_name,
               dialkit_template::backend_description)
