// Process 1: the first user program, which the kernel loads from the initial RAM disk (/init)
// at the end of boot (docs/init.md). It checks what the kernel promised it, then starts the
// services its manifest (/etc/services) lists, each with only the handles the manifest
// names, and supervises them: a service that crashes is restarted with growing delays, one
// that keeps crashing is quarantined (Supervision.h), and every event is logged. Services
// with service-control reach init over a channel (`service` in the shell).

#include <ABI/Audit.h>
#include <ABI/Channel.h>
#include <ABI/Devices.h>
#include <ABI/Memory.h>
#include <ABI/ObjectType.h>
#include <ABI/Process.h>
#include <ABI/Rights.h>
#include <ABI/Signals.h>
#include <ABI/System.h>
#include <Userland/Init/Manifest.h>
#include <Userland/Init/Supervision.h>
#include <Userland/LibC/Launch.h>
#include <Userland/LibC/LaunchBlock.h>
#include <Userland/LibC/Ramdisk.h>
#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace {

// The kernel's start-up handles, in the order Kernel/Tasks/FirstProgram.h lists them.
enum StartupIndex : uint32_t {
    AuditLogIndex,
    IoPortsIndex,
    MmioIndex,
    InterruptLinesIndex,
    RamdiskIndex,
    SerialConsoleIndex,
    SystemControlIndex,
    StartupHandleCount,
};

// Data reached through a pointer the loader had to relocate (this is a position-
// independent executable, and the pointer is read from memory because it is volatile):
// if relocation went wrong, the text would not print.
const char ready_message[] = "user space is running";
const char* volatile relocated_message = ready_message;

ABI::AuditRecord s_records[16];

void log(const char* format, ...) __attribute__((format(printf, 1, 2)));
void log(const char* format, ...)
{
    char line[ABI::debug_log_maximum_length];
    va_list arguments;
    va_start(arguments, format);
    int length = vsnprintf(line, sizeof(line), format, arguments);
    va_end(arguments);
    if (length > 0)
        System::debug_log(line,
            static_cast<size_t>(length) < sizeof(line) ? static_cast<size_t>(length) : sizeof(line) - 1);
}

bool same_name(const char (&field)[16], const char* name)
{
    for (uint64_t index = 0; index < sizeof(field); ++index) {
        if (field[index] != name[index])
            return false;
        if (name[index] == 0)
            return true;
    }
    return name[sizeof(field)] == 0;
}

// What the kernel promised process 1; 0, or the number of the broken promise.
int64_t check_kernel_promises(uint32_t self, const ABI::StartupHandles* startup)
{
    if (startup->count != StartupHandleCount)
        return 8;
    const ABI::ObjectType startup_types[] = { ABI::ObjectType::AuditLog, ABI::ObjectType::IoPortRange,
        ABI::ObjectType::MmioRange, ABI::ObjectType::InterruptRange, ABI::ObjectType::MemoryObject,
        ABI::ObjectType::SerialConsole, ABI::ObjectType::SystemControl };
    for (uint64_t index = 0; index < startup->count; ++index) {
        int64_t startup_info = System::handle_info(startup->handles[index]);
        if (startup_info < 0 || (startup_info >> 32) != static_cast<int64_t>(startup_types[index]))
            return 9;
    }
    if (System::debug_log(relocated_message, sizeof(ready_message) - 1) != 0)
        return 1;
    // The bootstrap handle names this process, with every right.
    int64_t info = System::handle_info(self);
    if (info < 0 || (info >> 32) != static_cast<int64_t>(ABI::ObjectType::Process)
        || (info & 0xFFFFFFFF) != ABI::all_rights.raw())
        return 4;
    // The kernel must refuse a pointer into its own half, and an unknown call.
    if (System::debug_log(reinterpret_cast<const char*>(0xFFFFFFFF80000000ull), 8) >= 0)
        return 2;
    if (System::system_call(static_cast<ABI::Syscall>(0xFFFF)) >= 0)
        return 3;
    // Process 1 alone holds the audit log. A refused handle use of its own must show there.
    if (System::handle_close(0x7FFF0001) != System::failure(ABI::ErrorCode::BadHandle))
        return 5;
    bool found = false;
    uint64_t next_sequence = 0;
    for (;;) {
        int64_t read = System::audit_read(
            startup->handles[AuditLogIndex], s_records, sizeof(s_records), next_sequence);
        if (read < 0)
            return 6;
        if (read == 0)
            break;
        for (int64_t index = 0; index < read; ++index) {
            const ABI::AuditRecord& record = s_records[index];
            if (record.event == static_cast<uint32_t>(ABI::AuditEvent::BadHandle)
                && record.handle == 0x7FFF0001 && same_name(record.process, "init"))
                found = true;
            next_sequence = record.sequence + 1;
        }
    }
    if (!found)
        return 7;
    return 0;
}

