// malloc, calloc, realloc and free (C17 7.22.3), and C++'s operator new and delete, over
// LibC::HeapAllocator with memory objects as its pages, under one FutexLock.

#include <Core/NoThrow.h>
#include <Userland/LibC/HeapAllocator.h>
#include <Userland/LibC/Lock.h>
#include <Userland/LibC/Strings.h>
#include <Userland/LibC/include/errno.h>
#include <Userland/LibC/include/stdlib.h>
#include <Userland/Runtime/System.h>
#include <Userland/Runtime/ThreadBlock.h>

namespace {

// Pages from memory objects: each request is a new object mapped read-write wherever the
// kernel places it (at random), whose pages the kernel makes present, zeroed, on first
// touch. The mapping keeps the object alive, so its handle is closed at once.
class MemoryObjectPages final : public LibC::PageSource {
public:
    void* map(size_t bytes) override
    {
        int64_t memory = System::memory_object_create(bytes);
        if (memory < 0)
            return nullptr;
        int64_t address = System::vm_map(
            Runtime::process_handle(), static_cast<uint32_t>(memory), 0, bytes, ABI::vm_read | ABI::vm_write);
        (void)System::handle_close(static_cast<uint32_t>(memory));
        return address < 0 ? nullptr : reinterpret_cast<void*>(address);
    }
    void unmap(void* memory, size_t bytes) override
    {
        (void)System::vm_unmap(Runtime::process_handle(), reinterpret_cast<uint64_t>(memory), bytes);
    }
};

// Initialized before the program runs (constinit), so that a global's constructor may
// allocate whatever order the constructors run in.
constinit MemoryObjectPages s_pages;
constinit LibC::HeapAllocator s_heap(s_pages);
constinit LibC::FutexLock s_heap_lock;

} // namespace

extern "C" {

void* malloc(size_t size)
{
    void* block = nullptr;
    {
        LibC::FutexLocker locker(s_heap_lock);
        block = s_heap.allocate(size);
    }
    if (!block)
        errno = ENOMEM;
    return block;
}

void* aligned_alloc(size_t alignment, size_t size)
{
    void* block = nullptr;
    {
        LibC::FutexLocker locker(s_heap_lock);
        block = s_heap.allocate_aligned(alignment, size);
    }
    if (!block)
        errno = alignment == 0 || (alignment & (alignment - 1)) != 0 ? EINVAL : ENOMEM;
    return block;
}

int posix_memalign(void** result, size_t alignment, size_t size)
{
    if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0)
        return EINVAL;
    void* block = nullptr;
    {
        LibC::FutexLocker locker(s_heap_lock);
        block = s_heap.allocate_aligned(alignment, size);
    }
    if (!block)
        return ENOMEM;
    *result = block;
    return 0;
}

void free(void* block)
{
    LibC::FutexLocker locker(s_heap_lock);
    s_heap.free(block);
}

void* calloc(size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size) {
        errno = ENOMEM;
        return nullptr;
    }
    void* block = malloc(count * size);
    // A reused block holds what it held before.
    if (block)
        LibC::memset(block, 0, count * size);
    return block;
}

void* realloc(void* block, size_t size)
{
    void* moved = nullptr;
    {
        LibC::FutexLocker locker(s_heap_lock);
        moved = s_heap.reallocate(block, size);
    }
    if (!moved)
        errno = ENOMEM;
    return moved;
}

} // extern "C"

// C++'s allocation functions. Without exceptions a failed new cannot throw std::bad_alloc,
// and must not return null: the program ends as abort() ends it.
void* operator new(size_t size)
{
    void* block = malloc(size);
    if (!block)
        abort();
    return block;
}

void* operator new[](size_t size)
{
    return operator new(size);
}

// Core's no-throw forms (Core/NoThrow.h), which Core::Vector and the file system libraries
// use: a null result is their OutOfMemory.
void* operator new(size_t size, const Core::NoThrowTag&) noexcept
{
    return malloc(size);
}

void* operator new[](size_t size, const Core::NoThrowTag&) noexcept
{
    return malloc(size);
}

void operator delete(void* block) noexcept
{
    free(block);
}

void operator delete[](void* block) noexcept
{
    free(block);
}

void operator delete(void* block, size_t) noexcept
{
    free(block);
}

void operator delete[](void* block, size_t) noexcept
{
    free(block);
}
