#pragma once

// string.h (C17 7.24), and POSIX's strnlen and strtok_r. Userland/LibC/Strings.cpp.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void* memcpy(void* destination, const void* source, size_t count);
void* memmove(void* destination, const void* source, size_t count);
void* memset(void* destination, int value, size_t count);
int memcmp(const void* first, const void* second, size_t count);
void* memchr(const void* bytes, int value, size_t count);
size_t strlen(const char* text);
size_t strnlen(const char* text, size_t limit);
int strcmp(const char* first, const char* second);
int strncmp(const char* first, const char* second, size_t limit);
char* strcpy(char* destination, const char* source);
char* strncpy(char* destination, const char* source, size_t count);
char* strcat(char* destination, const char* source);
char* strncat(char* destination, const char* source, size_t count);
char* strchr(const char* text, int character);
char* strrchr(const char* text, int character);
char* strstr(const char* haystack, const char* needle);
// The message for an errno value (Userland/LibC/Errors.cpp).
char* strerror(int error);
// A copy from malloc (POSIX).
char* strdup(const char* text);
size_t strspn(const char* text, const char* accepted);
size_t strcspn(const char* text, const char* rejected);
char* strpbrk(const char* text, const char* accepted);
char* strtok_r(char* text, const char* separators, char** saved);

#ifdef __cplusplus
}
#endif