enum class State : uint8_t {
    Stopped, // manual and not asked for, or ended as its policy wants
    Running,
    WaitingToRestart,
    Quarantined,
};

const char* state_name(State state)
{
    switch (state) {
    case State::Stopped:
        return "stopped";
    case State::Running:
        return "running";
    case State::WaitingToRestart:
        return "restarting";
    case State::Quarantined:
        return "quarantined";
    }
    return "unknown";
}

struct Service {
    Init::ServiceDescription description;
    State state { State::Stopped };
    uint32_t process { 0 };
    uint64_t started_ns { 0 };
    uint64_t restart_at_ns { 0 };
    uint32_t starts { 0 };
    Init::CrashHistory history;
    // init's end of this instance's service-control channel, 0 when it has none.
    uint32_t control { 0 };
};

struct Supervisor {
    uint32_t self;
    uint32_t serial_console;
    uint32_t ramdisk;
    uint32_t system_control;
    // Both ends of the terminal session: init keeps them, so a restarted console or shell
    // finds the session as it was.
    uint32_t session_console_end;
    uint32_t session_terminal_end;
    // Both ends of the keyboard channel, kept the same way (keyboard driver to console).
    uint32_t keyboard_output_end;
    uint32_t keyboard_input_end;
    // The keyboard driver's device: the 8042's ports and IRQ 1, made once (0: unavailable).
    uint32_t keyboard_ports;
    uint32_t keyboard_interrupt;
    // ISA IRQ 12's Interrupt (0: unavailable), and both ends of the mouse channel.
    uint32_t mouse_interrupt;
    uint32_t mouse_output_end;
    uint32_t mouse_input_end;
    // The boot framebuffer, taken from the kernel's log, as a memory object (0: none), and
    // its layout for the console: width, height, pitch, bits per pixel, the red, green and
    // blue positions and sizes, and the offset of its first pixel in the object.
    uint32_t framebuffer;
    char framebuffer_layout[96];
    // The PCI configuration window (ECAM) as a narrowed MmioRange (0: none), its layout for
    // the device manager ("segment base start_bus end_bus"), and both ends of the device
    // manager's channel: the service's and the one its clients share (calls only).
    uint32_t pci_configuration;
    char pci_layout[64];
    // Without an MCFG: the legacy configuration ports instead (0: unavailable).
    uint32_t pci_ports;
    uint32_t device_server_end;
    uint32_t device_client_end;
    // The RTC's two ports (0: unavailable), and both ends of the RTC service's channel.
    uint32_t rtc_ports;
    uint32_t rtc_server_end;
    uint32_t rtc_client_end;
    // The first namespace's channel: the VFS serves one end, every program shares the other.
    uint32_t namespace_server_end;
    uint32_t namespace_client_end;
    uint32_t io_ports;
    uint32_t mmio;
    uint32_t interrupt_lines;
    Init::Manifest manifest;
    Service services[Init::maximum_services];
    size_t service_count;
};

Supervisor s_supervisor;

constexpr ABI::Rights passed_rights
    = ABI::Right::Read | ABI::Right::Write | ABI::Right::Wait | ABI::Right::Duplicate | ABI::Right::Transfer;

struct LaunchHandles {
    uint32_t handles[ABI::maximum_startup_handles];
    LibC::LaunchHandle roles[ABI::maximum_startup_handles];
    uint32_t count { 1 }; // handles[0] is the launch block

    bool add(uint32_t source, ABI::Rights rights, LibC::HandleRole role, uint32_t flags = 0)
    {
        if (count == ABI::maximum_startup_handles)
            return false;
        int64_t duplicated = System::handle_duplicate(source, rights.raw());
        if (duplicated < 0)
            return false;
        handles[count] = static_cast<uint32_t>(duplicated);
        roles[count - 1] = { role, flags };
        ++count;
        return true;
    }
    void close_all()
    {
        for (uint32_t index = 1; index < count; ++index)
            (void)System::handle_close(handles[index]);
        count = 1;
    }
};

