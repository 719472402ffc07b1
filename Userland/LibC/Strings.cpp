#include <Userland/LibC/Strings.h>

namespace LibC {

void* memcpy(void* destination, const void* source, size_t count)
{
    auto* to = static_cast<unsigned char*>(destination);
    const auto* from = static_cast<const unsigned char*>(source);
    for (size_t index = 0; index < count; ++index)
        to[index] = from[index];
    return destination;
}

void* memmove(void* destination, const void* source, size_t count)
{
    auto* to = static_cast<unsigned char*>(destination);
    const auto* from = static_cast<const unsigned char*>(source);
    // Copy away from the overlap: backwards when the destination is above the source.
    if (to > from && to < from + count) {
        for (size_t index = count; index > 0; --index)
            to[index - 1] = from[index - 1];
    } else {
        for (size_t index = 0; index < count; ++index)
            to[index] = from[index];
    }
    return destination;
}

void* memset(void* destination, int value, size_t count)
{
    auto* to = static_cast<unsigned char*>(destination);
    for (size_t index = 0; index < count; ++index)
        to[index] = static_cast<unsigned char>(value);
    return destination;
}

int memcmp(const void* first, const void* second, size_t count)
{
    const auto* left = static_cast<const unsigned char*>(first);
    const auto* right = static_cast<const unsigned char*>(second);
    for (size_t index = 0; index < count; ++index) {
        if (left[index] != right[index])
            return left[index] < right[index] ? -1 : 1;
    }
    return 0;
}

void* memchr(const void* bytes, int value, size_t count)
{
    const auto* position = static_cast<const unsigned char*>(bytes);
    for (size_t index = 0; index < count; ++index) {
        if (position[index] == static_cast<unsigned char>(value))
            return const_cast<unsigned char*>(position + index);
    }
    return nullptr;
}

size_t strlen(const char* text)
{
    size_t length = 0;
    while (text[length])
        ++length;
    return length;
}

size_t strnlen(const char* text, size_t limit)
{
    size_t length = 0;
    while (length < limit && text[length])
        ++length;
    return length;
}

int strcmp(const char* first, const char* second)
{
    return strncmp(first, second, static_cast<size_t>(-1));
}

int strncmp(const char* first, const char* second, size_t limit)
{
    // Compared as unsigned char (C17 7.24.4).
    for (size_t index = 0; index < limit; ++index) {
        auto left = static_cast<unsigned char>(first[index]);
        auto right = static_cast<unsigned char>(second[index]);
        if (left != right)
            return left < right ? -1 : 1;
        if (left == 0)
            return 0;
    }
    return 0;
}

char* strcpy(char* destination, const char* source)
{
    size_t index = 0;
    do {
        destination[index] = source[index];
    } while (source[index++]);
    return destination;
}

char* strncpy(char* destination, const char* source, size_t count)
{
    // Copies at most `count` characters and pads the rest of the `count` with NULs; no NUL
    // when the source is that long (C17 7.24.2.4).
    size_t index = 0;
    for (; index < count && source[index]; ++index)
        destination[index] = source[index];
    for (; index < count; ++index)
        destination[index] = '\0';
    return destination;
}

char* strcat(char* destination, const char* source)
{
    strcpy(destination + strlen(destination), source);
    return destination;
}

char* strncat(char* destination, const char* source, size_t count)
{
    char* end = destination + strlen(destination);
    size_t index = 0;
    for (; index < count && source[index]; ++index)
        end[index] = source[index];
    end[index] = '\0';
    return destination;
}

char* strchr(const char* text, int character)
{
    auto wanted = static_cast<char>(character);
    for (;; ++text) {
        if (*text == wanted)
            return const_cast<char*>(text);
        if (*text == '\0')
            return nullptr;
    }
}

char* strrchr(const char* text, int character)
{
    auto wanted = static_cast<char>(character);
    const char* found = nullptr;
    for (;; ++text) {
        if (*text == wanted)
            found = text;
        if (*text == '\0')
            return const_cast<char*>(found);
    }
}

char* strstr(const char* haystack, const char* needle)
{
    size_t needle_length = strlen(needle);
    for (; *haystack; ++haystack) {
        if (strncmp(haystack, needle, needle_length) == 0)
            return const_cast<char*>(haystack);
    }
    return needle_length == 0 ? const_cast<char*>(haystack) : nullptr;
}

size_t strspn(const char* text, const char* accepted)
{
    size_t length = 0;
    while (text[length] && strchr(accepted, text[length]))
        ++length;
    return length;
}

size_t strcspn(const char* text, const char* rejected)
{
    size_t length = 0;
    while (text[length] && !strchr(rejected, text[length]))
        ++length;
    return length;
}

char* strpbrk(const char* text, const char* accepted)
{
    const char* found = text + strcspn(text, accepted);
    return *found ? const_cast<char*>(found) : nullptr;
}

char* strtok_r(char* text, const char* separators, char** saved)
{
    if (!text)
        text = *saved;
    text += strspn(text, separators);
    if (*text == '\0') {
        *saved = text;
        return nullptr;
    }
    char* end = text + strcspn(text, separators);
    if (*end) {
        *end = '\0';
        *saved = end + 1;
    } else {
        *saved = end;
    }
    return text;
}

} // namespace LibC
