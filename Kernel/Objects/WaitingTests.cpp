// Waiting for several objects at once, ports and their bindings in the kernel; and the
// user-space test program of object_wait_many, the port calls and futexes
// (Userland/Tests/WaitTests.cpp).

#include <ABI/Port.h>
#include <ABI/Signals.h>
#include <Kernel/Objects/Event.h>
#include <Kernel/Objects/MultiWait.h>
#include <Kernel/Objects/Port.h>
#include <Kernel/Objects/Timer.h>
#include <Kernel/Tasks/ProgramTestSupport.h>
#include <Kernel/Test/KernelTest.h>
#include <Kernel/Time/Clock.h>

namespace {

using Kernel::Time::monotonic_nanoseconds;

constexpr Core::u32 signalled = ABI::signal_bits(ABI::Signal::Signalled);
constexpr Core::u32 fired = ABI::signal_bits(ABI::Signal::Fired);
constexpr Core::u64 millisecond = 1'000'000;
constexpr Core::u64 long_wait_ns = 5'000 * millisecond;

template<typename T> bool fails_with(const Core::Result<T>& result, Core::ErrorCode code)
{
    return result.is_error() && result.error().code() == code;
}

} // namespace

KERNEL_TEST(objects, wait_for_any_returns_the_first_satisfied_item_and_consumes_only_its_bits)
{
    auto event = Kernel::Objects::Event::create();
    auto first_timer = Kernel::Objects::Timer::create(true);
    auto second_timer = Kernel::Objects::Timer::create(true);
    EXPECT(!event.is_error() && !first_timer.is_error() && !second_timer.is_error());
    if (event.is_error() || first_timer.is_error() || second_timer.is_error())
        return;
    Kernel::Objects::MultiWaitItem items[] = {
        { event.value()->signals(), signalled, 0 },
        { first_timer.value()->signals(), fired, 0 },
        { second_timer.value()->signals(), fired, 0 },
    };
    auto polled = Kernel::Objects::wait_for_any(items, 0);
    EXPECT(fails_with(polled, Core::ErrorCode::TimedOut));
    // Both auto-reset timers fire; the first of them wins and only it loses Fired.
    first_timer.value()->set(monotonic_nanoseconds(), 0);
    second_timer.value()->set(monotonic_nanoseconds(), 0);
    auto chosen = Kernel::Objects::wait_for_any(items, monotonic_nanoseconds() + long_wait_ns);
    EXPECT(!chosen.is_error());
    if (chosen.is_error())
        return;
    EXPECT_EQ(chosen.value().index, 1u);
    EXPECT_EQ(chosen.value().observed, fired);
    EXPECT_EQ(items[1].observed, fired);
    EXPECT_EQ(first_timer.value()->signals()->current(), 0u);
    // The second timer (which may fire a little later) is the next wait's, and that wait
    // consumes its Fired in turn.
    auto next = Kernel::Objects::wait_for_any(items, monotonic_nanoseconds() + long_wait_ns);
    EXPECT(!next.is_error() && next.value().index == 2u);
    EXPECT_EQ(second_timer.value()->signals()->current(), 0u);
}

KERNEL_TEST(objects, wait_for_any_sleeps_until_a_timer_fires)
{
    auto event = Kernel::Objects::Event::create();
    auto timer = Kernel::Objects::Timer::create(false);
    EXPECT(!event.is_error() && !timer.is_error());
    if (event.is_error() || timer.is_error())
        return;
    Kernel::Objects::MultiWaitItem items[] = {
        { event.value()->signals(), signalled, 0 },
        { timer.value()->signals(), fired, 0 },
    };
    Core::u64 start = monotonic_nanoseconds();
    timer.value()->set(start + 5 * millisecond, 0);
    auto chosen = Kernel::Objects::wait_for_any(items, start + long_wait_ns);
    EXPECT(!chosen.is_error() && chosen.value().index == 1u);
    EXPECT(monotonic_nanoseconds() >= start + 5 * millisecond);
    // Nothing stays attached: a later raise finds no observer of the finished wait.
    event.value()->signal();
    EXPECT_EQ(event.value()->signals()->current(), signalled);
}

KERNEL_TEST(objects, a_binding_holds_its_object_until_it_fires_or_the_port_goes)
{
    auto port = Kernel::Objects::Port::create();
    auto event = Kernel::Objects::Event::create();
    EXPECT(!port.is_error() && !event.is_error());
    if (port.is_error() || event.is_error())
        return;
    Core::u64 alone = event.value()->reference_count();
    auto object = Core::RefPtr<Kernel::Objects::KernelObject>(event.value());
    // One-shot: the reference goes when its packet is taken.
    EXPECT(!port.value()->bind(object, signalled, 1, false).is_error());
    EXPECT_EQ(event.value()->reference_count(), alone + 2);
    event.value()->signal();
    EXPECT_EQ(port.value()->queued_packet_count(), 1u);
    auto packet = port.value()->wait(0);
    EXPECT(!packet.is_error() && packet.value().key == 1u && packet.value().count == 1u);
    EXPECT_EQ(port.value()->binding_count(), 0u);
    EXPECT_EQ(event.value()->reference_count(), alone + 1);
    // Persistent: the reference stays until the port is destroyed, queued packet and all.
    EXPECT(!port.value()->bind(object, signalled, 2, true).is_error());
    EXPECT_EQ(port.value()->queued_packet_count(), 1u); // raised already
    EXPECT_EQ(event.value()->reference_count(), alone + 2);
    port.value() = nullptr;
    EXPECT_EQ(event.value()->reference_count(), alone + 1);
    event.value()->reset();
    event.value()->signal();
}

KERNEL_TEST(objects, a_full_port_still_takes_signal_packets)
{
    auto port = Kernel::Objects::Port::create();
    auto event = Kernel::Objects::Event::create();
    EXPECT(!port.is_error() && !event.is_error());
    if (port.is_error() || event.is_error())
        return;
    EXPECT(!port.value()
                ->bind(Core::RefPtr<Kernel::Objects::KernelObject>(event.value()), signalled, 5, true)
                .is_error());
    const Core::u64 payload[4] = { 1, 2, 3, 4 };
    for (Core::u64 index = 0; index < ABI::port_maximum_user_packets; ++index)
        EXPECT(!port.value()->queue_user_packet(index, payload).is_error());
    EXPECT(fails_with(port.value()->queue_user_packet(0, payload), Core::ErrorCode::OutOfRange));
    event.value()->signal();
    event.value()->reset();
    event.value()->signal();
    EXPECT_EQ(port.value()->queued_packet_count(), ABI::port_maximum_user_packets + 1);
    Core::u64 signal_packets = 0;
    for (;;) {
        auto packet = port.value()->wait(0);
        if (packet.is_error()) {
            EXPECT(fails_with(packet, Core::ErrorCode::TimedOut));
            break;
        }
        if (packet.value().type == ABI::PortPacketType::Signal) {
            ++signal_packets;
            EXPECT_EQ(packet.value().count, 2u);
        }
    }
    EXPECT_EQ(signal_packets, 1u);
}

// Userland/Tests/WaitTests.cpp: object_wait_many, ports and futexes from user space, with a
// futex-based mutex under contention from four threads.
KERNEL_TEST(syscalls, wait_calls_from_user_space)
{
    auto status = Kernel::Tasks::TestSupport::run_to_exit(test_context, "tests/waiting", 0);
    EXPECT(status.has_value());
    if (status.has_value())
        EXPECT_EQ(status.value(), 0); // otherwise: the number of the check that failed
}
