#include <Core/NoThrow.h>
#include <Kernel/Tasks/Process.h>

namespace Kernel::Tasks {

Core::Result<Core::RefPtr<Process>> Process::create(const char* name)
{
    Memory::AddressSpace* space = TRY(Memory::AddressSpace::create());
    auto* process = new (Core::nothrow) Process(name, space);
    if (!process) {
        delete space;
        return Core::ErrorCode::OutOfMemory;
    }
    return Core::RefPtr<Process>::adopt(process);
}

Process::~Process()
{
    // Nobody can reach the process any more, so its table needs no lock. Its handles go
    // first (they may name objects that refer to memory of this space), then the space,
    // with every frame it owns.
    m_handles.close_all();
    delete m_address_space;
}

} // namespace Kernel::Tasks
