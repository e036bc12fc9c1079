// The mock's plugin entry point: only the MODULE build compiles this file; the static library
// dialkit::mock has the same backend without it.
#include <dialkit/mock.hpp>
#include <dialkit/plugin.hpp>

DIALKIT_PLUGIN(dialkit::mock::MockFactory, dialkit::mock::backend_name, dialkit::mock::backend_description)
