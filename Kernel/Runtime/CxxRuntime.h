#pragma once

namespace Kernel::Runtime {

// Runs the constructors of global objects (.init_array). Called once, first thing in
// kernel_main, before anything reads a global with a dynamic initialiser.
void run_global_constructors();

} // namespace Kernel::Runtime
