// Fuzz target: init's service manifest (Userland/Init/Manifest.h), text from the RAM disk.
// Whatever the bytes, the parser reads only inside them, and every service it accepts has
// a valid name and an absolute program path within the limits.

#include <Userland/Init/Manifest.h>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::vector<char> text(data, data + size);
    static Init::Manifest manifest;
    Init::parse_manifest(text.data(), text.size(), manifest);
    if (manifest.service_count > Init::maximum_services)
        __builtin_trap();
    for (size_t index = 0; index < manifest.service_count; ++index) {
        const Init::ServiceDescription& service = manifest.services[index];
        size_t name = std::strlen(service.name);
        size_t program = std::strlen(service.program);
        if (name == 0 || name > Init::maximum_name || program < 2 || program > Init::maximum_program
            || service.program[0] != '/' || (service.resources & ~0xFFFFu) != 0)
            __builtin_trap();
    }
    return 0;
}
