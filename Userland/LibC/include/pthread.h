#pragma once

// POSIX threads (Userland/LibC/Threads.cpp): create (with a stack size and detach state),
// join, exit, self, detach, once; thread-specific data; mutexes and condition variables
// (with a timed wait) on futexes. Mutex and condition attributes beyond the defaults are not
// taken: a non-null one is refused with EINVAL.

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct raeen_pthread* pthread_t;
typedef struct {
    size_t stack_size;
    int detach_state;
} pthread_attr_t;
typedef struct {
    uint32_t state;
} pthread_once_t;
typedef unsigned int pthread_key_t;

#define PTHREAD_CREATE_JOINABLE 0
#define PTHREAD_CREATE_DETACHED 1
#define PTHREAD_STACK_MIN 16384
#define PTHREAD_KEYS_MAX 64
#define PTHREAD_DESTRUCTOR_ITERATIONS 4
#define PTHREAD_ONCE_INIT                                                                                    \
    {                                                                                                        \
        0                                                                                                    \
    }
typedef struct {
    uint32_t state;
} pthread_mutex_t;
typedef struct {
    int unused;
} pthread_mutexattr_t;
typedef struct {
    uint32_t sequence;
} pthread_cond_t;
typedef struct {
    int unused;
} pthread_condattr_t;

#define PTHREAD_MUTEX_INITIALIZER                                                                            \
    {                                                                                                        \
        0                                                                                                    \
    }
#define PTHREAD_COND_INITIALIZER                                                                             \
    {                                                                                                        \
        0                                                                                                    \
    }

int pthread_create(
    pthread_t* thread, const pthread_attr_t* attributes, void* (*start)(void*), void* argument);
int pthread_join(pthread_t thread, void** result);
int pthread_detach(pthread_t thread);
__attribute__((noreturn)) void pthread_exit(void* result);
pthread_t pthread_self(void);
int pthread_equal(pthread_t first, pthread_t second);

int pthread_attr_init(pthread_attr_t* attributes);
int pthread_attr_destroy(pthread_attr_t* attributes);
int pthread_attr_setstacksize(pthread_attr_t* attributes, size_t size);
int pthread_attr_getstacksize(const pthread_attr_t* attributes, size_t* size);
int pthread_attr_setdetachstate(pthread_attr_t* attributes, int state);
int pthread_attr_getdetachstate(const pthread_attr_t* attributes, int* state);
int pthread_once(pthread_once_t* once, void (*routine)(void));
int pthread_key_create(pthread_key_t* key, void (*destructor)(void*));
int pthread_key_delete(pthread_key_t key);
void* pthread_getspecific(pthread_key_t key);
int pthread_setspecific(pthread_key_t key, const void* value);
int pthread_mutex_init(pthread_mutex_t* mutex, const pthread_mutexattr_t* attributes);
int pthread_mutex_destroy(pthread_mutex_t* mutex);
int pthread_mutex_lock(pthread_mutex_t* mutex);
int pthread_mutex_trylock(pthread_mutex_t* mutex);
int pthread_mutex_unlock(pthread_mutex_t* mutex);

int pthread_cond_init(pthread_cond_t* condition, const pthread_condattr_t* attributes);
int pthread_cond_destroy(pthread_cond_t* condition);
int pthread_cond_wait(pthread_cond_t* condition, pthread_mutex_t* mutex);
// `deadline` is on CLOCK_REALTIME, as POSIX has it: ETIMEDOUT once it passes.
int pthread_cond_timedwait(
    pthread_cond_t* condition, pthread_mutex_t* mutex, const struct timespec* deadline);
int pthread_cond_signal(pthread_cond_t* condition);
int pthread_cond_broadcast(pthread_cond_t* condition);

#ifdef __cplusplus
}
#endif
