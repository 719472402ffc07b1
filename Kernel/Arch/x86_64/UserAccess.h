#pragma once

// The user-access window. With SMAP on, the kernel faults on any access to a user page
// unless RFLAGS.AC is set; the window sets it (stac) for its lifetime and clears it (clac)
// afterwards. It is opened only around a single copy to or from user memory
// (Memory::copy_from_user / copy_to_user) and by kernel tests.

#include <Kernel/Arch/x86_64/CPUFeatures.h>

namespace Kernel::Arch {

class UserAccessWindow {
public:
    UserAccessWindow()
        : m_smap(cpu_features().smap)
    {
        // stac/clac only exist on CPUs with SMAP; without it there is nothing to open.
        if (m_smap)
            asm volatile("stac" ::: "memory");
    }
    ~UserAccessWindow()
    {
        if (m_smap)
            asm volatile("clac" ::: "memory");
    }
    UserAccessWindow(const UserAccessWindow&) = delete;
    UserAccessWindow& operator=(const UserAccessWindow&) = delete;

private:
    bool m_smap;
};

} // namespace Kernel::Arch
