// The C library's exported functions: the C names of Userland/LibC/include's headers, each
// forwarding to the pure implementation in namespace LibC, and setting errno where C says.
// Built for user space only (the host has its own C library).

#include <Userland/LibC/Characters.h>
#include <Userland/LibC/Conversions.h>
#include <Userland/LibC/FloatParsing.h>
#include <Userland/LibC/Formatting.h>
#include <Userland/LibC/Scanning.h>
#include <Userland/LibC/Strings.h>
#include <Userland/LibC/include/ctype.h>
#include <Userland/LibC/include/errno.h>
#include <Userland/LibC/include/stdio.h>
#include <Userland/LibC/include/stdlib.h>
#include <Userland/LibC/include/string.h>
#include <Userland/Runtime/ThreadBlock.h>

extern "C" {

int* __errno_location(void)
{
    return &Runtime::current_thread_block()->error_number;
}

// ---- string.h ----

void* memcpy(void* destination, const void* source, size_t count)
{
    return LibC::memcpy(destination, source, count);
}
void* memmove(void* destination, const void* source, size_t count)
{
    return LibC::memmove(destination, source, count);
}
void* memset(void* destination, int value, size_t count)
{
    return LibC::memset(destination, value, count);
}
int memcmp(const void* first, const void* second, size_t count)
{
    return LibC::memcmp(first, second, count);
}
void* memchr(const void* bytes, int value, size_t count)
{
    return LibC::memchr(bytes, value, count);
}
size_t strlen(const char* text)
{
    return LibC::strlen(text);
}
size_t strnlen(const char* text, size_t limit)
{
    return LibC::strnlen(text, limit);
}
int strcmp(const char* first, const char* second)
{
    return LibC::strcmp(first, second);
}
int strncmp(const char* first, const char* second, size_t limit)
{
    return LibC::strncmp(first, second, limit);
}
char* strcpy(char* destination, const char* source)
{
    return LibC::strcpy(destination, source);
}
char* strncpy(char* destination, const char* source, size_t count)
{
    return LibC::strncpy(destination, source, count);
}
char* strcat(char* destination, const char* source)
{
    return LibC::strcat(destination, source);
}
char* strncat(char* destination, const char* source, size_t count)
{
    return LibC::strncat(destination, source, count);
}
char* strchr(const char* text, int character)
{
    return LibC::strchr(text, character);
}
char* strrchr(const char* text, int character)
{
    return LibC::strrchr(text, character);
}
char* strstr(const char* haystack, const char* needle)
{
    return LibC::strstr(haystack, needle);
}
size_t strspn(const char* text, const char* accepted)
{
    return LibC::strspn(text, accepted);
}
size_t strcspn(const char* text, const char* rejected)
{
    return LibC::strcspn(text, rejected);
}
char* strpbrk(const char* text, const char* accepted)
{
    return LibC::strpbrk(text, accepted);
}
char* strtok_r(char* text, const char* separators, char** saved)
{
    return LibC::strtok_r(text, separators, saved);
}

// ---- ctype.h ----

int isalnum(int character)
{
    return LibC::isalnum(character);
}
int isalpha(int character)
{
    return LibC::isalpha(character);
}
int isblank(int character)
{
    return LibC::isblank(character);
}
int iscntrl(int character)
{
    return LibC::iscntrl(character);
}
int isdigit(int character)
{
    return LibC::isdigit(character);
}
int isgraph(int character)
{
    return LibC::isgraph(character);
}
int islower(int character)
{
    return LibC::islower(character);
}
int isprint(int character)
{
    return LibC::isprint(character);
}
int ispunct(int character)
{
    return LibC::ispunct(character);
}
int isspace(int character)
{
    return LibC::isspace(character);
}
int isupper(int character)
{
    return LibC::isupper(character);
}
int isxdigit(int character)
{
    return LibC::isxdigit(character);
}
int tolower(int character)
{
    return LibC::tolower(character);
}
int toupper(int character)
{
    return LibC::toupper(character);
}

// ---- stdlib.h ----

namespace {

// errno for what a conversion reported (C17 7.22.1.4: ERANGE; POSIX: EINVAL for a base).
void set_errno_from(const LibC::ConversionErrors& errors)
{
    if (errors.range_error)
        errno = ERANGE;
    else if (errors.base_error)
        errno = EINVAL;
}

} // namespace

double strtod(const char* text, char** end)
{
    LibC::ConversionErrors errors;
    double value = LibC::strtod(text, end, errors);
    set_errno_from(errors);
    return value;
}
float strtof(const char* text, char** end)
{
    LibC::ConversionErrors errors;
    float value = LibC::strtof(text, end, errors);
    set_errno_from(errors);
    return value;
}
long double strtold(const char* text, char** end)
{
    LibC::ConversionErrors errors;
    long double value = LibC::strtold(text, end, errors);
    set_errno_from(errors);
    return value;
}
double atof(const char* text)
{
    return strtod(text, nullptr);
}

long strtol(const char* text, char** end, int base)
{
    LibC::ConversionErrors errors;
    long value = LibC::strtol(text, end, base, errors);
    set_errno_from(errors);
    return value;
}
long long strtoll(const char* text, char** end, int base)
{
    LibC::ConversionErrors errors;
    long long value = LibC::strtoll(text, end, base, errors);
    set_errno_from(errors);
    return value;
}
unsigned long strtoul(const char* text, char** end, int base)
{
    LibC::ConversionErrors errors;
    unsigned long value = LibC::strtoul(text, end, base, errors);
    set_errno_from(errors);
    return value;
}
unsigned long long strtoull(const char* text, char** end, int base)
{
    LibC::ConversionErrors errors;
    unsigned long long value = LibC::strtoull(text, end, base, errors);
    set_errno_from(errors);
    return value;
}
// atoi and friends are strtol in base 10 whose out-of-range results C leaves undefined:
// here, the clamped value (and errno as strtol sets it).
int atoi(const char* text)
{
    return static_cast<int>(strtol(text, nullptr, 10));
}
long atol(const char* text)
{
    return strtol(text, nullptr, 10);
}
long long atoll(const char* text)
{
    return strtoll(text, nullptr, 10);
}
void qsort(void* elements, size_t count, size_t size, int (*compare)(const void*, const void*))
{
    LibC::qsort(elements, count, size, compare);
}
void* bsearch(const void* key, const void* elements, size_t count, size_t size,
    int (*compare)(const void*, const void*))
{
    return LibC::bsearch(key, elements, count, size, compare);
}
// rand: a 64-bit linear congruential generator (Knuth's MMIX constants), its high bits
// returned; the same seed gives the same sequence, as C requires. Not for secrets.
namespace {
uint64_t s_random_state = 1;
}

int rand(void)
{
    s_random_state = s_random_state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<int>(s_random_state >> 33);
}

void srand(unsigned seed)
{
    s_random_state = seed;
}

div_t div(int numerator, int denominator)
{
    return { numerator / denominator, numerator % denominator };
}

ldiv_t ldiv(long numerator, long denominator)
{
    return { numerator / denominator, numerator % denominator };
}

lldiv_t lldiv(long long numerator, long long denominator)
{
    return { numerator / denominator, numerator % denominator };
}

int abs(int value)
{
    return value < 0 ? -value : value;
}
long labs(long value)
{
    return value < 0 ? -value : value;
}
long long llabs(long long value)
{
    return value < 0 ? -value : value;
}

// ---- stdio.h ----

int vsnprintf(char* buffer, size_t capacity, const char* format, va_list arguments)
{
    LibC::BufferSink sink(buffer, capacity);
    int length = LibC::format(sink, format, arguments);
    // A refused conversion (%n, long double, an unknown one, a wide character UTF-8 cannot
    // encode) or an output past INT_MAX.
    if (length < 0)
        errno = EINVAL;
    return length;
}
int vsscanf(const char* text, const char* format, va_list arguments)
{
    LibC::StringSource source(text);
    int result = LibC::scan(source, format, arguments);
    if (result == -2) {
        // A format the engine refuses (%L, an unknown conversion).
        errno = EINVAL;
        return EOF;
    }
    return result;
}

int sscanf(const char* text, const char* format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    int result = vsscanf(text, format, arguments);
    va_end(arguments);
    return result;
}

int snprintf(char* buffer, size_t capacity, const char* format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    int length = vsnprintf(buffer, capacity, format, arguments);
    va_end(arguments);
    return length;
}

} // extern "C"