bool has(const Service& service, Init::Resource resource)
{
    return (service.description.resources & static_cast<uint32_t>(resource)) != 0;
}

// Starts one instance of the service with the handles its manifest entry names.
bool start_service(Service& service, uint64_t now)
{
    Supervisor& supervisor = s_supervisor;
    LibC::RamdiskNode program;
    if (LibC::ramdisk_lookup(service.description.program, program) != 0 || program.is_directory) {
        log("%s: no program %s", service.description.name, service.description.program);
        service.state = State::Stopped;
        return false;
    }
    LaunchHandles launch;
    bool ok = true;
    uint32_t control_end = 0;
    if (has(service, Init::Resource::SerialConsole))
        ok = ok && launch.add(supervisor.serial_console, passed_rights, LibC::HandleRole::SerialConsole);
    if (has(service, Init::Resource::ConsoleSession))
        ok = ok
            && launch.add(supervisor.session_console_end, passed_rights, LibC::HandleRole::ConsoleSession);
    if (has(service, Init::Resource::Terminal)) {
        ok = ok
            && launch.add(supervisor.session_terminal_end, passed_rights, LibC::HandleRole::StandardInput,
                LibC::launch_handle_terminal)
            && launch.add(supervisor.session_terminal_end, passed_rights, LibC::HandleRole::StandardOutput,
                LibC::launch_handle_terminal)
            && launch.add(supervisor.session_terminal_end, passed_rights, LibC::HandleRole::StandardError,
                LibC::launch_handle_terminal);
    }
    if (has(service, Init::Resource::Ramdisk))
        ok = ok
            && launch.add(supervisor.ramdisk,
                ABI::Right::Read | ABI::Right::Map | ABI::Right::Duplicate | ABI::Right::Transfer,
                LibC::HandleRole::Ramdisk);
    if (has(service, Init::Resource::SystemControl))
        ok = ok
            && launch.add(supervisor.system_control,
                ABI::Right::Read | ABI::Right::Manage | ABI::Right::Duplicate | ABI::Right::Transfer,
                LibC::HandleRole::SystemControl);
    if (has(service, Init::Resource::KeyboardDevice)) {
        ok = ok && supervisor.keyboard_ports && supervisor.keyboard_interrupt
            && launch.add(supervisor.keyboard_ports,
                ABI::Right::Read | ABI::Right::Write | ABI::Right::Transfer, LibC::HandleRole::KeyboardPorts)
            && launch.add(supervisor.keyboard_interrupt,
                ABI::Right::Wait | ABI::Right::Signal | ABI::Right::Transfer,
                LibC::HandleRole::KeyboardInterrupt);
    }
    bool with_pci = has(service, Init::Resource::PciConfiguration) && supervisor.pci_configuration != 0;
    if (with_pci)
        ok = ok
            && launch.add(supervisor.pci_configuration,
                ABI::Right::Read | ABI::Right::Write | ABI::Right::Map | ABI::Right::Transfer,
                LibC::HandleRole::PciConfiguration);
    if (has(service, Init::Resource::PciConfiguration) && !with_pci && supervisor.pci_ports != 0)
        ok = ok
            && launch.add(supervisor.pci_ports, ABI::Right::Read | ABI::Right::Write | ABI::Right::Transfer,
                LibC::HandleRole::PciPorts);
    if (has(service, Init::Resource::DeviceService))
        ok = ok
            && launch.add(supervisor.device_server_end, passed_rights, LibC::HandleRole::DeviceManagerServer);
    if (has(service, Init::Resource::DeviceClient))
        ok = ok && launch.add(supervisor.device_client_end, passed_rights, LibC::HandleRole::DeviceManager);
    if (has(service, Init::Resource::DeviceAuthority))
        ok = ok
            && launch.add(supervisor.mmio,
                ABI::Right::Read | ABI::Right::Write | ABI::Right::Map | ABI::Right::Duplicate
                    | ABI::Right::Transfer,
                LibC::HandleRole::DeviceMemory)
            && launch.add(supervisor.interrupt_lines,
                ABI::Right::Manage | ABI::Right::Duplicate | ABI::Right::Transfer,
                LibC::HandleRole::DeviceInterrupts);
    if (has(service, Init::Resource::RtcDevice))
        ok = ok && supervisor.rtc_ports
            && launch.add(supervisor.rtc_ports, ABI::Right::Read | ABI::Right::Write | ABI::Right::Transfer,
                LibC::HandleRole::RtcPorts);
    if (has(service, Init::Resource::RtcService))
        ok = ok && launch.add(supervisor.rtc_server_end, passed_rights, LibC::HandleRole::RtcServer);
    if (has(service, Init::Resource::RtcClient))
        ok = ok && launch.add(supervisor.rtc_client_end, passed_rights, LibC::HandleRole::RtcClient);
    if (has(service, Init::Resource::NamespaceService))
        ok = ok
            && launch.add(supervisor.namespace_server_end, passed_rights, LibC::HandleRole::NamespaceServer);
    if (has(service, Init::Resource::NamespaceClient))
        ok = ok && launch.add(supervisor.namespace_client_end, passed_rights, LibC::HandleRole::Namespace);
    if (has(service, Init::Resource::MouseDevice) && supervisor.mouse_interrupt)
        ok = ok
            && launch.add(supervisor.mouse_interrupt,
                ABI::Right::Wait | ABI::Right::Signal | ABI::Right::Transfer,
                LibC::HandleRole::MouseInterrupt);
    if (has(service, Init::Resource::MouseOutput))
        ok = ok && launch.add(supervisor.mouse_output_end, passed_rights, LibC::HandleRole::MouseOutput);
    if (has(service, Init::Resource::MouseInput))
        ok = ok && launch.add(supervisor.mouse_input_end, passed_rights, LibC::HandleRole::MouseInput);
    if (has(service, Init::Resource::KeyboardOutput))
        ok = ok
            && launch.add(supervisor.keyboard_output_end, passed_rights, LibC::HandleRole::KeyboardOutput);
    if (has(service, Init::Resource::KeyboardInput))
        ok = ok && launch.add(supervisor.keyboard_input_end, passed_rights, LibC::HandleRole::KeyboardInput);
    // A console without a screen still serves the serial port: the framebuffer is passed
    // when there is one.
    bool with_framebuffer = has(service, Init::Resource::Framebuffer) && supervisor.framebuffer != 0;
    if (with_framebuffer)
        ok = ok
            && launch.add(supervisor.framebuffer,
                ABI::Right::Read | ABI::Right::Write | ABI::Right::Map | ABI::Right::Transfer,
                LibC::HandleRole::Framebuffer);
    if (ok && has(service, Init::Resource::ServiceControl)) {
        uint32_t ends[2];
        ok = launch.count < ABI::maximum_startup_handles
            && System::channel_create(ABI::ChannelQos::Bulk, ends) == 0;
        if (ok) {
            control_end = ends[0];
            launch.handles[launch.count] = ends[1];
            launch.roles[launch.count - 1] = { LibC::HandleRole::ServiceControl, 0 };
            ++launch.count;
        }
    }
    const char* arguments[] = { service.description.name, nullptr };
    char framebuffer_variable[128];
    snprintf(framebuffer_variable, sizeof(framebuffer_variable), "RAEEN_FRAMEBUFFER=%s",
        supervisor.framebuffer_layout);
    char pci_variable[96];
    snprintf(pci_variable, sizeof(pci_variable), "RAEEN_PCI_ECAM=%s", supervisor.pci_layout);
    const char* environment[6] = { "PATH=/bin", "HOME=/", "TERM=vt100" };
    int environment_count = 3;
    if (with_framebuffer)
        environment[environment_count++] = framebuffer_variable;
    if (with_pci)
        environment[environment_count++] = pci_variable;
    environment[environment_count] = nullptr;
    if (!ok) {
        log("%s: its handles cannot be made", service.description.name);
        launch.close_all();
        if (control_end)
            (void)System::handle_close(control_end);
        service.state = State::Stopped;
        return false;
    }
    int64_t process = LibC::launch_program(service.description.name, program.data, program.size, arguments,
        environment, launch.handles + 1, launch.roles, launch.count - 1);
    if (process < 0) {
        // The handles went with the failed start (launch_program closed them).
        log("%s: start failed (%s)", service.description.name, strerror(static_cast<int>(-process)));
        if (control_end)
            (void)System::handle_close(control_end);
        service.state = State::Stopped;
        return false;
    }
    service.process = static_cast<uint32_t>(process);
    service.control = control_end;
    service.state = State::Running;
    service.started_ns = now;
    ++service.starts;
    log("started %s (%s), start %u", service.description.name, service.description.program, service.starts);
    return true;
}

