#pragma once

// stdio.h (C17 7.21), the parts there so far: formatting into a buffer. Streams (FILE,
// printf to the console) come with the console service. Userland/LibC/Formatting.cpp.

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

int snprintf(char* buffer, size_t capacity, const char* format, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char* buffer, size_t capacity, const char* format, va_list arguments)
    __attribute__((format(printf, 3, 0)));

#ifdef __cplusplus
}
#endif
