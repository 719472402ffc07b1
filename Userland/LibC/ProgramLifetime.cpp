// A program's start and end, as C and C++ have them: global constructors before main,
// exit() and atexit() (and __cxa_atexit, through which the compiler registers the
// destructors of globals) after it, abort(), and the C++ ABI's pure-virtual handler.
// Start.S calls raeen_run_constructors before main and raeen_exit with main's result.

#include <Userland/LibC/include/stdio.h>
#include <Userland/LibC/include/stdlib.h>
#include <Userland/Runtime/System.h>

// The linker's bounds of .init_array: the constructors of the program's globals, in order.
// Their entries were relocated with the rest of the image when the kernel loaded it.
extern "C" void (*__init_array_start[])() __attribute__((visibility("hidden")));
extern "C" void (*__init_array_end[])() __attribute__((visibility("hidden")));

// stdio's flush of every stream (StandardIo.cpp), weak so that a program without streams
// does not carry them.
extern "C" __attribute__((weak)) void raeen_flush_streams(void);

// The C++ ABI's handle of this image (one: programs are static).
extern "C" {
void* __dso_handle = &__dso_handle;
}

namespace {

// C17 7.22.4.2 asks for at least 32 registrations; every global with a destructor takes one.
constexpr int maximum_exit_handlers = 64;

struct ExitHandler {
    void (*function)(void*);
    void* argument;
};

ExitHandler s_exit_handlers[maximum_exit_handlers];
int s_exit_handler_count;
// Registrations and exit can come from several threads: a spin lock, held briefly.
int s_exit_lock;

void lock_exit_handlers()
{
    while (__atomic_exchange_n(&s_exit_lock, 1, __ATOMIC_ACQUIRE) != 0)
        __builtin_ia32_pause();
}

void unlock_exit_handlers()
{
    __atomic_store_n(&s_exit_lock, 0, __ATOMIC_RELEASE);
}

// atexit's functions take no argument; they are kept as __cxa_atexit's with this adapter.
void call_without_argument(void* function)
{
    reinterpret_cast<void (*)()>(function)();
}

// The status of a program that aborts: 128 plus SIGABRT's number, as shells report it.
constexpr int abort_status = 134;

} // namespace

extern "C" {

void raeen_run_constructors()
{
    for (void (**constructor)() = __init_array_start; constructor < __init_array_end; ++constructor)
        (*constructor)();
}

int __cxa_atexit(void (*function)(void*), void* argument, void*)
{
    lock_exit_handlers();
    bool registered = s_exit_handler_count < maximum_exit_handlers;
    if (registered)
        s_exit_handlers[s_exit_handler_count++] = { function, argument };
    unlock_exit_handlers();
    return registered ? 0 : -1;
}

int atexit(void (*function)(void))
{
    return __cxa_atexit(call_without_argument, reinterpret_cast<void*>(function), __dso_handle);
}

// exit() with RaeenOS's full 64-bit exit status: what Start.S calls with main's result (a
// RaeenOS program's main returns an int64_t; ABI/Process.h).
[[noreturn]] void raeen_exit(int64_t status)
{
    // Last registered, first called; a handler may register more, which run too.
    for (;;) {
        lock_exit_handlers();
        if (s_exit_handler_count == 0) {
            unlock_exit_handlers();
            break;
        }
        ExitHandler handler = s_exit_handlers[--s_exit_handler_count];
        unlock_exit_handlers();
        handler.function(handler.argument);
    }
    // Then the streams' buffered output (C17 7.22.4.4): only programs that use stdio link it.
    if (raeen_flush_streams)
        raeen_flush_streams();
    System::process_exit(status);
}

void exit(int status)
{
    raeen_exit(status);
}

void abort(void)
{
    System::process_exit(abort_status);
}

// A call through a pure virtual function (an object used during its construction or
// destruction): a bug of the program, which ends it.
void __cxa_pure_virtual()
{
    abort();
}

} // extern "C"

namespace Core {

// A broken invariant of the core library (VERIFY) in user space: logged, then abort().
[[noreturn]] void verification_failed(const char* expression, const char* file, int line)
{
    char message[256];
    int length = snprintf(message, sizeof(message), "VERIFY(%s) failed at %s:%d", expression, file, line);
    if (length > 0)
        System::debug_log(message,
            static_cast<size_t>(length) < sizeof(message) ? static_cast<size_t>(length)
                                                          : sizeof(message) - 1);
    abort();
}

} // namespace Core
