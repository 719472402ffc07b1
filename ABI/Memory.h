#pragma once

// Flags and limits of the memory-object and mapping system calls (ABI/Syscalls.h, 18-25),
// shared by the kernel and user space. docs/abi/syscalls.md describes the calls and
// docs/memory.md the model behind them. Bits are never renumbered or reused; a call that
// gets a bit this header does not name refuses it with InvalidArgument.

#include <stdint.h>

namespace ABI {

// Protection bits of vm_map and vm_protect. x86-64 pages are always readable when they
// are present, so Write and Execute each need Read; Write and Execute together are refused
// (W^X). No bits at all is a valid protection: the range stays reserved, and every access
// to it faults.
inline constexpr uint64_t vm_read = 1ull << 0;
inline constexpr uint64_t vm_write = 1ull << 1;
inline constexpr uint64_t vm_execute = 1ull << 2;
inline constexpr uint64_t vm_protection_bits = vm_read | vm_write | vm_execute;
// vm_map only: map exactly at the given address (AlreadyExists if anything is mapped in
// the range). Without it the kernel picks a random free address and the address argument
// must be 0.
inline constexpr uint64_t vm_fixed = 1ull << 3;
inline constexpr uint64_t vm_map_flag_bits = vm_protection_bits | vm_fixed;

// memory_object_create and memory_object_create_child define no flags yet: the argument
// must be 0.
inline constexpr uint64_t memory_object_flag_bits = 0;

// The granularity of every size, offset and address the mapping calls take.
inline constexpr uint64_t memory_page_size = 4096;

// memory_object_create_physical flags. Without any, device memory is mapped uncached (what
// device registers need); write-combining suits frame buffers.
inline constexpr uint64_t physical_write_combining = 1ull << 0;
inline constexpr uint64_t physical_memory_flag_bits = physical_write_combining;
// The largest anonymous or copy-on-write object (256 MiB). Pages exist only once touched,
// but the kernel keeps an 8-byte entry per page from the start.
inline constexpr uint64_t memory_object_maximum_size = 256ull * 1024 * 1024;

} // namespace ABI
