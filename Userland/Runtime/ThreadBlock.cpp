#include <Userland/Runtime/System.h>
#include <Userland/Runtime/ThreadBlock.h>

// Called by Start.S with the block it reserved at the top of the new thread's stack, before
// main or thread_main: clears it, makes it point to itself and bases FS at it.
extern "C" void raeen_thread_setup(Runtime::ThreadBlock* block)
{
    *block = {};
    block->self = block;
    // A user address (the thread's own stack), so the kernel takes it.
    (void)System::thread_set_pointer(block);
}
