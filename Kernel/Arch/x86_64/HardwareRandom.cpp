#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/CPUFeatures.h>
#include <Kernel/Arch/x86_64/HardwareRandom.h>

namespace Kernel::Arch {

namespace {

constexpr Core::u32 retries = 10;

// Each asm block writes only its output register and the carry flag, which says whether
// the instruction produced a value.
bool try_rdseed(Core::u64& value)
{
    bool success;
    asm volatile("rdseed %0" : "=r"(value), "=@ccc"(success));
    return success;
}

bool try_rdrand(Core::u64& value)
{
    bool success;
    asm volatile("rdrand %0" : "=r"(value), "=@ccc"(success));
    return success;
}

} // namespace

Core::Optional<Core::u64> hardware_random_u64()
{
    // Read CPUID directly: this runs before the feature table is filled in.
    CpuFeatures features = detect_cpu_features();
    Core::u64 value = 0;
    if (features.rdseed) {
        for (Core::u32 attempt = 0; attempt < retries; ++attempt) {
            if (try_rdseed(value))
                return value;
            pause();
        }
    }
    if (features.rdrand) {
        for (Core::u32 attempt = 0; attempt < retries; ++attempt) {
            if (try_rdrand(value))
                return value;
        }
    }
    return {};
}

} // namespace Kernel::Arch
