#pragma once

// What the process tests (ProcessTests.cpp) and their child program (ProcessChild.cpp) agree
// on: the child's argument is the mode it runs in, each of which ends it in a different way.

#include <stdint.h>

namespace ProcessChild {

enum class Mode : uint64_t {
    ReturnFortyTwo = 1,
    Fault = 2,
    BlockForever = 3,
    SpinForever = 4,
    CheckStartupHandles = 5,
    ExitWhileAnotherThreadSpins = 6,
    FaultInSecondThread = 7,
    LastThreadGivesStatus = 8,
};

} // namespace ProcessChild
