// burrow: reach the services of a machine behind NAT through a relay you run.
#include "app/cli.hpp"

int main(int argc, char** argv) { return burrow::app::main(argc, argv); }
