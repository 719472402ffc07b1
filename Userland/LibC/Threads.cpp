// POSIX threads (include/pthread.h) on RaeenOS's threads and futexes. Each pthread has a
// record, malloc'd, which the thread finds through its block (ThreadBlock::posix_thread):
// its kernel handle, its start routine, its result and its stack. The joiner frees the
// stack and the record once the thread has ended; a detached thread's are freed by the next
// pthread_create, after a thread_join that returns at once (it has ended).

#include <Userland/LibC/Lock.h>
#include <Userland/LibC/include/errno.h>
#include <Userland/LibC/include/pthread.h>
#include <Userland/LibC/include/stdlib.h>
#include <Userland/LibC/include/time.h>
#include <Userland/Runtime/System.h>
#include <Userland/Runtime/ThreadBlock.h>

struct raeen_pthread {
    // The kernel thread's handle; 0 for a thread the library did not create (main's, or one
    // from thread_create), which cannot be joined.
    uint32_t handle;
    void* (*start)(void*);
    void* argument;
    void* result;
    void* stack;
    bool detached;
    // On the list of detached threads that ended, for pthread_create to free.
    raeen_pthread* next_ended;
};

extern "C" void raeen_pthread_start();

namespace {

constexpr size_t default_stack_size = 128 * 1024;
constexpr size_t maximum_stack_size = 64 * 1024 * 1024;

// pthread keys: which are in use, and their destructors.
struct Key {
    bool in_use;
    void (*destructor)(void*);
};
Key s_keys[PTHREAD_KEYS_MAX];
LibC::FutexLock s_keys_lock;

// Runs the destructors of the calling thread's non-null values, as POSIX says: up to
// PTHREAD_DESTRUCTOR_ITERATIONS rounds, since a destructor may set values again.
void run_key_destructors()
{
    void** values = Runtime::current_thread_block()->thread_specific;
    if (!values)
        return;
    for (int round = 0; round < PTHREAD_DESTRUCTOR_ITERATIONS; ++round) {
        bool any = false;
        for (unsigned key = 0; key < PTHREAD_KEYS_MAX; ++key) {
            void* value = values[key];
            void (*destructor)(void*) = nullptr;
            {
                LibC::FutexLocker locker(s_keys_lock);
                if (s_keys[key].in_use)
                    destructor = s_keys[key].destructor;
            }
            if (value && destructor) {
                values[key] = nullptr;
                destructor(value);
                any = true;
            }
        }
        if (!any)
            break;
    }
    free(values);
    Runtime::current_thread_block()->thread_specific = nullptr;
}

LibC::FutexLock s_ended_lock;
raeen_pthread* s_ended_detached;

// Frees a thread that has ended: its stack, its handle and its record.
void release(raeen_pthread* thread)
{
    free(thread->stack);
    (void)System::handle_close(thread->handle);
    free(thread);
}

// Frees the detached threads that ended: each one's thread_join returns once it is gone
// from its stack.
void release_ended_detached()
{
    raeen_pthread* ended = nullptr;
    {
        LibC::FutexLocker locker(s_ended_lock);
        ended = s_ended_detached;
        s_ended_detached = nullptr;
    }
    while (ended) {
        raeen_pthread* next = ended->next_ended;
        (void)System::thread_join(ended->handle);
        release(ended);
        ended = next;
    }
}

} // namespace

