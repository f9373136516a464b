// CLinuxShim: Linux system calls that Glibc's Swift module does not expose
// (epoll, accept4, signalfd, mallopt). Declarations and one-line forwarders only, no logic.
#ifndef CLINUXSHIM_H
#define CLINUXSHIM_H


#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <signal.h>
#include <errno.h>
#include <malloc.h>

/* glibc declares accept4 only under _GNU_SOURCE, which would make these headers
   differ from Swift's Glibc module; declare the one prototype instead. */
extern int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

static inline int CLinuxShim_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) {
    return accept4(fd, address, length, flags);
}
static inline int CLinuxShim_errno(void) {
    return errno;
}
static inline void CLinuxShim_set_errno(int value) {
    errno = value;
}

#endif
