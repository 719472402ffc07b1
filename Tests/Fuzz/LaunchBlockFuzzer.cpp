// Fuzz target: a launch block from another process (Userland/LibC/LaunchBlock.h). Whatever
// the bytes, decoding reads only inside them, and a block it accepts yields exactly its
// counts of terminated strings, all inside the bytes.

#include <Userland/LibC/LaunchBlock.h>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    // A copy of exactly `size` bytes, so that the sanitizer sees any read past them.
    std::vector<uint8_t> bytes(data, data + size);
    LibC::DecodedLaunchBlock decoded {};
    if (!LibC::decode_launch_block(bytes.data(), bytes.size(), decoded))
        return 0;
    std::vector<const char*> strings(decoded.argument_count + decoded.environment_count);
    LibC::launch_block_strings(decoded, strings.data());
    for (const char* string : strings) {
        auto offset = reinterpret_cast<uintptr_t>(string) - reinterpret_cast<uintptr_t>(bytes.data());
        if (offset >= bytes.size() || offset + std::strlen(string) >= bytes.size())
            __builtin_trap();
    }
    for (uint32_t index = 0; index < decoded.handle_count; ++index) {
        LibC::LaunchHandle handle;
        std::memcpy(&handle, &decoded.handles[index], sizeof(handle));
        (void)handle;
    }
    return 0;
}
