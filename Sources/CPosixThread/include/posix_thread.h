#ifndef POSIX_THREAD_H
#define POSIX_THREAD_H

/// Names the calling thread (`pthread_setname_np`, which needs _GNU_SOURCE and so is not in Swift's
/// Glibc module). Linux keeps the first 15 bytes.
int mp_name_current_thread(const char *name);

#endif
