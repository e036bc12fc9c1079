// The pppd backend's plugin entry point: only the MODULE build compiles this file; the static
// library dialkit::pppd has the same backend without it.
#include <dialkit/plugin.hpp>
#include <dialkit/pppd/backend.hpp>

DIALKIT_PLUGIN(dialkit::pppd::PppdFactory)
