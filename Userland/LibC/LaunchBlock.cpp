#include <Userland/LibC/LaunchBlock.h>
#include <Userland/LibC/Strings.h>

namespace LibC {

namespace {

// Counts a null-terminated array and the bytes of its strings with their terminators;
// false past the limits.
bool measure(const char* const* strings, uint64_t& count, uint64_t& bytes)
{
    if (!strings)
        return true;
    for (; *strings; ++strings) {
        ++count;
        bytes += LibC::strlen(*strings) + 1;
        if (count > launch_maximum_strings || bytes > launch_maximum_bytes)
            return false;
    }
    return true;
}

uint8_t* append_strings(const char* const* strings, uint8_t* position)
{
    if (!strings)
        return position;
    for (; *strings; ++strings) {
        size_t length = LibC::strlen(*strings) + 1;
        LibC::memcpy(position, *strings, length);
        position += length;
    }
    return position;
}

} // namespace

size_t launch_block_size(const char* const* arguments, const char* const* environment, uint32_t handle_count)
{
    uint64_t count = 0;
    uint64_t bytes = 0;
    if (!measure(arguments, count, bytes) || !measure(environment, count, bytes))
        return 0;
    if (handle_count > 64)
        return 0;
    return sizeof(LaunchHeader) + handle_count * sizeof(LaunchHandle) + bytes;
}

size_t encode_launch_block(const char* const* arguments, const char* const* environment,
    const LaunchHandle* handles, uint32_t handle_count, uint8_t* buffer)
{
    uint64_t argument_count = 0;
    uint64_t environment_count = 0;
    uint64_t bytes = 0;
    (void)measure(arguments, argument_count, bytes);
    (void)measure(environment, environment_count, bytes);
    LaunchHeader header {
        .magic = launch_block_magic,
        .version = launch_block_version,
        .argument_count = static_cast<uint32_t>(argument_count),
        .environment_count = static_cast<uint32_t>(environment_count),
        .handle_count = handle_count,
        .string_bytes = bytes,
    };
    uint8_t* position = buffer;
    LibC::memcpy(position, &header, sizeof(header));
    position += sizeof(header);
    if (handle_count != 0)
        LibC::memcpy(position, handles, handle_count * sizeof(LaunchHandle));
    position += handle_count * sizeof(LaunchHandle);
    position = append_strings(arguments, position);
    position = append_strings(environment, position);
    return static_cast<size_t>(position - buffer);
}

bool decode_launch_block(const uint8_t* bytes, size_t size, DecodedLaunchBlock& decoded)
{
    if (size < sizeof(LaunchHeader))
        return false;
    LaunchHeader header;
    LibC::memcpy(&header, bytes, sizeof(header));
    if (header.magic != launch_block_magic || header.version != launch_block_version)
        return false;
    uint64_t string_count = uint64_t(header.argument_count) + header.environment_count;
    if (string_count > launch_maximum_strings || header.handle_count > 64
        || header.string_bytes > launch_maximum_bytes)
        return false;
    uint64_t strings_offset = sizeof(LaunchHeader) + uint64_t(header.handle_count) * sizeof(LaunchHandle);
    // The strings may be followed by padding (a memory object is whole pages), never cut.
    if (strings_offset > size || header.string_bytes > size - strings_offset)
        return false;
    // Exactly string_count terminators inside string_bytes, the last byte one of them.
    const char* strings = reinterpret_cast<const char*>(bytes + strings_offset);
    uint64_t terminators = 0;
    for (uint64_t index = 0; index < header.string_bytes; ++index) {
        if (strings[index] == 0)
            ++terminators;
    }
    if (terminators != string_count)
        return false;
    if (header.string_bytes != 0 && strings[header.string_bytes - 1] != 0)
        return false;
    decoded = DecodedLaunchBlock {
        .argument_count = header.argument_count,
        .environment_count = header.environment_count,
        .handle_count = header.handle_count,
        .handles = reinterpret_cast<const LaunchHandle*>(bytes + sizeof(LaunchHeader)),
        .strings = strings,
    };
    return true;
}

void launch_block_strings(const DecodedLaunchBlock& decoded, const char** pointers)
{
    const char* position = decoded.strings;
    uint32_t count = decoded.argument_count + decoded.environment_count;
    for (uint32_t index = 0; index < count; ++index) {
        pointers[index] = position;
        position += LibC::strlen(position) + 1;
    }
}

} // namespace LibC
