// The signals core delivers on (Boost.Signals2): a slot that throws is reported and the
// others still run (DESIGN.md section 2, rule 5).
#pragma once

#include <exception>
#include <functional>
#include <string>

#include <boost/signals2/signal.hpp>

#include <dialkit/event.hpp>

namespace dialkit::detail {

// Catches what a slot throws, reports it, and goes on with the next slot (rule 5).
template <class Report>
struct IsolatingCombiner {
  using result_type = void;
  Report report;
  template <class It>
  void operator()(It first, It last) const {
    for (; first != last; ++first) {
      try {
        *first;
      } catch (const std::exception& e) {
        if (report) report(std::string("a subscriber threw: ") + e.what());
      } catch (...) {
        if (report) report("a subscriber threw a non-standard exception");
      }
    }
  }
};

using SlotErrorReport = std::function<void(std::string)>;
using EventSignal = boost::signals2::signal<void(const Event&), IsolatingCombiner<SlotErrorReport>>;
using DiagnosticSignal =
    boost::signals2::signal<void(const Diagnostic&), IsolatingCombiner<SlotErrorReport>>;

}  // namespace dialkit::detail
