// CLinuxShim: Linux system calls that Glibc's Swift module does not expose
// (epoll, accept4, signalfd, inotify, mallopt, CPU affinity, eventfd, memfd)
// and atomics on memory shared between processes (tlschat-bench --workers). Declarations and one-line forwarders only, no logic.
#ifndef CLINUXSHIM_H
#define CLINUXSHIM_H


#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <signal.h>
#include <errno.h>
#include <malloc.h>
#include <sched.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

/* glibc declares accept4 only under _GNU_SOURCE, which would make these headers
   differ from Swift's Glibc module; declare the one prototype instead. */
extern int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

static inline int CLinuxShim_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) {
    return accept4(fd, address, length, flags);
}
/* The same for the CPU affinity calls (pid 0: the calling thread). */
extern int sched_getaffinity(pid_t pid, size_t size, cpu_set_t *set);
extern int sched_setaffinity(pid_t pid, size_t size, const cpu_set_t *set);

static inline int CLinuxShim_sched_getaffinity(size_t size, cpu_set_t *set) {
    return sched_getaffinity(0, size, set);
}
static inline int CLinuxShim_sched_setaffinity(size_t size, const cpu_set_t *set) {
    return sched_setaffinity(0, size, set);
}
static inline int CLinuxShim_errno(void) {
    return errno;
}
static inline void CLinuxShim_set_errno(int value) {
    errno = value;
}

/* memfd_create by system call number (glibc declares it only under _GNU_SOURCE). */
static inline int CLinuxShim_memfd_create(const char *name, unsigned int flags) {
    return (int)syscall(SYS_memfd_create, name, flags);
}
static inline int CLinuxShim_eventfd(unsigned int initial, int flags) {
    return eventfd(initial, flags);
}
/* Sequentially consistent atomics on memory another process may touch. */
static inline int32_t CLinuxShim_atomic_add_i32(int32_t *where, int32_t value) {
    return __atomic_add_fetch(where, value, __ATOMIC_SEQ_CST);
}
static inline int64_t CLinuxShim_atomic_add_i64(int64_t *where, int64_t value) {
    return __atomic_add_fetch(where, value, __ATOMIC_SEQ_CST);
}
static inline int64_t CLinuxShim_atomic_load_i64(const int64_t *where) {
    return __atomic_load_n(where, __ATOMIC_SEQ_CST);
}
static inline void CLinuxShim_atomic_store_i64(int64_t *where, int64_t value) {
    __atomic_store_n(where, value, __ATOMIC_SEQ_CST);
}

#endif
