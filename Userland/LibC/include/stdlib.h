#pragma once

// stdlib.h (C17 7.22), the parts there so far: integer conversions, searching and sorting,
// integer arithmetic (Userland/LibC/Conversions.cpp), and ending the program
// (Userland/LibC/ProgramLifetime.cpp).

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

long strtol(const char* text, char** end, int base);
long long strtoll(const char* text, char** end, int base);
unsigned long strtoul(const char* text, char** end, int base);
unsigned long long strtoull(const char* text, char** end, int base);
// Correctly rounded (Userland/LibC/FloatParsing.cpp); ERANGE on overflow and underflow.
double strtod(const char* text, char** end);
float strtof(const char* text, char** end);
long double strtold(const char* text, char** end);
double atof(const char* text);
int atoi(const char* text);
long atol(const char* text);
long long atoll(const char* text);

void qsort(void* elements, size_t count, size_t size, int (*compare)(const void*, const void*));
void* bsearch(const void* key, const void* elements, size_t count, size_t size,
    int (*compare)(const void*, const void*));

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1

// Runs the atexit handlers (and the destructors of globals), last registered first, then
// ends the process, every thread, with `status`. Returning from main is exit(its result).
__attribute__((noreturn)) void exit(int status);
int atexit(void (*function)(void));
// Ends the process at once with status 134 (128 + SIGABRT), running no handler.
__attribute__((noreturn)) void abort(void);

// Memory (Userland/LibC/Memory.cpp): blocks aligned to 16 bytes, from memory objects.
// ENOMEM when none is left.
void* malloc(size_t size);
void* calloc(size_t count, size_t size);
void* realloc(void* block, size_t size);
void free(void* block);
// Aligned to `alignment`, a power of two (EINVAL otherwise); free() gives it back.
void* aligned_alloc(size_t alignment, size_t size);
int posix_memalign(void** result, size_t alignment, size_t size);
// Runs `command` with /bin/sh -c and returns its exit status as a wait status (the low eight
// bits of the status, shifted left eight: <sys/wait.h>'s WEXITSTATUS); -1 when it cannot start.
// A null command asks whether there is a shell.
int system(const char* command);

// The environment (Userland/LibC/Environment.cpp).
char* getenv(const char* name);
int setenv(const char* name, const char* value, int overwrite);
int unsetenv(const char* name);

#define RAND_MAX 2147483647
int rand(void);
void srand(unsigned seed);

typedef struct {
    int quot;
    int rem;
} div_t;
typedef struct {
    long quot;
    long rem;
} ldiv_t;
typedef struct {
    long long quot;
    long long rem;
} lldiv_t;
div_t div(int numerator, int denominator);
ldiv_t ldiv(long numerator, long denominator);
lldiv_t lldiv(long long numerator, long long denominator);

int abs(int value);
long labs(long value);
long long llabs(long long value);

#ifdef __cplusplus
}
#endif
