#pragma once

// The system-control object: the authority over the machine as a whole (ABI/System.h).
// Powering off and rebooting stop every program, so they are a capability of their own
// rather than something any process may do; process 1 starts with the only handle and
// passes it, narrowed, to whoever it trusts (the shell's `shutdown`, `dmesg`, `free`).
//
// Rights: Manage to power off or reboot, Read to read the kernel log and memory totals,
// Duplicate, Transfer. It has no state: one object serves everyone.

#include <Core/Error.h>
#include <Core/RefPtr.h>
#include <Kernel/Objects/KernelObject.h>

namespace Kernel::Platform {

class SystemControl final : public Objects::TypedKernelObject<ABI::ObjectType::SystemControl> {
public:
    // The one object, made on first use. OutOfMemory.
    [[nodiscard]] static Core::Result<Core::RefPtr<SystemControl>> instance();

private:
    SystemControl() = default;
};

} // namespace Kernel::Platform
