/*
 * exit_paths.c -- the ends of a WASIX process that bench/stress-exit.mjs times (wasix-libc, asyncify not needed).
 * Each mode writes "E" on stdout (flushed) right before its ending event, with threads blocked meanwhile.
 *
 *   exit_paths raise SELF        a thread blocked in a condition wait; main raises SIGTERM (no handler: the
 *                                default action ends the process, 128+15)
 *   exit_paths killtree SELF     posix_spawns SELF "child" (which starts 2 threads blocked in a condition
 *                                wait and says "ready" through a pipe), then SIGKILLs it and waits:
 *                                prints "E", kill, waitpid; prints "killtree: waited <ms> ms, signal 9"
 *   exit_paths treeend SELF      posix_spawns SELF "child", then main returns while the child runs:
 *                                the tree ends with its root (the child is killed)
 *   exit_paths child             (see killtree)
 * Exit 0 on success (raise: 143; treeend: 0).
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int started;

static void *block(void *a)
{
    pthread_mutex_lock(&m);
    started++;
    pthread_cond_broadcast(&c);
    for (;;)
        pthread_cond_wait(&c, &m);
    return a;
}

static void start_blocked(int n)
{
    pthread_t t;
    for (int i = 0; i < n; i++)
        if (pthread_create(&t, 0, block, 0)) {
            printf("exit_paths: pthread_create failed\n");
            exit(1);
        }
    pthread_mutex_lock(&m);
    while (started < n)
        pthread_cond_wait(&c, &m);
    pthread_mutex_unlock(&m);
}

static void mark(void)
{
    fputs("E", stdout);
    fflush(stdout);
}

static int64_t mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Spawns SELF child with its stdout on a pipe; returns once the child said it is ready. */
static pid_t spawn_child(const char *self)
{
    int p[2];
    if (pipe(p)) return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    char *argv[] = { (char *)self, "child", NULL };
    pid_t pid = -1;
    int e = posix_spawn(&pid, self, &fa, NULL, argv, environ);
    close(p[1]);
    if (e) {
        printf("exit_paths: posix_spawn failed (%d)\n", e);
        return -1;
    }
    char buf[8];
    if (read(p[0], buf, sizeof buf) <= 0) {
        printf("exit_paths: the child never said ready\n");
        return -1;
    }
    close(p[0]);
    return pid;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    const char *self = argc > 2 ? argv[2] : argv[0];
    if (!strcmp(mode, "child")) {
        start_blocked(2);
        fputs("ready\n", stdout);
        fflush(stdout);
        for (;;)
            sleep(1000);
    }
    if (!strcmp(mode, "raise")) {
        start_blocked(1);
        mark();
        raise(SIGTERM);
        printf("exit_paths: still alive after SIGTERM\n");
        return 1;
    }
    if (!strcmp(mode, "killtree")) {
        pid_t pid = spawn_child(self);
        if (pid < 0) return 1;
        mark();
        int64_t t0 = mono();
        kill(pid, SIGKILL);
        int st = 0;
        if (waitpid(pid, &st, 0) != pid) {
            printf("exit_paths: waitpid failed\n");
            return 1;
        }
        printf("\nkilltree: waited %.1f ms, signal %d\n", (mono() - t0) / 1e6, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
        return WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL ? 0 : 1;
    }
    if (!strcmp(mode, "treeend")) {
        if (spawn_child(self) < 0) return 1;
        mark();
        return 0;
    }
    printf("exit_paths: unknown mode '%s'\n", mode);
    return 2;
}
