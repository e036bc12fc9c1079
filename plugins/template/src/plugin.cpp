// The plugin's entry point: one line that exports the factory through Boost.DLL under an
// alias carrying the plugin ABI version and the build key (see dialkit/plugin.hpp). Keep it
// in its own file, so that the backend's code also builds as a static library for tests.
#include <dialkit/plugin.hpp>

#include "template_backend.hpp"

DIALKIT_PLUGIN(dialkit_template::TemplateFactory)
