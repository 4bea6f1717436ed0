/*
 * proc_bench.c -- process creation latency: fork + waitpid and posix_spawn + waitpid of a child that exits
 * at once, N times in a row. The same source runs natively (gcc/glibc) and under weft (wasix-libc,
 * asyncified for fork).
 *
 *   proc_bench fork|spawn N SELF      SELF: this program's own path (spawn runs `SELF exit`)
 *   proc_bench forkexec N PROG        fork, the child execs `PROG exit`, the parent waits (a shell's
 *                                     `cmd` of an external program; PROG is large: see bench/wasix/proc.mjs)
 *
 * Machine-readable output on stderr, one "@ <tag> <integer ns>" line per value:
 *   80 first (cold) pair, 81 median pair, 82 fastest pair, 83 90th percentile
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "exit")) return 0;
    if (argc < 4) return 2;
    int fork_mode = !strcmp(argv[1], "fork"), exec_mode = !strcmp(argv[1], "forkexec");
    int n = atoi(argv[2]);
    char *self = argv[3];
    long long *t = calloc(n, sizeof *t);
    for (int i = 0; i < n; i++) {
        long long t0 = now_ns();
        pid_t p;
        if (fork_mode) {
            p = fork();
            if (p == 0) _exit(0);
        } else if (exec_mode) {
            p = fork();
            if (p == 0) {
                char *av[] = { self, (char *)"exit", NULL };
                execv(self, av);
                _exit(127);
            }
        } else {
            char *av[] = { self, (char *)"exit", NULL };
            if (posix_spawn(&p, self, NULL, NULL, av, environ) != 0) return 3;
        }
        int st;
        if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0) return 4;
        t[i] = now_ns() - t0;
    }
    fprintf(stderr, "@ 80 %lld\n", t[0]);
    qsort(t + 1, n - 1, sizeof *t, cmp);
    fprintf(stderr, "@ 81 %lld\n@ 82 %lld\n@ 83 %lld\n", t[1 + (n - 1) / 2], t[1], t[1 + (n - 1) * 9 / 10]);
    return 0;
}
