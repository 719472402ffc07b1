// libFuzzer target for find_s5_sleep_type(): the bytes are a DSDT or SSDT body. It must never
// read out of bounds, overflow or VERIFY (the sanitizers and the VERIFY handler catch those), and
// a sleep type it returns must fit the 3-bit SLP_TYP field.

#include <Kernel/ACPI/SleepState.h>
#include <stddef.h>
#include <stdint.h>

namespace {

// Stops the run on a broken promise; libFuzzer saves the input that caused it.
void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}

// Written after every run so that the result has an observable use.
volatile uint64_t s_result_sink;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto result = Kernel::ACPI::find_s5_sleep_type(Core::ReadonlyBytes(data, size));
    if (result.is_error()) {
        auto code = result.error().code();
        require(code == Core::ErrorCode::NotFound || code == Core::ErrorCode::NotSupported
            || code == Core::ErrorCode::Malformed);
        s_result_sink = static_cast<uint64_t>(code);
        return 0;
    }
    require(result.value().type_a <= 7 && result.value().type_b <= 7);
    s_result_sink = result.value().type_a * 8u + result.value().type_b;
    return 0;
}
