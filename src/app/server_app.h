// Wires arcanad together: config -> root key -> store -> services -> pipeline -> listener.
// Split from main() so start-up order and its failure messages live in one readable place.
#pragma once

#include "config/config.h"

namespace arcana::app {

// Runs the server until SIGINT/SIGTERM. Returns the process exit code.
int RunServer(const config::Config& cfg);

}  // namespace arcana::app
