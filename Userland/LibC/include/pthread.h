#pragma once

// POSIX threads, the core of them (Userland/LibC/Threads.cpp): create, join, exit, self,
// detach; mutexes and condition variables on futexes. Attributes beyond the defaults are
// not taken: a non-null attribute pointer is refused with EINVAL.

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct raeen_pthread* pthread_t;
typedef struct {
    int unused;
} pthread_attr_t;
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

int pthread_mutex_init(pthread_mutex_t* mutex, const pthread_mutexattr_t* attributes);
int pthread_mutex_destroy(pthread_mutex_t* mutex);
int pthread_mutex_lock(pthread_mutex_t* mutex);
int pthread_mutex_trylock(pthread_mutex_t* mutex);
int pthread_mutex_unlock(pthread_mutex_t* mutex);

int pthread_cond_init(pthread_cond_t* condition, const pthread_condattr_t* attributes);
int pthread_cond_destroy(pthread_cond_t* condition);
int pthread_cond_wait(pthread_cond_t* condition, pthread_mutex_t* mutex);
int pthread_cond_signal(pthread_cond_t* condition);
int pthread_cond_broadcast(pthread_cond_t* condition);

#ifdef __cplusplus
}
#endif
