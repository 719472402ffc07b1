// truncate [-c] -s SIZE FILE...: sets each file's size, as GNU truncate does: cut off past
// SIZE, or extended with zeros (a hole) to it. A missing file is made (mode 0666 less the
// umask) unless -c. SIZE is bytes, with an optional suffix K, M, G, T (powers of 1024; KiB
// and the like too) or KB, MB, GB, TB (powers of 1000), and an optional prefix: + and -
// change the size by SIZE, < and > make it at most or at least SIZE, / and % round it down
// or up to a multiple of SIZE. Status 0, or 1 on any failure.

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

struct SizeRequest {
    char relation { 0 }; // 0 for an absolute size, else one of + - < > / %
    uint64_t amount { 0 };
};

bool parse_size(const char* text, SizeRequest& request)
{
    if (*text && strchr("+-<>/%", *text)) {
        request.relation = *text;
        ++text;
    }
    if (*text < '0' || *text > '9')
        return false;
    uint64_t amount = 0;
    for (; *text >= '0' && *text <= '9'; ++text) {
        uint64_t digit = static_cast<uint64_t>(*text - '0');
        if (amount > (UINT64_MAX - digit) / 10)
            return false;
        amount = amount * 10 + digit;
    }
    uint64_t unit = 1;
    if (*text) {
        static const char letters[] = "KMGTPE";
        const char* letter = strchr(letters, *text == 'k' ? 'K' : *text);
        if (!letter || !*letter)
            return false;
        ++text;
        uint64_t base = 1024;
        if (strcmp(text, "B") == 0)
            base = 1000;
        else if (*text && strcmp(text, "iB") != 0)
            return false;
        for (const char* power = letters; power <= letter; ++power)
            unit *= base;
    }
    if (amount != 0 && unit > UINT64_MAX / amount)
        return false;
    request.amount = amount * unit;
    if ((request.relation == '/' || request.relation == '%') && request.amount == 0)
        return false;
    return true;
}

// The size `request` makes of `current`; false when it would be negative or too large.
bool new_size(const SizeRequest& request, uint64_t current, uint64_t& size)
{
    constexpr uint64_t largest = static_cast<uint64_t>(INT64_MAX);
    switch (request.relation) {
    case '+':
        if (request.amount > largest - current)
            return false;
        size = current + request.amount;
        return true;
    case '-':
        size = request.amount > current ? 0 : current - request.amount;
        return true;
    case '<':
        size = current < request.amount ? current : request.amount;
        return true;
    case '>':
        size = current > request.amount ? current : request.amount;
        return true;
    case '/':
        size = current / request.amount * request.amount;
        return true;
    case '%':
        size = (current + request.amount - 1) / request.amount * request.amount;
        return size >= current;
    default:
        size = request.amount;
        return size <= largest;
    }
}

} // namespace

int main(int argument_count, char** arguments)
{
    bool create = true;
    const char* size_text = nullptr;
    int option;
    while ((option = getopt(argument_count, arguments, "cs:")) != -1) {
        if (option == 'c')
            create = false;
        else if (option == 's')
            size_text = optarg;
        else
            return 2;
    }
    SizeRequest request;
    if (!size_text || optind == argument_count) {
        fprintf(stderr, "usage: truncate [-c] -s SIZE FILE...\n");
        return 2;
    }
    if (!parse_size(size_text, request)) {
        fprintf(stderr, "truncate: invalid number: '%s'\n", size_text);
        return 1;
    }
    int status = 0;
    for (int index = optind; index < argument_count; ++index) {
        const char* path = arguments[index];
        struct stat current { };
        if (stat(path, &current) != 0) {
            if (errno != ENOENT) {
                fprintf(stderr, "truncate: cannot stat '%s': %s\n", path, strerror(errno));
                status = 1;
                continue;
            }
            if (!create)
                continue;
            int descriptor = open(path, O_WRONLY | O_CREAT, 0666);
            if (descriptor < 0) {
                fprintf(stderr, "truncate: cannot open '%s' for writing: %s\n", path, strerror(errno));
                status = 1;
                continue;
            }
            close(descriptor);
            current = {};
        }
        uint64_t size = 0;
        if (!new_size(request, static_cast<uint64_t>(current.st_size), size)) {
            fprintf(stderr, "truncate: '%s': the new size is out of range\n", path);
            status = 1;
            continue;
        }
        if (truncate(path, static_cast<off_t>(size)) != 0) {
            fprintf(stderr, "truncate: failed to truncate '%s' at %llu bytes: %s\n", path,
                static_cast<unsigned long long>(size), strerror(errno));
            status = 1;
        }
    }
    return status;
}
