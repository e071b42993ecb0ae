#pragma once

namespace burrow::app {

// The whole command line: parses argv, runs the subcommand, returns the exit status.
int main(int argc, char** argv);

}  // namespace burrow::app
