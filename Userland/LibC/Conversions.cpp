#include <Userland/LibC/Characters.h>
#include <Userland/LibC/Conversions.h>

namespace LibC {

namespace {

constexpr unsigned long long unsigned_maximum = ~0ull;
constexpr unsigned long long signed_maximum = unsigned_maximum >> 1;

// The subject sequence of C17 7.22.1.4: white space, an optional sign, then digits of the
// base (with its 0x or 0 prefix for base 16 or 0). `overflow` when the magnitude passes
// what an unsigned long long holds; `end` after the last digit, or `text` itself when
// there is no digit at all.
struct Subject {
    unsigned long long magnitude { 0 };
    bool negative { false };
    bool overflow { false };
    const char* end { nullptr };
};

int digit_value(char character)
{
    if (character >= '0' && character <= '9')
        return character - '0';
    if (character >= 'a' && character <= 'z')
        return character - 'a' + 10;
    if (character >= 'A' && character <= 'Z')
        return character - 'A' + 10;
    return 99;
}

Subject parse(const char* text, int base, ConversionErrors& errors)
{
    Subject subject;
    subject.end = text;
    if (base < 0 || base == 1 || base > 36) {
        errors.base_error = true;
        return subject;
    }
    const char* position = text;
    while (isspace(static_cast<unsigned char>(*position)))
        ++position;
    if (*position == '+' || *position == '-') {
        subject.negative = *position == '-';
        ++position;
    }
    // 0x only counts when a hexadecimal digit follows; otherwise the 0 is the number.
    if ((base == 0 || base == 16) && position[0] == '0' && (position[1] == 'x' || position[1] == 'X')
        && digit_value(position[2]) < 16) {
        position += 2;
        base = 16;
    } else if (base == 0) {
        base = position[0] == '0' ? 8 : 10;
    }
    const char* digits_start = position;
    for (; digit_value(*position) < base; ++position) {
        auto digit = static_cast<unsigned long long>(digit_value(*position));
        if (subject.magnitude > (unsigned_maximum - digit) / static_cast<unsigned long long>(base))
            subject.overflow = true;
        else
            subject.magnitude = subject.magnitude * static_cast<unsigned long long>(base) + digit;
    }
    if (position != digits_start)
        subject.end = position;
    else
        subject.negative = false;
    return subject;
}

void set_end(char** end, const Subject& subject)
{
    if (end)
        *end = const_cast<char*>(subject.end);
}

} // namespace

long long strtoll(const char* text, char** end, int base, ConversionErrors& errors)
{
    Subject subject = parse(text, base, errors);
    set_end(end, subject);
    unsigned long long limit = subject.negative ? signed_maximum + 1 : signed_maximum;
    if (subject.overflow || subject.magnitude > limit) {
        errors.range_error = true;
        return subject.negative ? static_cast<long long>(0ull - signed_maximum - 1)
                                : static_cast<long long>(signed_maximum);
    }
    return subject.negative ? static_cast<long long>(0ull - subject.magnitude)
                            : static_cast<long long>(subject.magnitude);
}

long strtol(const char* text, char** end, int base, ConversionErrors& errors)
{
    static_assert(sizeof(long) == sizeof(long long), "x86-64: long is 64 bits");
    return static_cast<long>(strtoll(text, end, base, errors));
}

unsigned long long strtoull(const char* text, char** end, int base, ConversionErrors& errors)
{
    Subject subject = parse(text, base, errors);
    set_end(end, subject);
    if (subject.overflow) {
        errors.range_error = true;
        return unsigned_maximum;
    }
    // A minus sign negates in the unsigned type (C17 7.22.1.4p5).
    return subject.negative ? 0ull - subject.magnitude : subject.magnitude;
}

unsigned long strtoul(const char* text, char** end, int base, ConversionErrors& errors)
{
    static_assert(sizeof(unsigned long) == sizeof(unsigned long long), "x86-64: long is 64 bits");
    return static_cast<unsigned long>(strtoull(text, end, base, errors));
}

namespace {

void swap_elements(unsigned char* first, unsigned char* second, size_t size)
{
    for (size_t index = 0; index < size; ++index) {
        unsigned char kept = first[index];
        first[index] = second[index];
        second[index] = kept;
    }
}

// Moves the element at `root` down the max-heap of the first `count` elements.
void sift_down(
    unsigned char* base, size_t root, size_t count, size_t size, int (*compare)(const void*, const void*))
{
    for (;;) {
        size_t largest = root;
        size_t left = 2 * root + 1;
        size_t right = left + 1;
        if (left < count && compare(base + left * size, base + largest * size) > 0)
            largest = left;
        if (right < count && compare(base + right * size, base + largest * size) > 0)
            largest = right;
        if (largest == root)
            return;
        swap_elements(base + root * size, base + largest * size, size);
        root = largest;
    }
}

} // namespace

void qsort(void* elements, size_t count, size_t size, int (*compare)(const void*, const void*))
{
    if (count < 2 || size == 0)
        return;
    auto* base = static_cast<unsigned char*>(elements);
    for (size_t root = count / 2; root > 0; --root)
        sift_down(base, root - 1, count, size, compare);
    for (size_t last = count - 1; last > 0; --last) {
        swap_elements(base, base + last * size, size);
        sift_down(base, 0, last, size, compare);
    }
}

void* bsearch(const void* key, const void* elements, size_t count, size_t size,
    int (*compare)(const void*, const void*))
{
    const auto* base = static_cast<const unsigned char*>(elements);
    size_t low = 0;
    size_t high = count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = compare(key, base + middle * size);
        if (order == 0)
            return const_cast<unsigned char*>(base + middle * size);
        if (order < 0)
            high = middle;
        else
            low = middle + 1;
    }
    return nullptr;
}

} // namespace LibC
