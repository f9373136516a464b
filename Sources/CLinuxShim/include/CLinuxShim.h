// CLinuxShim: Linux system calls that Glibc's Swift module does not expose
// (epoll, accept4, signalfd, mallopt, CPU affinity). Declarations and one-line forwarders only, no logic.
#ifndef CLINUXSHIM_H
#define CLINUXSHIM_H


#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <signal.h>
#include <errno.h>
#include <malloc.h>
#include <sched.h>

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

#endif