void stop_instance(Service& service)
{
    if (service.control) {
        (void)System::handle_close(service.control);
        service.control = 0;
    }
    if (service.process) {
        (void)System::handle_close(service.process);
        service.process = 0;
    }
}

void handle_exit(Service& service, uint64_t now)
{
    int64_t status = 0;
    (void)System::process_wait(service.process, &status, 0);
    stop_instance(service);
    Init::Decision decision = Init::decide_after_exit(
        service.history, service.description.restart, status, service.started_ns, now);
    switch (decision.verdict) {
    case Init::Verdict::Restart:
        log("%s exited with status %lld; restarting in %llu ms", service.description.name,
            static_cast<long long>(status),
            static_cast<unsigned long long>(decision.restart_delay_ns / 1000000));
        service.state = State::WaitingToRestart;
        service.restart_at_ns = now + decision.restart_delay_ns;
        break;
    case Init::Verdict::Stay:
        log("%s exited with status %lld; not restarted", service.description.name,
            static_cast<long long>(status));
        service.state = State::Stopped;
        break;
    case Init::Verdict::Quarantine:
        log("%s exited with status %lld; quarantined after %u crashes in %llu s", service.description.name,
            static_cast<long long>(status), Init::quarantine_crashes,
            static_cast<unsigned long long>(Init::quarantine_window_ns / 1000000000));
        service.state = State::Quarantined;
        break;
    }
}

