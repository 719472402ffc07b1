#pragma once

// strtod, strtof and strtold's engine (C17 7.22.1.3): decimal and hexadecimal text to the
// nearest double, float or long double, correctly rounded (ties to even), as glibc gives it. Pure, so that
// host tests compare it with the host's libc over many inputs.
//
// Decimal input is converted exactly with big integers: the value is D × 10^E for the
// decimal digits D, and the result is the integer quotient of D × 10^E by a power of two
// chosen so that the quotient has the target's precision, rounded by its remainder.
// Digits past the 800th are folded into a sticky bit (a double's halfway cases need at most
// 767 significant digits).

#include <Userland/LibC/Conversions.h>

namespace LibC {

double strtod(const char* text, char** end, ConversionErrors& errors);
float strtof(const char* text, char** end, ConversionErrors& errors);
// x86's 80-bit extended format, 64 significand bits.
long double strtold(const char* text, char** end, ConversionErrors& errors);

} // namespace LibC
