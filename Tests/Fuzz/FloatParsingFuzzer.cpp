// Fuzz target: text to floating point (Userland/LibC/FloatParsing.h) and scanf's engine
// (Scanning.h). strtod and strtof must agree with glibc's, bit for bit and in where they
// stop, on any text (strtold too); scanning any text with a few formats must stay inside the buffers.

#include <Userland/LibC/FloatParsing.h>
#include <Userland/LibC/Scanning.h>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

int scan(const char* text, const char* format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    LibC::StringSource source(text);
    int result = LibC::scan(source, format, arguments);
    va_end(arguments);
    return result;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string text(reinterpret_cast<const char*>(data), size);
    char* their_end = nullptr;
    double expected = std::strtod(text.c_str(), &their_end);
    char* our_end = nullptr;
    LibC::ConversionErrors errors;
    double actual = LibC::strtod(text.c_str(), &our_end, errors);
    if (our_end != their_end)
        __builtin_trap();
    if (std::isnan(expected) != std::isnan(actual))
        __builtin_trap();
    if (!std::isnan(expected) && std::memcmp(&expected, &actual, sizeof(double)) != 0)
        __builtin_trap();
    float expected_float = std::strtof(text.c_str(), &their_end);
    float actual_float = LibC::strtof(text.c_str(), &our_end, errors);
    if (our_end != their_end)
        __builtin_trap();
    if (!std::isnan(expected_float) && std::memcmp(&expected_float, &actual_float, sizeof(float)) != 0)
        __builtin_trap();

    long double expected_long = std::strtold(text.c_str(), &their_end);
    long double actual_long = LibC::strtold(text.c_str(), &our_end, errors);
    if (our_end != their_end)
        __builtin_trap();
    // The 10 bytes of the 80-bit format; the rest is padding.
    if (!std::isnan(expected_long) && std::memcmp(&expected_long, &actual_long, 10) != 0)
        __builtin_trap();

    char word[32];
    char set[32];
    int number = 0;
    double value = 0;
    (void)scan(text.c_str(), "%d %lf %31s %31[^,], %n%c", &number, &value, word, set, &number, word);
    (void)scan(text.c_str(), "%i%*x%5c%31[a-z0-9]%%", &number, word, set);
    return 0;
}