// A service-control reply, built a line at a time.
struct Reply {
    char text[2048];
    size_t length { 0 };

    void add(const char* format, ...) __attribute__((format(printf, 2, 3)))
    {
        va_list arguments;
        va_start(arguments, format);
        int written = vsnprintf(text + length, sizeof(text) - length, format, arguments);
        va_end(arguments);
        if (written > 0)
            length = length + static_cast<size_t>(written) < sizeof(text)
                ? length + static_cast<size_t>(written)
                : sizeof(text) - 1;
    }
};

// A start that failed (no memory, a program that does not load) counts as a crash: the
// service is tried again with the same growing delays, and quarantined if it keeps failing.
void handle_failed_start(Service& service, uint64_t now)
{
    Init::Decision decision = Init::decide_after_exit(
        service.history, Init::RestartPolicy::Always, ABI::start_failed_exit_status, now, now);
    if (decision.verdict == Init::Verdict::Quarantine) {
        log("%s failed to start; quarantined after %u failures in %llu s", service.description.name,
            Init::quarantine_crashes,
            static_cast<unsigned long long>(Init::quarantine_window_ns / 1000000000));
        service.state = State::Quarantined;
        return;
    }
    log("%s failed to start; trying again in %llu ms", service.description.name,
        static_cast<unsigned long long>(decision.restart_delay_ns / 1000000));
    service.state = State::WaitingToRestart;
    service.restart_at_ns = now + decision.restart_delay_ns;
}

Service* find_service(const char* name)
{
    for (size_t index = 0; index < s_supervisor.service_count; ++index) {
        if (strcmp(s_supervisor.services[index].description.name, name) == 0)
            return &s_supervisor.services[index];
    }
    return nullptr;
}

