#pragma once

// init's service manifest (/etc/services in the RAM disk; docs/init.md): one service per
// line, in the order init starts them.
//
//   service NAME PROGRAM [RESOURCE...] [restart=always|on-failure|never] [manual]
//
// RESOURCEs are the handles the service is started with, and nothing else: serial-console,
// console-session, terminal (standard input, output and error on the console session),
// ramdisk, system-control, service-control, framebuffer, keyboard-device, keyboard-output,
// keyboard-input, pci-configuration, device-service, device-client, rtc-device, rtc-service,
// rtc-client. '#' starts a comment. The manifest is
// read from outside the program, so the parser checks everything and never reads past the text; a line it
// cannot read is reported and skipped. Pure: host tests and a fuzz target run it.

#include <stddef.h>
#include <stdint.h>

namespace Init {

enum class Resource : uint32_t {
    SerialConsole = 1u << 0,
    ConsoleSession = 1u << 1,
    Terminal = 1u << 2,
    Ramdisk = 1u << 3,
    SystemControl = 1u << 4,
    ServiceControl = 1u << 5,
    Framebuffer = 1u << 6,
    KeyboardDevice = 1u << 7,
    KeyboardOutput = 1u << 8,
    KeyboardInput = 1u << 9,
    PciConfiguration = 1u << 10,
    DeviceService = 1u << 11,
    DeviceClient = 1u << 12,
    RtcDevice = 1u << 13,
    RtcService = 1u << 14,
    RtcClient = 1u << 15,
    DeviceAuthority = 1u << 16,
    MouseDevice = 1u << 17,
    MouseOutput = 1u << 18,
    MouseInput = 1u << 19,
    NamespaceService = 1u << 20,
    NamespaceClient = 1u << 21,
};

enum class RestartPolicy : uint8_t {
    OnFailure, // restart after an exit with a status other than 0 (the default)
    Always, // restart after any exit
    Never,
};

inline constexpr size_t maximum_name = 31;
inline constexpr size_t maximum_program = 127;
inline constexpr size_t maximum_services = 16;

struct ServiceDescription {
    char name[maximum_name + 1];
    char program[maximum_program + 1];
    uint32_t resources; // Resource bits
    RestartPolicy restart;
    bool manual; // started only when asked (service start NAME), never at boot
};

struct ManifestProblem {
    uint32_t line;
    const char* reason;
};

struct Manifest {
    ServiceDescription services[maximum_services];
    size_t service_count;
    // The first lines that could not be read (each skipped).
    ManifestProblem problems[8];
    size_t problem_count;
};

// Reads `length` bytes of manifest text.
void parse_manifest(const char* text, size_t length, Manifest& manifest);

// The name of one Resource bit, for logs and `service list`.
const char* resource_name(Resource resource);

} // namespace Init
