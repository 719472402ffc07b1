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

// Stops every other online CPU with an NMI (which reaches a CPU even with interrupts
// off); the NMI handler halts a CPU once a panic has begun. Used by the panic path only.
// Returns how many CPUs were sent the NMI.
Core::u32 stop_other_processors();

// Wakes another CPU from hlt (reschedule IPI). With the scheduler (M1.4) the woken CPU
// looks for work; until then waking is all it does, and it is counted.
void send_reschedule(Core::u32 index);
[[nodiscard]] Core::u64 reschedule_interrupts_received(Core::u32 index);

// Services calls waiting for this CPU. Called from wait loops that may run with
// interrupts off (spinlocks, cross-CPU waits).
void process_pending_processor_calls();

} // namespace Kernel::Arch