// One request on a service-control channel: a line of text, "list", "status NAME",
// "start NAME" or "stop NAME"; the reply is text, its first line "ok" or "error: ...".
void serve_control(Service& client, uint64_t now)
{
    char request[256];
    ABI::ChannelReadBuffer buffer { reinterpret_cast<uint64_t>(request), sizeof(request) - 1, 0, 0, 0, 0 };
    int64_t result = System::channel_read(client.control, &buffer);
    if (result != 0) {
        if (result == System::failure(ABI::ErrorCode::PeerClosed)
            || result == System::failure(ABI::ErrorCode::BufferTooSmall)) {
            // A client that left, or sent what no request is: its channel goes.
            (void)System::handle_close(client.control);
            client.control = 0;
        }
        return;
    }
    request[buffer.byte_count] = 0;
    Reply reply;

    char* name = strchr(request, ' ');
    if (name)
        *name++ = 0;
    Service* target = name ? find_service(name) : nullptr;
    if (strcmp(request, "list") == 0) {
        reply.add("ok\n");
        for (size_t index = 0; index < s_supervisor.service_count; ++index) {
            const Service& service = s_supervisor.services[index];
            reply.add("%-12s %-12s starts %u\n", service.description.name, state_name(service.state),
                service.starts);
        }
    } else if ((strcmp(request, "status") == 0 || strcmp(request, "start") == 0
                   || strcmp(request, "stop") == 0)
        && !target) {
        reply.add("error: no service %s\n", name ? name : "named");
    } else if (strcmp(request, "status") == 0) {
        reply.add("ok\n%s %s\n", target->description.name, state_name(target->state));
    } else if (strcmp(request, "start") == 0) {
        if (target->state == State::Running) {
            reply.add("error: %s is running\n", target->description.name);
        } else {
            // Asked for by name: a quarantine ends, with a clean history.
            target->history = Init::CrashHistory {};
            if (start_service(*target, now))
                reply.add("ok\n");
            else
                reply.add("error: %s did not start\n", target->description.name);
        }
    } else if (strcmp(request, "stop") == 0) {
        if (target->state == State::Running) {
            (void)System::process_kill(target->process);
            (void)System::process_wait(target->process, nullptr, ABI::no_deadline);
            stop_instance(*target);
            log("%s stopped on request", target->description.name);
        }
        target->state = State::Stopped;
        reply.add("ok\n");
    } else {
        reply.add("error: unknown request (list, status NAME, start NAME, stop NAME)\n");
    }
    (void)System::channel_write(client.control, reply.text, reply.length);
}

[[noreturn]] void supervise()
{
    for (;;) {
        uint64_t now = System::clock_monotonic();
        uint64_t deadline = ABI::no_deadline;
        ABI::WaitItem items[2 * Init::maximum_services];
        Service* owners[2 * Init::maximum_services];
        bool is_control[2 * Init::maximum_services];
        uint64_t count = 0;
        for (size_t index = 0; index < s_supervisor.service_count; ++index) {
            Service& service = s_supervisor.services[index];
            if (service.state == State::WaitingToRestart) {
                if (service.restart_at_ns <= now && !start_service(service, now))
                    handle_failed_start(service, now);
                if (service.state == State::WaitingToRestart && service.restart_at_ns < deadline)
                    deadline = service.restart_at_ns;
            }
            if (service.state == State::Running) {
                items[count] = { service.process, ABI::signal_bits(ABI::Signal::Terminated), 0 };
                owners[count] = &service;
                is_control[count++] = false;
            }
            if (service.control) {
                items[count] = { service.control,
                    ABI::signal_bits(ABI::Signal::Readable) | ABI::signal_bits(ABI::Signal::PeerClosed), 0 };
                owners[count] = &service;
                is_control[count++] = true;
            }
        }
        if (count == 0) {
            if (deadline == ABI::no_deadline) {
                log("no service left to supervise");
                uint32_t never_woken = 0;
                for (;;)
                    (void)System::futex_wait(&never_woken, 0, ABI::no_deadline);
            }
            uint32_t never_woken = 0;
            (void)System::futex_wait(&never_woken, 0, deadline);
            continue;
        }
        int64_t woken = System::object_wait_many(items, count, deadline);
        if (woken < 0 && woken != System::failure(ABI::ErrorCode::TimedOut)) {
            log("waiting failed (error %lld)", static_cast<long long>(-woken));
            continue;
        }
        now = System::clock_monotonic();
        for (uint64_t index = 0; index < count; ++index) {
            if (items[index].observed == 0)
                continue;
            Service& service = *owners[index];
            if (is_control[index]) {
                if (service.control)
                    serve_control(service, now);
            } else if (service.state == State::Running && service.process == items[index].handle) {
                handle_exit(service, now);
            }
        }
    }
}

bool any_service_has(Init::Resource resource)
{
    for (size_t index = 0; index < s_supervisor.service_count; ++index) {
        if (has(s_supervisor.services[index], resource))
            return true;
    }
    return false;
}

