// The one mapping-doc generator of the tree: a backend lists the README blocks made from its
// tables in a function returning dialkit::plugin::MappingDoc items (next to the tables, see
// plugins/include/dialkit/mapping.hpp); CMake compiles this file once per backend with
// DIALKIT_MAPPING_HEADER naming that header and DIALKIT_MAPPING_DOCS the function
// (cmake/DialkitMappingDocs.cmake, dialkit_backend_mapping_docs). `mapping_doc BLOCK` prints one
// block; with no argument it lists them.
#include <iostream>
#include <string_view>

#include <dialkit/mapping.hpp>

#include DIALKIT_MAPPING_HEADER

int main(int argc, char** argv) {
  const auto docs = DIALKIT_MAPPING_DOCS();
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " BLOCK\nblocks:";
    for (const auto& doc : docs) std::cerr << ' ' << doc.block;
    std::cerr << '\n';
    return 2;
  }
  const std::string_view wanted = argv[1];
  for (const auto& doc : docs) {
    if (doc.block == wanted) {
      std::cout << doc.render();
      return std::cout.good() ? 0 : 1;
    }
  }
  std::cerr << argv[0] << ": no block '" << wanted << "'\n";
  return 2;
}
