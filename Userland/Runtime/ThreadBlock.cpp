#include <Userland/Runtime/System.h>
#include <Userland/Runtime/ThreadBlock.h>

namespace Runtime {

uint32_t g_process_handle;

} // namespace Runtime

// Called by Start.S with the block it reserved at the top of the new thread's stack, and the
// handle to the thread's process every entry point receives, before main or thread_main:
// clears the block, makes it point to itself and bases FS at it, and keeps the handle for
// the library (Runtime::process_handle).
extern "C" void raeen_thread_setup(Runtime::ThreadBlock* block, uint64_t process)
{
    Runtime::g_process_handle = static_cast<uint32_t>(process);
    *block = {};
    block->self = block;
    // A user address (the thread's own stack), so the kernel takes it.
    (void)System::thread_set_pointer(block);
}
