/*
 * sigsuspend() for dash on WASIX, linked ahead of wasix-libc's (tools/dash/build.sh).
 *
 * wasix-libc 2025.12.24 ships sigsuspend() as a stub that returns at once without a syscall (and
 * sigprocmask() as a no-op). dash's `wait` builtin waits for a child with
 *     while (!gotsigchld && !pending_sig) sigsuspend(&oldmask);
 * which then spins in wasm forever: a runtime delivers signals at syscall boundaries, and this loop never
 * reaches one. This version sleeps in futex_wait on a word nobody writes: the runtime ends the wait when a
 * signal is raised for the thread, runs its handler as the call returns, and sigsuspend reports EINTR as
 * POSIX says. The mask argument is ignored, as the libc keeps no signal mask to swap. (A spurious wake-up
 * also returns EINTR; callers loop on their own condition.)
 */
#include <errno.h>
#include <signal.h>
#include <wasi/api_wasix.h>

static uint32_t never_written;

int sigsuspend(const sigset_t *mask)
{
    (void)mask;
    __wasi_option_timestamp_t forever = { .tag = __WASI_OPTION_NONE };
    __wasi_bool_t woken;
    (void)__wasi_futex_wait(&never_written, 0, &forever, &woken);
    errno = EINTR;
    return -1;
}
