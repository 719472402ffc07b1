#include <Userland/Init/Manifest.h>

namespace Init {

namespace {

struct ResourceName {
    const char* name;
    Resource resource;
};

constexpr ResourceName resource_names[] = {
    { "serial-console", Resource::SerialConsole },
    { "console-session", Resource::ConsoleSession },
    { "terminal", Resource::Terminal },
    { "ramdisk", Resource::Ramdisk },
    { "system-control", Resource::SystemControl },
    { "service-control", Resource::ServiceControl },
    { "framebuffer", Resource::Framebuffer },
    { "keyboard-device", Resource::KeyboardDevice },
    { "keyboard-output", Resource::KeyboardOutput },
    { "keyboard-input", Resource::KeyboardInput },
    { "pci-configuration", Resource::PciConfiguration },
    { "device-service", Resource::DeviceService },
    { "device-client", Resource::DeviceClient },
    { "rtc-device", Resource::RtcDevice },
    { "rtc-service", Resource::RtcService },
    { "rtc-client", Resource::RtcClient },
    { "device-authority", Resource::DeviceAuthority },
    { "mouse-device", Resource::MouseDevice },
    { "mouse-output", Resource::MouseOutput },
    { "mouse-input", Resource::MouseInput },
    { "namespace-service", Resource::NamespaceService },
    { "namespace-client", Resource::NamespaceClient },
};

struct Word {
    const char* start;
    size_t length;

    bool is(const char* text) const
    {
        // `text` is NUL-terminated, the word is not (and may hold NUL bytes): the text's end
        // is checked before each comparison.
        size_t index = 0;
        for (; index < length; ++index) {
            if (text[index] == 0 || text[index] != start[index])
                return false;
        }
        return text[index] == 0;
    }
    bool starts_with(const char* prefix) const
    {
        size_t index = 0;
        for (; prefix[index]; ++index) {
            if (index >= length || prefix[index] != start[index])
                return false;
        }
        return true;
    }
};

bool is_space(char character)
{
    return character == ' ' || character == '\t' || character == '\r';
}

// Names: letters, digits, '-', '_' and '.'.
bool is_name(const Word& word)
{
    if (word.length == 0)
        return false;
    for (size_t index = 0; index < word.length; ++index) {
        char character = word.start[index];
        bool allowed = (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z')
            || (character >= '0' && character <= '9') || character == '-' || character == '_'
            || character == '.';
        if (!allowed)
            return false;
    }
    return true;
}

bool is_program_path(const Word& word)
{
    if (word.length < 2 || word.start[0] != '/')
        return false;
    for (size_t index = 0; index < word.length; ++index) {
        char character = word.start[index];
        if (character != '/' && !is_name(Word { &word.start[index], 1 }))
            return false;
    }
    return true;
}

void copy(const Word& word, char* destination)
{
    for (size_t index = 0; index < word.length; ++index)
        destination[index] = word.start[index];
    destination[word.length] = 0;
}

void report(Manifest& manifest, uint32_t line, const char* reason)
{
    if (manifest.problem_count < sizeof(manifest.problems) / sizeof(manifest.problems[0]))
        manifest.problems[manifest.problem_count++] = { line, reason };
}

// Reads one line's words (at most `capacity`); false when there are more.
bool split(const char* line, size_t length, Word* words, size_t capacity, size_t& count)
{
    count = 0;
    size_t position = 0;
    while (position < length) {
        while (position < length && is_space(line[position]))
            ++position;
        if (position == length || line[position] == '#')
            break;
        size_t start = position;
        while (position < length && !is_space(line[position]) && line[position] != '#')
            ++position;
        if (count == capacity)
            return false;
        words[count++] = Word { line + start, position - start };
    }
    return true;
}

// One service line's words, after "service"; the reason it cannot be read, or null.
const char* read_service(
    const Word* words, size_t count, const Manifest& manifest, ServiceDescription& service)
{
    if (count < 2)
        return "a service needs a name and a program";
    if (!is_name(words[0]) || words[0].length > maximum_name)
        return "the name must be 1-31 letters, digits, '-', '_' or '.'";
    if (!is_program_path(words[1]) || words[1].length > maximum_program)
        return "the program must be an absolute path of at most 127 bytes";
    for (size_t index = 0; index < manifest.service_count; ++index) {
        if (words[0].is(manifest.services[index].name))
            return "a service of that name is already listed";
    }
    service = ServiceDescription {};
    copy(words[0], service.name);
    copy(words[1], service.program);
    service.restart = RestartPolicy::OnFailure;
    for (size_t index = 2; index < count; ++index) {
        const Word& word = words[index];
        if (word.is("manual")) {
            service.manual = true;
            continue;
        }
        if (word.starts_with("restart=")) {
            Word policy { word.start + 8, word.length - 8 };
            if (policy.is("always"))
                service.restart = RestartPolicy::Always;
            else if (policy.is("on-failure"))
                service.restart = RestartPolicy::OnFailure;
            else if (policy.is("never"))
                service.restart = RestartPolicy::Never;
            else
                return "restart= takes always, on-failure or never";
            continue;
        }
        bool known = false;
        for (const ResourceName& resource : resource_names) {
            if (word.is(resource.name)) {
                service.resources |= static_cast<uint32_t>(resource.resource);
                known = true;
            }
        }
        if (!known)
            return "unknown resource or option";
    }
    return nullptr;
}

} // namespace

void parse_manifest(const char* text, size_t length, Manifest& manifest)
{
    manifest.service_count = 0;
    manifest.problem_count = 0;
    uint32_t line_number = 0;
    size_t position = 0;
    while (position < length) {
        size_t start = position;
        while (position < length && text[position] != '\n')
            ++position;
        size_t line_length = position - start;
        ++line_number;
        if (position < length)
            ++position; // the newline
        constexpr size_t maximum_words = 16;
        Word words[maximum_words];
        size_t count = 0;
        if (!split(text + start, line_length, words, maximum_words, count)) {
            report(manifest, line_number, "too many words");
            continue;
        }
        if (count == 0)
            continue;
        if (!words[0].is("service")) {
            report(manifest, line_number, "a line must start with 'service'");
            continue;
        }
        if (manifest.service_count == maximum_services) {
            report(manifest, line_number, "more than 16 services");
            continue;
        }
        ServiceDescription service;
        const char* problem = read_service(words + 1, count - 1, manifest, service);
        if (problem) {
            report(manifest, line_number, problem);
            continue;
        }
        manifest.services[manifest.service_count++] = service;
    }
}

const char* resource_name(Resource resource)
{
    for (const ResourceName& entry : resource_names) {
        if (entry.resource == resource)
            return entry.name;
    }
    return "unknown";
}

} // namespace Init
