/// @file
/// The `main()` of a mapping-doc generator: a backend lists the Markdown blocks it can print
/// from its own mapping tables, and README blocks are generated from them (so docs never
/// drift from the code). `cmake/DialkitMappingDocs.cmake` checks and updates the blocks and
/// gives each generator this directory as an include path. A tool of this tree, not API: it is
/// not installed.
#pragma once

#include <iostream>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

namespace dialkit::doc {

/// One generated README block: its name (the marker's) and what prints it.
struct DocBlock {
  std::string_view name;              ///< the name in `<!-- BEGIN GENERATED: name -->`
  void (*print)(std::ostream& out);   ///< prints the block's Markdown
};

/// Text for one Markdown table cell: a `|` would end the cell, so it is escaped.
inline std::string markdown_cell(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

/// Prints the block named by `argv[1]` to stdout. Returns 0, 1 if writing failed, or 2 (with
/// the list of blocks on stderr) for a missing or unknown name.
inline int run_doc_blocks(int argc, char** argv, std::span<const DocBlock> blocks) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " BLOCK\nblocks:";
    for (const auto& b : blocks) std::cerr << ' ' << b.name;
    std::cerr << '\n';
    return 2;
  }
  const std::string_view wanted = argv[1];
  for (const auto& b : blocks) {
    if (b.name == wanted) {
      b.print(std::cout);
      return std::cout.good() ? 0 : 1;
    }
  }
  std::cerr << argv[0] << ": no block '" << wanted << "'\n";
  return 2;
}

}  // namespace dialkit::doc
