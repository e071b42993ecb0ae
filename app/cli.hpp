#pragma once
#include <memory>

namespace burrow::relay {
class SpliceObserver;
}

namespace burrow::app {

// The whole command line: parses argv, runs the subcommand, returns the exit
// status. `splices` watches a relay's splices (tests/support/tap_relay.cpp).
int main(int argc, char** argv, std::shared_ptr<relay::SpliceObserver> splices = nullptr);

}  // namespace burrow::app
