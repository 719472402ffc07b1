// The environment: environ, getenv, setenv, unsetenv (POSIX). PosixMain.cpp fills environ
// from the launch block; spawn passes it on.

#include <Userland/LibC/Environment.h>
#include <Userland/LibC/Strings.h>
#include <Userland/LibC/include/errno.h>
#include <Userland/LibC/include/stdlib.h>

extern "C" {
char** environ;
}

namespace {

// Every string environ points to is the library's own (copied by set_environment and
// setenv), so that each can be freed when replaced; the array is too.
size_t s_count;
size_t s_capacity;

// The entry for `name` (its first `name_length` bytes), or s_count.
size_t find(const char* name, size_t name_length)
{
    for (size_t index = 0; index < s_count; ++index) {
        if (LibC::strncmp(environ[index], name, name_length) == 0 && environ[index][name_length] == '=')
            return index;
    }
    return s_count;
}

bool reserve(size_t count)
{
    if (count + 1 <= s_capacity)
        return true;
    size_t capacity = s_capacity ? s_capacity * 2 : 16;
    while (capacity < count + 1)
        capacity *= 2;
    auto** grown = static_cast<char**>(realloc(environ, capacity * sizeof(char*)));
    if (!grown)
        return false;
    environ = grown;
    s_capacity = capacity;
    return true;
}

bool valid_name(const char* name)
{
    return name && *name && !LibC::strchr(name, '=');
}

} // namespace

namespace LibC {

void set_environment(const char* const* strings, size_t count)
{
    if (!reserve(count))
        return;
    for (size_t index = 0; index < count; ++index) {
        size_t length = LibC::strlen(strings[index]) + 1;
        char* copy = static_cast<char*>(malloc(length));
        if (!copy)
            break;
        LibC::memcpy(copy, strings[index], length);
        environ[s_count++] = copy;
    }
    environ[s_count] = nullptr;
}

} // namespace LibC

extern "C" {

char* getenv(const char* name)
{
    if (!environ || !name)
        return nullptr;
    size_t length = LibC::strlen(name);
    size_t index = find(name, length);
    return index < s_count ? environ[index] + length + 1 : nullptr;
}

int setenv(const char* name, const char* value, int overwrite)
{
    if (!valid_name(name)) {
        errno = EINVAL;
        return -1;
    }
    size_t name_length = LibC::strlen(name);
    size_t index = find(name, name_length);
    if (index < s_count && !overwrite)
        return 0;
    size_t value_length = LibC::strlen(value);
    char* entry = static_cast<char*>(malloc(name_length + value_length + 2));
    if (!entry || (index == s_count && !reserve(s_count + 1))) {
        free(entry);
        errno = ENOMEM;
        return -1;
    }
    LibC::memcpy(entry, name, name_length);
    entry[name_length] = '=';
    LibC::memcpy(entry + name_length + 1, value, value_length + 1);
    if (index < s_count) {
        free(environ[index]);
        environ[index] = entry;
    } else {
        environ[s_count++] = entry;
        environ[s_count] = nullptr;
    }
    return 0;
}

int unsetenv(const char* name)
{
    if (!valid_name(name)) {
        errno = EINVAL;
        return -1;
    }
    size_t index = find(name, LibC::strlen(name));
    if (index == s_count)
        return 0;
    free(environ[index]);
    for (; index + 1 <= s_count; ++index)
        environ[index] = environ[index + 1];
    --s_count;
    return 0;
}

} // extern "C"
