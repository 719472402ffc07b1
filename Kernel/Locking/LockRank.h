#pragma once

// The global lock order of docs/lock-order.md as numbers, so that the debug-build checker
// (LockOrderChecker.h) can test an acquisition with one comparison. A CPU may only take a
// lock whose rank is strictly higher than that of every lock it already holds; two locks
// of the same rank never nest, and nothing at all is taken while a Leaf lock is held.
//
// The values leave gaps so that a lock added later can be placed between two existing
// ones without renumbering the rest. Keep this list and docs/lock-order.md in step.

#include <Core/Types.h>

namespace Kernel::Locking {

enum class LockRank : Core::u8 {
    // A process's handle table: it grows on the heap, and closing a handle can free an
    // object (and its memory) under it.
    ProcessHandles = 5,
    // Taken first among memory locks: mapping kernel memory may need table frames.
    KernelPageTables = 10,
    // A user address space's regions and page tables; mapping may need table frames and a
    // longer region list, and the page-fault path takes a frame for the page under it.
    // Memory objects take no lock of their own (their pages are published by
    // compare-and-swap), so nothing ranks between this and the heap.
    AddressSpace = 15,
    // A slab cache that grows takes physical-memory under it.
    Heap = 20,
    // The IOMMU's root, context and translation tables and its domain registry
    // (Iommu/Iommu.h). Taken when a DMA memory object goes, which may happen under the
    // address-space or handle-table locks; takes table frames (physical-memory) under it,
    // never the heap.
    Iommu = 25,
    PhysicalMemory = 30,
    // Mutexes' waiter lists and inherited priorities; cross-CPU requeue calls are made
    // under it, which take no lock.
    PriorityInheritance = 35,
    // A port's list of bindings (Objects/Port.h); attaching a binding to its object's
    // signals takes that object's wait-queue lock under it.
    PortBindings = 37,
    // A futex hash bucket (Tasks/Futex.h); waking a futex waiter takes the waiter's own
    // wait-queue lock under it.
    FutexBucket = 38,
    // A channel's queues, closed flags and counters; signals are raised under it (wait
    // queues, higher) and nothing is allocated or freed.
    Channel = 39,
    // A wait queue's waiter list; waking takes no other lock under it.
    WaitQueue = 40,
    // What an object's raise notifies under its signals' wait-queue lock: a port's packet
    // queue and a multi-object wait's own queue. Two of them never nest.
    SignalObserver = 41,
    // A process's list of threads; terminating the process wakes them under it, which
    // takes no lock.
    ProcessThreads = 42,
    // Reserved deadline bandwidth of every CPU.
    DeadlineAdmission = 45,
    // Locks under which nothing else is ever acquired (log, log call sites). Highest of
    // all, so they may be taken last whatever else is held.
    Leaf = 250,
};

// The name docs/lock-order.md uses for the rank, for diagnostics. A value outside the
// list (cast from a number) is reported as unlisted rather than trusted.
constexpr const char* lock_rank_name(LockRank rank)
{
    switch (rank) {
    case LockRank::ProcessHandles:
        return "process-handles";
    case LockRank::KernelPageTables:
        return "kernel-page-tables";
    case LockRank::AddressSpace:
        return "address-space";
    case LockRank::Heap:
        return "heap";
    case LockRank::Iommu:
        return "iommu";
    case LockRank::PhysicalMemory:
        return "physical-memory";
    case LockRank::PriorityInheritance:
        return "priority-inheritance";
    case LockRank::PortBindings:
        return "port-bindings";
    case LockRank::FutexBucket:
        return "futex-bucket";
    case LockRank::Channel:
        return "channel";
    case LockRank::WaitQueue:
        return "wait-queue";
    case LockRank::SignalObserver:
        return "signal-observer";
    case LockRank::ProcessThreads:
        return "process-threads";
    case LockRank::DeadlineAdmission:
        return "deadline-admission";
    case LockRank::Leaf:
        return "leaf";
    }
    return "unlisted";
}

} // namespace Kernel::Locking
