// The four memory functions the compiler may call implicitly (for struct copies, array
// zeroing and the like) even in a freestanding build. They are plain byte loops that
// use "rep movsb/stosb": fast on every x86_64 CPU with ERMS, and correct on the rest.

#include <stddef.h>

extern "C" {

// Invariant for each asm block: RDI/RSI/RCX hold destination, source and count, the
// direction flag is clear (the ABI guarantees it at function entry), and the block
// writes only the `count` bytes at `destination`.
void* memcpy(void* destination, const void* source, size_t count)
{
    void* result = destination;
    asm volatile("rep movsb" : "+D"(destination), "+S"(source), "+c"(count)::"memory");
    return result;
}

void* memset(void* destination, int value, size_t count)
{
    void* result = destination;
    asm volatile("rep stosb" : "+D"(destination), "+c"(count) : "a"(value) : "memory");
    return result;
}

void* memmove(void* destination, const void* source, size_t count)
{
    auto* destination_bytes = static_cast<unsigned char*>(destination);
    const auto* source_bytes = static_cast<const unsigned char*>(source);
    if (destination_bytes <= source_bytes || destination_bytes >= source_bytes + count)
        return memcpy(destination, source, count);
    // Overlapping with the destination above the source: copy backwards.
    for (size_t index = count; index > 0; --index)
        destination_bytes[index - 1] = source_bytes[index - 1];
    return destination;
}

int memcmp(const void* first, const void* second, size_t count)
{
    const auto* first_bytes = static_cast<const unsigned char*>(first);
    const auto* second_bytes = static_cast<const unsigned char*>(second);
    for (size_t index = 0; index < count; ++index) {
        if (first_bytes[index] != second_bytes[index])
            return first_bytes[index] < second_bytes[index] ? -1 : 1;
    }
    return 0;
}

} // extern "C"