// The devices the manifest's services ask for, made once: a restarted driver gets the same.
void prepare_devices()
{
    Supervisor& supervisor = s_supervisor;
    if (any_service_has(Init::Resource::KeyboardDevice)) {
        constexpr uint64_t controller_ports = 0x60;
        constexpr uint64_t controller_port_count = 5;
        constexpr uint64_t keyboard_irq = 1;
        int64_t ports = System::resource_narrow(supervisor.io_ports, controller_ports, controller_port_count);
        int64_t interrupt = System::interrupt_create(
            supervisor.interrupt_lines, keyboard_irq, static_cast<uint64_t>(ABI::InterruptFlag::IsaIrq));
        if (ports > 0 && interrupt > 0) {
            supervisor.keyboard_ports = static_cast<uint32_t>(ports);
            supervisor.keyboard_interrupt = static_cast<uint32_t>(interrupt);
        } else {
            if (ports > 0)
                (void)System::handle_close(static_cast<uint32_t>(ports));
            if (interrupt > 0)
                (void)System::handle_close(static_cast<uint32_t>(interrupt));
            log("the keyboard's ports or interrupt are unavailable (%lld, %lld)",
                static_cast<long long>(ports), static_cast<long long>(interrupt));
        }
    }
    if (any_service_has(Init::Resource::MouseDevice)) {
        constexpr uint64_t mouse_irq = 12;
        int64_t interrupt = System::interrupt_create(
            supervisor.interrupt_lines, mouse_irq, static_cast<uint64_t>(ABI::InterruptFlag::IsaIrq));
        if (interrupt > 0)
            supervisor.mouse_interrupt = static_cast<uint32_t>(interrupt);
        else
            log("the mouse's interrupt is unavailable (%lld)", static_cast<long long>(interrupt));
    }
    if (any_service_has(Init::Resource::RtcDevice)) {
        constexpr uint64_t rtc_ports = 0x70;
        int64_t ports = System::resource_narrow(supervisor.io_ports, rtc_ports, 2);
        if (ports > 0)
            supervisor.rtc_ports = static_cast<uint32_t>(ports);
        else
            log("the RTC's ports are unavailable (%lld)", static_cast<long long>(ports));
    }
    if (any_service_has(Init::Resource::PciConfiguration)) {
        // The first window the MCFG lists (a PC has one): its buses, narrowed from the MMIO
        // root, so the device manager reaches configuration space and nothing else.
        ABI::PciSegment segment {};
        int64_t count = System::system_pci_segments(supervisor.system_control, &segment, 1);
        uint64_t first = segment.base_address + (static_cast<uint64_t>(segment.start_bus) << 20);
        uint64_t size = (static_cast<uint64_t>(segment.end_bus) - segment.start_bus + 1) << 20;
        int64_t range = count > 0 ? System::resource_narrow(supervisor.mmio, first, size) : -1;
        if (range > 0) {
            supervisor.pci_configuration = static_cast<uint32_t>(range);
            snprintf(supervisor.pci_layout, sizeof(supervisor.pci_layout), "%u %llx %u %u",
                segment.segment_group, static_cast<unsigned long long>(segment.base_address),
                segment.start_bus, segment.end_bus);
        } else if (count == 0) {
            // No MCFG: the legacy configuration mechanism, through its two registers' ports.
            constexpr uint64_t configuration_ports = 0xCF8;
            int64_t ports = System::resource_narrow(supervisor.io_ports, configuration_ports, 8);
            if (ports > 0)
                supervisor.pci_ports = static_cast<uint32_t>(ports);
            else
                log("no PCI configuration ports for the device manager (%lld)",
                    static_cast<long long>(ports));
        } else {
            log("no PCI configuration window for the device manager (%lld)", static_cast<long long>(range));
        }
    }
    if (any_service_has(Init::Resource::Framebuffer)) {
        ABI::FramebufferInfo info {};
        int64_t taken = System::system_framebuffer(supervisor.system_control, &info);
        uint64_t base = info.physical_address & ~(ABI::memory_page_size - 1);
        uint64_t end
            = (info.physical_address + info.size + ABI::memory_page_size - 1) & ~(ABI::memory_page_size - 1);
        int64_t memory = taken == 0 ? System::memory_object_create_physical(
                             supervisor.mmio, base, end - base, ABI::physical_write_combining)
                                    : taken;
        if (memory > 0) {
            supervisor.framebuffer = static_cast<uint32_t>(memory);
            snprintf(supervisor.framebuffer_layout, sizeof(supervisor.framebuffer_layout),
                "%u %u %u %u %u %u %u %u %u %u %llu", info.width, info.height, info.pitch,
                info.bits_per_pixel, info.red_position, info.red_size, info.green_position, info.green_size,
                info.blue_position, info.blue_size,
                static_cast<unsigned long long>(info.physical_address - base));
        } else {
            log("no framebuffer for the console (error %lld); it serves the serial port alone",
                static_cast<long long>(-memory));
        }
    }
}

