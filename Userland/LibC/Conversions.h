#pragma once

// stdlib.h's string-to-integer conversions (C17 7.22.1.4) and its searching and sorting
// (7.22.5), pure and freestanding. Where C sets errno, these report through `range_error`
// (ERANGE: the value did not fit and was clamped) and `base_error` (EINVAL: a base outside
// 0 and 2-36); the exported C functions (Userland/LibC/CFunctions.cpp) set errno from them.

#include <stddef.h>

namespace LibC {

struct ConversionErrors {
    bool range_error { false };
    bool base_error { false };
};

long strtol(const char* text, char** end, int base, ConversionErrors& errors);
long long strtoll(const char* text, char** end, int base, ConversionErrors& errors);
unsigned long strtoul(const char* text, char** end, int base, ConversionErrors& errors);
unsigned long long strtoull(const char* text, char** end, int base, ConversionErrors& errors);

// Sorts `count` elements of `size` bytes with `compare`: heapsort, so O(n log n) whatever
// the input, and no memory beyond the stack (C does not ask qsort to be stable).
void qsort(void* elements, size_t count, size_t size, int (*compare)(const void*, const void*));
// An element equal to `key` in elements sorted by `compare`, or null.
void* bsearch(const void* key, const void* elements, size_t count, size_t size,
    int (*compare)(const void*, const void*));

} // namespace LibC
