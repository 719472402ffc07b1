#pragma once

// Where a benchmark program leaves its samples for the kernel benchmark that started it
// (Kernel/Tasks/ProgramTestSupport.h, report_program_samples): a memory object, the
// program's first start-up handle, holding a count and then that many 64-bit samples. The
// kernel sorts and summarises them (min, median, p99, ...), so every benchmark reports the
// same way whether it runs in the kernel or in user space.

#include <ABI/Memory.h>
#include <ABI/Process.h>
#include <Userland/Runtime/System.h>
#include <stdint.h>

namespace Benchmark {

// The layout both sides agree on.
struct SampleBlock {
    static constexpr uint64_t capacity = 4096;
    uint64_t count;
    uint64_t samples[capacity];
};

// The block's size, rounded up to whole pages (what the kernel makes and the program maps).
inline constexpr uint64_t sample_block_bytes
    = (sizeof(SampleBlock) + ABI::memory_page_size - 1) / ABI::memory_page_size * ABI::memory_page_size;

class SampleSink {
public:
    // Maps the block the kernel gave in the first start-up handle; false if there is none or
    // it cannot be mapped (the program then exits with an error).
    bool open(uint64_t self, const ABI::StartupHandles* startup)
    {
        if (!startup || startup->count < 1)
            return false;
        int64_t address = System::vm_map(static_cast<uint32_t>(self), startup->handles[0], 0, sample_block_bytes,
            ABI::vm_read | ABI::vm_write);
        if (address < 0)
            return false;
        m_block = reinterpret_cast<SampleBlock*>(address);
        m_block->count = 0;
        return true;
    }

    // Records one sample; those past the capacity are dropped.
    void record(uint64_t sample)
    {
        if (m_block->count < SampleBlock::capacity)
            m_block->samples[m_block->count++] = sample;
    }

private:
    SampleBlock* m_block { nullptr };
};

} // namespace Benchmark