extern "C" {

// raeen_pthread_start's continuation, on the new thread with its block set up.
[[noreturn]] void raeen_pthread_main(raeen_pthread* thread)
{
    Runtime::current_thread_block()->posix_thread = thread;
    pthread_exit(thread->start(thread->argument));
}

int pthread_attr_init(pthread_attr_t* attributes)
{
    *attributes = { default_stack_size, PTHREAD_CREATE_JOINABLE };
    return 0;
}

int pthread_attr_destroy(pthread_attr_t*)
{
    return 0;
}

int pthread_attr_setstacksize(pthread_attr_t* attributes, size_t size)
{
    if (size < PTHREAD_STACK_MIN || size > maximum_stack_size)
        return EINVAL;
    attributes->stack_size = size;
    return 0;
}

int pthread_attr_getstacksize(const pthread_attr_t* attributes, size_t* size)
{
    *size = attributes->stack_size;
    return 0;
}

int pthread_attr_setdetachstate(pthread_attr_t* attributes, int state)
{
    if (state != PTHREAD_CREATE_JOINABLE && state != PTHREAD_CREATE_DETACHED)
        return EINVAL;
    attributes->detach_state = state;
    return 0;
}

int pthread_attr_getdetachstate(const pthread_attr_t* attributes, int* state)
{
    *state = attributes->detach_state;
    return 0;
}

int pthread_create(pthread_t* result, const pthread_attr_t* attributes, void* (*start)(void*), void* argument)
{
    pthread_attr_t chosen;
    (void)pthread_attr_init(&chosen);
    if (attributes)
        chosen = *attributes;
    if (chosen.stack_size < PTHREAD_STACK_MIN || chosen.stack_size > maximum_stack_size)
        return EINVAL;
    // A multiple of 16, so that the top stays aligned.
    size_t stack_size = (chosen.stack_size + 15) & ~size_t(15);
    release_ended_detached();
    auto* thread = static_cast<raeen_pthread*>(calloc(1, sizeof(raeen_pthread)));
    void* stack = malloc(stack_size);
    if (!thread || !stack) {
        free(thread);
        free(stack);
        return EAGAIN;
    }
    *thread = { 0, start, argument, nullptr, stack, chosen.detach_state == PTHREAD_CREATE_DETACHED, nullptr };
    // The stack's top, 16-byte aligned (malloc's blocks are, and the size is a multiple).
    int64_t handle = System::thread_create(
        raeen_pthread_start, static_cast<char*>(stack) + stack_size, reinterpret_cast<uint64_t>(thread));
    if (handle < 0) {
        free(stack);
        free(thread);
        return EAGAIN;
    }
    thread->handle = static_cast<uint32_t>(handle);
    *result = thread;
    return 0;
}

int pthread_join(pthread_t thread, void** result)
{
    if (!thread || thread->handle == 0 || thread->detached)
        return EINVAL;
    if (thread == pthread_self())
        return EDEADLK;
    if (System::thread_join(thread->handle) < 0)
        return EINVAL;
    if (result)
        *result = thread->result;
    release(thread);
    return 0;
}

int pthread_detach(pthread_t thread)
{
    if (!thread || thread->handle == 0)
        return EINVAL;
    LibC::FutexLocker locker(s_ended_lock);
    thread->detached = true;
    return 0;
}

void pthread_exit(void* result)
{
    run_key_destructors();
    raeen_pthread* self = pthread_self();
    self->result = result;
    {
        // Detached: pthread_create frees it once it has ended. Decided under the lock that
        // pthread_detach takes, so that a detach racing with the end is seen either way.
        LibC::FutexLocker locker(s_ended_lock);
        if (self->detached && self->handle != 0) {
            self->next_ended = s_ended_detached;
            s_ended_detached = self;
        }
    }
    System::thread_exit(0);
}

pthread_t pthread_self(void)
{
    Runtime::ThreadBlock* block = Runtime::current_thread_block();
    if (!block->posix_thread) {
        // A thread the library did not create: a record of its own, not joinable.
        auto* record = static_cast<raeen_pthread*>(calloc(1, sizeof(raeen_pthread)));
        if (!record)
            abort();
        block->posix_thread = record;
    }
    return static_cast<raeen_pthread*>(block->posix_thread);
}

int pthread_equal(pthread_t first, pthread_t second)
{
    return first == second;
}

int pthread_mutex_init(pthread_mutex_t* mutex, const pthread_mutexattr_t* attributes)
{
    if (attributes)
        return EINVAL;
    mutex->state = 0;
    return 0;
}

int pthread_mutex_destroy(pthread_mutex_t* mutex)
{
    return __atomic_load_n(&mutex->state, __ATOMIC_RELAXED) == 0 ? 0 : EBUSY;
}

int pthread_mutex_lock(pthread_mutex_t* mutex)
{
    LibC::lock_futex_word(mutex->state);
    return 0;
}

int pthread_mutex_trylock(pthread_mutex_t* mutex)
{
    return LibC::try_lock_futex_word(mutex->state) ? 0 : EBUSY;
}

int pthread_mutex_unlock(pthread_mutex_t* mutex)
{
    LibC::unlock_futex_word(mutex->state);
    return 0;
}

int pthread_cond_init(pthread_cond_t* condition, const pthread_condattr_t* attributes)
{
    if (attributes)
        return EINVAL;
    condition->sequence = 0;
    return 0;
}

int pthread_cond_destroy(pthread_cond_t*)
{
    return 0;
}

// A waiter sleeps on the sequence number it saw before it let the mutex go: a signal in
// between changes the number, so the futex wait returns at once and nothing is lost.
// Wake-ups may be spurious, as POSIX allows; callers wait in a loop on their predicate.
int pthread_cond_wait(pthread_cond_t* condition, pthread_mutex_t* mutex)
{
    uint32_t seen = __atomic_load_n(&condition->sequence, __ATOMIC_ACQUIRE);
    LibC::unlock_futex_word(mutex->state);
    (void)System::futex_wait(&condition->sequence, seen);
    LibC::lock_futex_word_contended(mutex->state);
    return 0;
}

int pthread_cond_timedwait(pthread_cond_t* condition, pthread_mutex_t* mutex, const struct timespec* deadline)
{
    if (!deadline || deadline->tv_nsec < 0 || deadline->tv_nsec >= 1000000000)
        return EINVAL;
    // The deadline is on the real-time clock; futexes wait on the monotonic one. The time
    // left is measured once, so a change of the wall clock meanwhile does not move it.
    struct timespec now { };
    (void)clock_gettime(CLOCK_REALTIME, &now);
    int64_t left = (deadline->tv_sec - now.tv_sec) * 1000000000ll + (deadline->tv_nsec - now.tv_nsec);
    if (left <= 0)
        return ETIMEDOUT;
    uint64_t monotonic_deadline = System::clock_monotonic() + static_cast<uint64_t>(left);
    uint32_t seen = __atomic_load_n(&condition->sequence, __ATOMIC_ACQUIRE);
    LibC::unlock_futex_word(mutex->state);
    int64_t waited = System::futex_wait(&condition->sequence, seen, monotonic_deadline);
    LibC::lock_futex_word_contended(mutex->state);
    return waited == System::failure(ABI::ErrorCode::TimedOut) ? ETIMEDOUT : 0;
}

int pthread_once(pthread_once_t* once, void (*routine)(void))
{
    // 0: not run; 1: running, nobody waiting; 2: running, someone waiting; 3: done.
    for (;;) {
        uint32_t state = __atomic_load_n(&once->state, __ATOMIC_ACQUIRE);
        if (state == 3)
            return 0;
        if (state == 0) {
            uint32_t expected = 0;
            if (!__atomic_compare_exchange_n(
                    &once->state, &expected, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE))
                continue;
            routine();
            if (__atomic_exchange_n(&once->state, 3, __ATOMIC_RELEASE) == 2)
                (void)System::futex_wake(&once->state, ~0ull);
            return 0;
        }
        uint32_t expected = 1;
        if (state == 1
            && !__atomic_compare_exchange_n(
                &once->state, &expected, 2, false, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE))
            continue;
        (void)System::futex_wait(&once->state, 2);
    }
}

int pthread_key_create(pthread_key_t* key, void (*destructor)(void*))
{
    LibC::FutexLocker locker(s_keys_lock);
    for (unsigned index = 0; index < PTHREAD_KEYS_MAX; ++index) {
        if (!s_keys[index].in_use) {
            s_keys[index] = { true, destructor };
            *key = index;
            return 0;
        }
    }
    return EAGAIN;
}

int pthread_key_delete(pthread_key_t key)
{
    LibC::FutexLocker locker(s_keys_lock);
    if (key >= PTHREAD_KEYS_MAX || !s_keys[key].in_use)
        return EINVAL;
    // Values other threads hold stay with them, without a destructor (as POSIX has it).
    s_keys[key] = { false, nullptr };
    return 0;
}

void* pthread_getspecific(pthread_key_t key)
{
    void** values = Runtime::current_thread_block()->thread_specific;
    return values && key < PTHREAD_KEYS_MAX ? values[key] : nullptr;
}

int pthread_setspecific(pthread_key_t key, const void* value)
{
    if (key >= PTHREAD_KEYS_MAX)
        return EINVAL;
    Runtime::ThreadBlock* block = Runtime::current_thread_block();
    if (!block->thread_specific) {
        block->thread_specific = static_cast<void**>(calloc(PTHREAD_KEYS_MAX, sizeof(void*)));
        if (!block->thread_specific)
            return ENOMEM;
    }
    block->thread_specific[key] = const_cast<void*>(value);
    return 0;
}

int pthread_cond_signal(pthread_cond_t* condition)
{
    __atomic_add_fetch(&condition->sequence, 1, __ATOMIC_RELEASE);
    (void)System::futex_wake(&condition->sequence, 1);
    return 0;
}

int pthread_cond_broadcast(pthread_cond_t* condition)
{
    __atomic_add_fetch(&condition->sequence, 1, __ATOMIC_RELEASE);
    (void)System::futex_wake(&condition->sequence, ~0ull);
    return 0;
}

} // extern "C"