bool read_manifest()
{
    LibC::RamdiskNode file;
    if (LibC::ramdisk_lookup("/etc/services", file) != 0 || file.is_directory) {
        log("no /etc/services in the RAM disk");
        return false;
    }
    Init::parse_manifest(reinterpret_cast<const char*>(file.data), file.size, s_supervisor.manifest);
    for (size_t index = 0; index < s_supervisor.manifest.problem_count; ++index) {
        const Init::ManifestProblem& problem = s_supervisor.manifest.problems[index];
        log("/etc/services line %u skipped: %s", problem.line, problem.reason);
    }
    s_supervisor.service_count = s_supervisor.manifest.service_count;
    for (size_t index = 0; index < s_supervisor.service_count; ++index)
        s_supervisor.services[index].description = s_supervisor.manifest.services[index];
    return true;
}

} // namespace

extern "C" int64_t main(uint64_t argument, uint64_t self_value, const ABI::StartupHandles* startup)
{
    auto self = static_cast<uint32_t>(self_value);
    int64_t broken_promise = check_kernel_promises(self, startup);
    // Argument 1 (Kernel/Tasks/FirstProgram.h, first_program_checks_only): the kernel test
    // that runs init wants the checks alone.
    if (broken_promise != 0 || argument == 1)
        return broken_promise;

    s_supervisor.self = self;
    s_supervisor.ramdisk = startup->handles[RamdiskIndex];
    s_supervisor.serial_console = startup->handles[SerialConsoleIndex];
    s_supervisor.system_control = startup->handles[SystemControlIndex];
    // The library reads the RAM disk (the manifest, the programs) through this role.
    LibC::StartupHandle roles[] = { { LibC::HandleRole::Ramdisk, 0, s_supervisor.ramdisk } };
    LibC::set_startup_handles(roles, 1);
    s_supervisor.io_ports = startup->handles[IoPortsIndex];
    s_supervisor.mmio = startup->handles[MmioIndex];
    s_supervisor.interrupt_lines = startup->handles[InterruptLinesIndex];
    uint32_t session[2];
    uint32_t keyboard[2];
    if (System::channel_create(ABI::ChannelQos::Bulk, session) != 0
        || System::channel_create(ABI::ChannelQos::Bulk, keyboard) != 0)
        return 10;
    s_supervisor.session_console_end = session[0];
    s_supervisor.session_terminal_end = session[1];
    s_supervisor.keyboard_input_end = keyboard[0];
    s_supervisor.keyboard_output_end = keyboard[1];
    // Best effort: nobody may be reading the mouse, and the driver must never wait for a
    // reader; the oldest events go first.
    uint32_t mouse[2];
    if (System::channel_create(ABI::ChannelQos::BestEffort, mouse) != 0)
        return 10;
    s_supervisor.mouse_input_end = mouse[0];
    s_supervisor.mouse_output_end = mouse[1];
    uint32_t devices[2];
    if (System::channel_create(ABI::ChannelQos::LatencySensitive, devices) != 0)
        return 10;
    s_supervisor.device_server_end = devices[0];
    s_supervisor.device_client_end = devices[1];
    uint32_t rtc[2];
    if (System::channel_create(ABI::ChannelQos::LatencySensitive, rtc) != 0)
        return 10;
    s_supervisor.rtc_server_end = rtc[0];
    s_supervisor.rtc_client_end = rtc[1];
    uint32_t names[2];
    if (System::channel_create(ABI::ChannelQos::Bulk, names) != 0)
        return 10;
    s_supervisor.namespace_server_end = names[0];
    s_supervisor.namespace_client_end = names[1];
    if (!read_manifest())
        return 11;
    prepare_devices();
    uint64_t now = System::clock_monotonic();
    for (size_t index = 0; index < s_supervisor.service_count; ++index) {
        Service& service = s_supervisor.services[index];
        if (!service.description.manual && !start_service(service, now))
            handle_failed_start(service, now);
    }
    supervise();
}
