// User-space tests of waiting: object_wait_many, ports and futexes, every call's success and
// failure paths, and a futex-based mutex under contention. The kernel test
// kernel.syscalls.wait_calls_from_user_space runs it; it exits with 0, or the number of
// the first check that failed.

#include <ABI/Devices.h>
#include <ABI/ObjectType.h>
#include <ABI/Port.h>
#include <ABI/Rights.h>
#include <Userland/Runtime/System.h>

using ABI::ErrorCode;
using System::failure;

extern "C" void _thread_start();

namespace {

constexpr uint32_t signalled = ABI::signal_bits(ABI::Signal::Signalled);
constexpr uint32_t fired = ABI::signal_bits(ABI::Signal::Fired);
constexpr uint64_t millisecond_ns = 1'000'000;
// Far enough away that a test that waits for it has failed anyway.
constexpr uint64_t long_wait_ns = 5'000 * millisecond_ns;

// The last user address plus one (Kernel/Memory/UserRange.h).
constexpr uint64_t user_space_end = (1ull << 47) - 0x1000;
// Pointers no call may accept: the kernel's half, NULL, an unmapped user page, a
// non-canonical address, and a range that runs past the end of user space.
constexpr uint64_t bad_pointers[] = {
    0xFFFFFFFF80000000ull,
    0,
    0x20000,
    0x0000800000000000ull,
    user_space_end - 8,
};

// A mutex on one futex word (three states: 0 free, 1 held, 2 held with sleepers): the
// uncontended paths are one atomic each; only contention enters the kernel.
class FutexMutex {
public:
    void lock()
    {
        uint32_t seen = 0;
        if (__atomic_compare_exchange_n(&m_state, &seen, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return;
        // Mark it contended before sleeping, so that the holder's unlock wakes someone.
        if (seen != 2)
            seen = __atomic_exchange_n(&m_state, 2, __ATOMIC_ACQUIRE);
        while (seen != 0) {
            int64_t waited = System::futex_wait(&m_state, 2);
            if (waited != 0 && waited != failure(ErrorCode::WouldBlock))
                s_unexpected_results = s_unexpected_results + 1;
            seen = __atomic_exchange_n(&m_state, 2, __ATOMIC_ACQUIRE);
        }
    }
    void unlock()
    {
        if (__atomic_exchange_n(&m_state, 0, __ATOMIC_RELEASE) == 2)
            (void)System::futex_wake(&m_state, 1);
    }

    // Results other than 0 and WouldBlock seen by futex_wait in lock().
    static inline int64_t s_unexpected_results = 0;

private:
    uint32_t m_state { 0 };
};

constexpr uint64_t contention_threads = 4;
constexpr uint64_t increments_per_thread = 3000;
constexpr uint64_t wake_test_threads = 3;

alignas(16) char s_stacks[contention_threads][16384];
FutexMutex s_mutex;
uint64_t s_counter;
// The futex the wake-count test's threads sleep on, and how many have started.
uint32_t s_wake_word;
uint32_t s_wake_waiters_started;

// Zero-initialised in .bss: the runtime has no memset for a local array this large.
ABI::WaitItem s_items[ABI::wait_many_maximum_items + 1];

enum class Role : uint64_t {
    Increment = 1,
    SleepOnWakeWord = 2,
    // Ends at once: its handle is one with Wait on an object without signals.
    ExitAtOnce = 3,
};

// Sleeps about `duration_ns` (a futex wait that nobody wakes times out).
void sleep_for(uint64_t duration_ns)
{
    uint32_t never_woken = 0;
    (void)System::futex_wait(&never_woken, 0, System::clock_monotonic() + duration_ns);
}

// Starts a thread of `role` on stack `index`; its handle, or a negated error.
int64_t start_thread(Role role, uint64_t index)
{
    return System::thread_create(
        _thread_start, s_stacks[index] + sizeof(s_stacks[index]), static_cast<uint64_t>(role));
}

} // namespace

extern "C" int64_t thread_main(uint64_t argument, uint64_t)
{
    switch (static_cast<Role>(argument)) {
    case Role::Increment:
        for (uint64_t round = 0; round < increments_per_thread; ++round) {
            s_mutex.lock();
            // A read and a separate write: lost updates would show if the mutex let two
            // threads in at once.
            uint64_t value = __atomic_load_n(&s_counter, __ATOMIC_RELAXED);
            __atomic_store_n(&s_counter, value + 1, __ATOMIC_RELAXED);
            s_mutex.unlock();
        }
        return 0;
    case Role::SleepOnWakeWord:
        __atomic_add_fetch(&s_wake_waiters_started, 1, __ATOMIC_SEQ_CST);
        return System::futex_wait(&s_wake_word, 0, System::clock_monotonic() + long_wait_ns);
    case Role::ExitAtOnce:
        return 0;
    }
    return -1;
}

extern "C" int64_t main(uint64_t, uint64_t self_value)
{
    auto self = static_cast<uint32_t>(self_value);
    int64_t check = 0;
    auto expect = [&](bool condition) {
        ++check;
        return condition;
    };
    constexpr int64_t bad_address = failure(ErrorCode::BadAddress);
    constexpr int64_t invalid = failure(ErrorCode::InvalidArgument);
    constexpr int64_t timed_out = failure(ErrorCode::TimedOut);

    // ---- object_wait_many -----------------------------------------------------------
    int64_t first_event = System::event_create();
    int64_t second_event = System::event_create();
    int64_t timer = System::timer_create(0);
    int64_t auto_reset_timer = System::timer_create(static_cast<uint64_t>(ABI::TimerFlag::AutoReset));
    if (!expect(first_event > 0 && second_event > 0 && timer > 0 && auto_reset_timer > 0))
        return check;
    auto event_a = static_cast<uint32_t>(first_event);
    auto event_b = static_cast<uint32_t>(second_event);
    auto timer_handle = static_cast<uint32_t>(timer);
    auto auto_timer = static_cast<uint32_t>(auto_reset_timer);

    ABI::WaitItem* items = s_items;
    items[0] = { event_a, signalled, 0xFFFF };
    items[1] = { event_b, signalled, 0xFFFF };
    // Nothing raised, deadline 0: a poll that times out and still reports every item.
    if (!expect(System::object_wait_many(items, 2, 0) == timed_out && items[0].observed == 0
            && items[1].observed == 0))
        return check;
    if (!expect(System::event_signal(event_b) == 0))
        return check;
    items[0].observed = items[1].observed = 0xFFFF;
    if (!expect(System::object_wait_many(items, 2, 0) == 1 && items[0].observed == 0
            && items[1].observed == signalled))
        return check;
    // With both raised, the first item wins.
    if (!expect(
            System::event_signal(event_a) == 0 && System::object_wait_many(items, 2, ABI::no_deadline) == 0))
        return check;
    if (!expect(items[0].observed == signalled && items[1].observed == signalled))
        return check;
    if (!expect(System::event_reset(event_a) == 0 && System::event_reset(event_b) == 0))
        return check;

    // A near deadline: TimedOut, and not before it.
    uint64_t start = System::clock_monotonic();
    if (!expect(System::object_wait_many(items, 2, start + 3 * millisecond_ns) == timed_out))
        return check;
    if (!expect(System::clock_monotonic() >= start + 3 * millisecond_ns))
        return check;

    // A timer that fires during the wait ends it, with its own index.
    items[1] = { timer_handle, fired, 0 };
    start = System::clock_monotonic();
    if (!expect(System::timer_set(timer_handle, start + 5 * millisecond_ns, 0) == 0))
        return check;
    if (!expect(System::object_wait_many(items, 2, start + long_wait_ns) == 1 && items[1].observed == fired
            && items[0].observed == 0))
        return check;
    if (!expect(System::clock_monotonic() >= start + 5 * millisecond_ns))
        return check;

    // An auto-reset timer: the winning item consumes Fired; an item after it is not
    // touched (the event stays signalled for the next wait).
    items[0] = { auto_timer, fired, 0 };
    items[1] = { event_a, signalled, 0 };
    if (!expect(System::event_signal(event_a) == 0
            && System::timer_set(auto_timer, System::clock_monotonic(), 0) == 0))
        return check;
    // Fired within the sleep (a deadline already past fires at once); nothing consumes it.
    sleep_for(2 * millisecond_ns);
    if (!expect(System::object_wait_many(items, 2, System::clock_monotonic() + long_wait_ns) == 0
            && items[0].observed == fired && items[1].observed == signalled))
        return check;
    if (!expect(System::object_wait(auto_timer, fired, 0) == timed_out))
        return check;
    if (!expect(System::object_wait_many(items, 2, 0) == 1 && System::event_reset(event_a) == 0))
        return check;

    // Counts: 0 and over the limit (the full array exists, so only the count is wrong).
    for (uint64_t index = 0; index <= ABI::wait_many_maximum_items; ++index)
        items[index] = { event_a, signalled, 0 };
    if (!expect(System::object_wait_many(items, 0, 0) == invalid))
        return check;
    if (!expect(System::object_wait_many(items, ABI::wait_many_maximum_items + 1, 0) == invalid))
        return check;
    if (!expect(System::object_wait_many(items, ABI::wait_many_maximum_items, 0) == timed_out))
        return check;
    for (uint64_t pointer : bad_pointers) {
        if (!expect(System::object_wait_many(reinterpret_cast<ABI::WaitItem*>(pointer), 2, 0) == bad_address))
            return check;
    }
    // Masks: none, unknown bits, bits an event never raises. One bad item fails the call
    // even when an item before it is satisfied.
    if (!expect(System::event_signal(event_a) == 0))
        return check;
    items[1] = { event_b, 0, 0 };
    if (!expect(System::object_wait_many(items, 2, 0) == invalid))
        return check;
    items[1] = { event_b, 1u << 31, 0 };
    if (!expect(System::object_wait_many(items, 2, 0) == invalid))
        return check;
    items[1] = { event_b, fired, 0 };
    if (!expect(System::object_wait_many(items, 2, 0) == invalid))
        return check;
    // Handles: stale, without Wait (a port has none), with no signals (a thread), forged.
    int64_t closed_event = System::event_create();
    int64_t signal_only = System::handle_duplicate(event_b, ABI::Rights(ABI::Right::Signal).raw());
    int64_t port_value = System::port_create();
    int64_t thread_value = start_thread(Role::ExitAtOnce, 0);
    if (!expect(closed_event > 0 && signal_only > 0 && port_value > 0 && thread_value > 0))
        return check;
    auto thread = static_cast<uint32_t>(thread_value);
    if (!expect(System::thread_join(thread) == 0))
        return check;
    auto port = static_cast<uint32_t>(port_value);
    if (!expect(System::handle_close(static_cast<uint32_t>(closed_event)) == 0))
        return check;
    items[1] = { static_cast<uint32_t>(closed_event), signalled, 0 };
    if (!expect(System::object_wait_many(items, 2, 0) == failure(ErrorCode::BadHandle)))
        return check;
    items[1] = { static_cast<uint32_t>(signal_only), signalled, 0 };
    if (!expect(System::object_wait_many(items, 2, 0) == failure(ErrorCode::AccessDenied)))
        return check;
    items[1] = { port, signalled, 0 };
    if (!expect(System::object_wait_many(items, 2, 0) == failure(ErrorCode::AccessDenied)))
        return check;
    items[1] = { thread, signalled, 0 };
    if (!expect(System::object_wait_many(items, 2, 0) == failure(ErrorCode::NotSupported)))
        return check;
    items[1] = { 0, signalled, 0 };
    if (!expect(System::object_wait_many(items, 2, 0) == failure(ErrorCode::BadHandle)))
        return check;
    if (!expect(System::event_reset(event_a) == 0))
        return check;
    // A read-only array fails before anything is consumed: the auto-reset timer's Fired
    // survives the refused call.
    int64_t read_only_memory = System::memory_object_create(ABI::memory_page_size);
    if (!expect(read_only_memory > 0))
        return check;
    ABI::WaitItem timer_item = { auto_timer, fired, 0 };
    if (!expect(System::memory_object_write(
                    static_cast<uint32_t>(read_only_memory), 0, &timer_item, sizeof(timer_item))
            == 0))
        return check;
    int64_t read_only_items = System::vm_map(
        self, static_cast<uint32_t>(read_only_memory), 0, ABI::memory_page_size, ABI::vm_read);
    if (!expect(read_only_items > 0 && System::timer_set(auto_timer, System::clock_monotonic(), 0) == 0))
        return check;
    // Fired is raised within the sleep; nothing waits for it, so it stays raised.
    sleep_for(2 * millisecond_ns);
    if (!expect(
            System::object_wait_many(reinterpret_cast<ABI::WaitItem*>(read_only_items), 1, 0) == bad_address))
        return check;
    if (!expect(System::object_wait(auto_timer, fired, 0) == fired))
        return check;

    // ---- ports -----------------------------------------------------------------------
    if (!expect(System::port_create(1) == invalid))
        return check;
    int64_t info = System::handle_info(port);
    if (!expect(
            info > 0 && (static_cast<uint64_t>(info) >> 32) == static_cast<uint64_t>(ABI::ObjectType::Port)))
        return check;
    ABI::Rights port_rights
        = ABI::Right::Read | ABI::Right::Write | ABI::Right::Duplicate | ABI::Right::Transfer;
    if (!expect((static_cast<uint64_t>(info) & 0xFFFFFFFF) == port_rights.raw()))
        return check;
    // A port has no signals, and its handles no Wait: port_wait is how it is waited on.
    if (!expect(System::object_wait(port, signalled, 0) == failure(ErrorCode::AccessDenied)))
        return check;
    ABI::PortPacket packet {};
    if (!expect(System::port_wait(port, &packet, 0) == timed_out))
        return check;

    // One-shot: nothing while clear, one packet at the raise, then the binding is gone.
    if (!expect(System::port_bind(port, event_a, signalled, 7, 0) == 0))
        return check;
    if (!expect(System::port_wait(port, &packet, 0) == timed_out))
        return check;
    if (!expect(System::event_signal(event_a) == 0 && System::port_wait(port, &packet, 0) == 0))
        return check;
    if (!expect(packet.key == 7 && packet.type == ABI::PortPacketType::Signal && packet.signals == signalled
            && packet.count == 1 && packet.timestamp_ns > 0 && packet.payload[0] == 0))
        return check;
    if (!expect(System::event_reset(event_a) == 0 && System::event_signal(event_a) == 0))
        return check;
    if (!expect(System::port_wait(port, &packet, 0) == timed_out))
        return check;
    // Bound while raised already: the packet comes at once.
    if (!expect(System::port_bind(port, event_a, signalled, 8, 0) == 0
            && System::port_wait(port, &packet, 0) == 0 && packet.key == 8))
        return check;
    if (!expect(System::event_reset(event_a) == 0))
        return check;

    // Persistent: a packet per rise from clear; a signal that stays raised gives none;
    // rises while a packet is queued fold into it.
    if (!expect(System::port_bind(
                    port, event_b, signalled, 9, static_cast<uint64_t>(ABI::PortBindFlag::Persistent))
            == 0))
        return check;
    if (!expect(System::event_signal(event_b) == 0 && System::port_wait(port, &packet, 0) == 0
            && packet.key == 9 && packet.count == 1))
        return check;
    if (!expect(System::event_signal(event_b) == 0 && System::port_wait(port, &packet, 0) == timed_out))
        return check;
    if (!expect(System::event_reset(event_b) == 0 && System::event_signal(event_b) == 0
            && System::event_reset(event_b) == 0 && System::event_signal(event_b) == 0))
        return check;
    if (!expect(System::port_wait(port, &packet, 0) == 0 && packet.key == 9 && packet.count == 2
            && packet.signals == signalled))
        return check;
    if (!expect(System::port_wait(port, &packet, 0) == timed_out && System::event_reset(event_b) == 0))
        return check;

    // A periodic auto-reset timer bound persistently: a packet per expiry (the packet
    // consumes Fired, so each expiry is a rise).
    int64_t tick_value = System::timer_create(static_cast<uint64_t>(ABI::TimerFlag::AutoReset));
    if (!expect(tick_value > 0))
        return check;
    auto tick = static_cast<uint32_t>(tick_value);
    if (!expect(System::port_bind(port, tick, fired, 10, static_cast<uint64_t>(ABI::PortBindFlag::Persistent))
            == 0))
        return check;
    if (!expect(System::timer_set(tick, System::clock_monotonic() + millisecond_ns, 2 * millisecond_ns) == 0))
        return check;
    for (int expiry = 0; expiry < 3; ++expiry) {
        if (!expect(System::port_wait(port, &packet, System::clock_monotonic() + long_wait_ns) == 0
                && packet.key == 10 && packet.signals == fired && packet.count >= 1))
            return check;
    }
    if (!expect(System::timer_cancel(tick) == 0))
        return check;
    // A one-shot timer binding, waited for with a deadline.
    if (!expect(System::port_bind(port, timer_handle, fired, 11, 0) == 0))
        return check;
    if (!expect(System::timer_set(timer_handle, System::clock_monotonic() + 2 * millisecond_ns, 0) == 0))
        return check;
    // Drain the tick's last packet if one was queued before the cancel.
    do {
        if (!expect(System::port_wait(port, &packet, System::clock_monotonic() + long_wait_ns) == 0))
            return check;
    } while (packet.key == 10);
    if (!expect(packet.key == 11 && packet.signals == fired))
        return check;

    // User packets: key and payload as given, the kernel's fields filled in.
    ABI::PortPacket user {};
    user.key = 42;
    user.type = ABI::PortPacketType::User;
    user.count = 99;
    for (uint64_t index = 0; index < 4; ++index)
        user.payload[index] = index + 1;
    if (!expect(System::port_queue(port, &user) == 0 && System::port_wait(port, &packet, 0) == 0))
        return check;
    if (!expect(packet.key == 42 && packet.type == ABI::PortPacketType::User && packet.signals == 0
            && packet.count == 0 && packet.payload[0] == 1 && packet.payload[3] == 4
            && packet.timestamp_ns > 0))
        return check;
    ABI::PortPacket wrong = user;
    wrong.type = ABI::PortPacketType::Signal;
    if (!expect(System::port_queue(port, &wrong) == invalid))
        return check;
    wrong = user;
    wrong.signals = signalled;
    if (!expect(System::port_queue(port, &wrong) == invalid))
        return check;
    for (uint64_t pointer : bad_pointers) {
        if (!expect(
                System::port_queue(port, reinterpret_cast<const ABI::PortPacket*>(pointer)) == bad_address))
            return check;
        if (!expect(System::port_wait(port, reinterpret_cast<ABI::PortPacket*>(pointer), 0) == bad_address))
            return check;
    }

    // The full queue: user packets stop at the limit, a binding's packet still gets in.
    if (!expect(System::port_bind(port, event_a, signalled, 12, 0) == 0))
        return check;
    for (uint64_t index = 0; index < ABI::port_maximum_user_packets; ++index) {
        user.key = 1000 + index;
        if (!expect(System::port_queue(port, &user) == 0))
            return check;
    }
    if (!expect(System::port_queue(port, &user) == failure(ErrorCode::OutOfRange)))
        return check;
    if (!expect(System::event_signal(event_a) == 0))
        return check;
    uint64_t user_packets = 0;
    bool saw_signal = false;
    while (System::port_wait(port, &packet, 0) == 0) {
        if (packet.type == ABI::PortPacketType::User && packet.key == 1000 + user_packets)
            ++user_packets;
        else if (packet.type == ABI::PortPacketType::Signal && packet.key == 12)
            saw_signal = true;
        else
            return check + 1000;
    }
    if (!expect(user_packets == ABI::port_maximum_user_packets && saw_signal))
        return check;
    if (!expect(System::event_reset(event_a) == 0))
        return check;
    // A destination that cannot be written fails before a packet is taken.
    user.key = 77;
    if (!expect(System::port_queue(port, &user) == 0))
        return check;
    if (!expect(
            System::port_wait(port, reinterpret_cast<ABI::PortPacket*>(read_only_items), 0) == bad_address))
        return check;
    if (!expect(System::port_wait(port, &packet, 0) == 0 && packet.key == 77))
        return check;

    // Handles, flags and masks of port_bind; rights of every call.
    constexpr uint64_t persistent = static_cast<uint64_t>(ABI::PortBindFlag::Persistent);
    if (!expect(System::port_bind(port, event_a, signalled, 1, 2) == invalid))
        return check;
    if (!expect(System::port_bind(port, event_a, 0, 1, 0) == invalid))
        return check;
    if (!expect(System::port_bind(port, event_a, 1u << 30, 1, persistent) == invalid))
        return check;
    if (!expect(System::port_bind(port, event_a, fired, 1, 0) == invalid))
        return check;
    if (!expect(System::port_bind(event_a, event_a, signalled, 1, 0) == failure(ErrorCode::WrongType)))
        return check;
    if (!expect(System::port_bind(port, port, signalled, 1, 0) == failure(ErrorCode::AccessDenied)))
        return check;
    if (!expect(System::port_bind(port, thread, signalled, 1, 0) == failure(ErrorCode::NotSupported)))
        return check;
    if (!expect(System::port_bind(port, static_cast<uint32_t>(signal_only), signalled, 1, 0)
            == failure(ErrorCode::AccessDenied)))
        return check;
    if (!expect(System::port_bind(port, static_cast<uint32_t>(closed_event), signalled, 1, 0)
            == failure(ErrorCode::BadHandle)))
        return check;
    int64_t read_only_port = System::handle_duplicate(port, ABI::Rights(ABI::Right::Read).raw());
    int64_t write_only_port = System::handle_duplicate(port, ABI::Rights(ABI::Right::Write).raw());
    int64_t closed_port = System::port_create();
    if (!expect(read_only_port > 0 && write_only_port > 0 && closed_port > 0))
        return check;
    if (!expect(System::handle_close(static_cast<uint32_t>(closed_port)) == 0))
        return check;
    auto reader = static_cast<uint32_t>(read_only_port);
    auto writer = static_cast<uint32_t>(write_only_port);
    auto stale_port = static_cast<uint32_t>(closed_port);
    if (!expect(System::port_bind(reader, event_a, signalled, 1, 0) == failure(ErrorCode::AccessDenied)))
        return check;
    if (!expect(System::port_queue(reader, &user) == failure(ErrorCode::AccessDenied)))
        return check;
    if (!expect(System::port_wait(writer, &packet, 0) == failure(ErrorCode::AccessDenied)))
        return check;
    if (!expect(System::port_bind(stale_port, event_a, signalled, 1, 0) == failure(ErrorCode::BadHandle)))
        return check;
    if (!expect(System::port_queue(stale_port, &user) == failure(ErrorCode::BadHandle)))
        return check;
    if (!expect(System::port_wait(stale_port, &packet, 0) == failure(ErrorCode::BadHandle)))
        return check;
    if (!expect(System::port_queue(event_a, &user) == failure(ErrorCode::WrongType)))
        return check;
    if (!expect(System::port_wait(event_a, &packet, 0) == failure(ErrorCode::WrongType)))
        return check;
    // A reader with Read only still takes what a writer queued.
    user.key = 78;
    if (!expect(System::port_queue(writer, &user) == 0 && System::port_wait(reader, &packet, 0) == 0
            && packet.key == 78))
        return check;
    // The binding limit.
    int64_t limit_port_value = System::port_create();
    if (!expect(limit_port_value > 0))
        return check;
    auto limit_port = static_cast<uint32_t>(limit_port_value);
    for (uint64_t index = 0; index < ABI::port_maximum_bindings; ++index) {
        if (!expect(System::port_bind(limit_port, event_b, signalled, index, persistent) == 0))
            return check;
    }
    if (!expect(System::port_bind(limit_port, event_b, signalled, 0, persistent)
            == failure(ErrorCode::OutOfRange)))
        return check;
    // Every binding queues its own packet for one raise.
    if (!expect(System::event_signal(event_b) == 0))
        return check;
    uint64_t binding_packets = 0;
    while (System::port_wait(limit_port, &packet, 0) == 0)
        ++binding_packets;
    if (!expect(binding_packets == ABI::port_maximum_bindings && System::event_reset(event_b) == 0))
        return check;
    // Closing the port drops its bindings; the event lives on through its own handle.
    if (!expect(System::handle_close(limit_port) == 0 && System::event_signal(event_b) == 0
            && System::object_wait(event_b, signalled, 0) == signalled))
        return check;

    // ---- futexes ---------------------------------------------------------------------
    uint32_t word = 5;
    if (!expect(System::futex_wait(&word, 4, ABI::no_deadline) == failure(ErrorCode::WouldBlock)))
        return check;
    start = System::clock_monotonic();
    if (!expect(System::futex_wait(&word, 5, start + 3 * millisecond_ns) == timed_out))
        return check;
    if (!expect(System::clock_monotonic() >= start + 3 * millisecond_ns))
        return check;
    if (!expect(System::futex_wait(&word, 5, 0) == timed_out))
        return check;
    auto* unaligned = reinterpret_cast<const uint32_t*>(reinterpret_cast<char*>(&word) + 1);
    if (!expect(
            System::futex_wait(unaligned, 5, 0) == invalid && System::futex_wake(unaligned, 1) == invalid))
        return check;
    // The expected value is a 32-bit word: wider is refused.
    if (!expect(System::system_call(ABI::Syscall::FutexWait, reinterpret_cast<uint64_t>(&word), 1ull << 32, 0)
            == invalid))
        return check;
    for (uint64_t pointer : bad_pointers) {
        auto* address = reinterpret_cast<const uint32_t*>(pointer);
        if (!expect(System::futex_wait(address, 0, 0) == bad_address))
            return check;
        // futex_wake reads nothing: an unmapped word inside user space is a valid address
        // with no waiters.
        bool inside_user_space = pointer == 0x20000 || pointer == user_space_end - 8;
        int64_t expected_wake = inside_user_space ? 0 : bad_address;
        if (!expect(System::futex_wake(address, 1) == expected_wake))
            return check;
    }
    if (!expect(System::futex_wake(&word, 10) == 0))
        return check;

    // Wake counts: three sleepers, a wake of two wakes exactly two, the rest one.
    int64_t sleepers[wake_test_threads];
    for (uint64_t index = 0; index < wake_test_threads; ++index) {
        sleepers[index] = start_thread(Role::SleepOnWakeWord, index);
        if (!expect(sleepers[index] > 0))
            return check;
    }
    while (__atomic_load_n(&s_wake_waiters_started, __ATOMIC_SEQ_CST) < wake_test_threads)
        sleep_for(millisecond_ns);
    // Each has announced itself and is a few instructions from its futex_wait: give them
    // ample time to be asleep in it.
    sleep_for(200 * millisecond_ns);
    if (!expect(System::futex_wake(&s_wake_word, 2) == 2))
        return check;
    __atomic_store_n(&s_wake_word, 1, __ATOMIC_SEQ_CST);
    if (!expect(System::futex_wake(&s_wake_word, ~uint64_t(0)) == 1))
        return check;
    for (int64_t sleeper : sleepers) {
        if (!expect(System::thread_join(static_cast<uint32_t>(sleeper)) == 0))
            return check;
    }

    // Contention: every thread increments the counter under the futex mutex; none of the
    // increments may be lost.
    int64_t workers[contention_threads];
    for (uint64_t index = 0; index < contention_threads; ++index) {
        workers[index] = start_thread(Role::Increment, index);
        if (!expect(workers[index] > 0))
            return check;
    }
    for (int64_t worker : workers) {
        if (!expect(System::thread_join(static_cast<uint32_t>(worker)) == 0))
            return check;
    }
    if (!expect(__atomic_load_n(&s_counter, __ATOMIC_RELAXED) == contention_threads * increments_per_thread))
        return check;
    if (!expect(FutexMutex::s_unexpected_results == 0))
        return check;
    return 0;
}
