#pragma once

// Running a function on other CPUs through an inter-processor interrupt, and waiting for
// it. The TLB shootdown of Memory::invalidate_* and the SMP kernel tests are built on it.
//
// A CPU waiting for others keeps answering calls made to it, so two CPUs calling each
// other at once cannot deadlock, even with interrupts off.

#include <Core/Types.h>

namespace Kernel::Arch {

using ProcessorFunction = void (*)(void* argument);

// Installs the call IPI handler. Called once by the boot CPU before others start.
void initialize_processor_calls();

// Runs `function(argument)` on the processor with that index (in interrupt context, so the
// function must be short and must not block) and returns when it has finished. On the
// calling CPU itself the function is simply called.
void run_on_processor(Core::u32 index, ProcessorFunction function, void* argument);
// Runs it on every online processor other than the caller, in parallel, and waits for all.
void run_on_other_processors(ProcessorFunction function, void* argument);

// Services calls waiting for this CPU. Called from wait loops that may run with
// interrupts off (spinlocks, cross-CPU waits).
void process_pending_processor_calls();

} // namespace Kernel::Arch
