/*
 * net_calls.c -- per-call cost of the socket data path without any wake-up: one thread writes 1 KB into
 * one end of a socketpair and reads it back from the other, N times. Prints "@ 83 <ns per write+read>".
 */
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define N 20000

int main(void)
{
    int sv[2];
    static char buf[1024];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        perror("socketpair");
        return 1;
    }
    struct timespec a, b;
    for (int pass = 0; pass < 2; pass++) {
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int i = 0; i < N; i++) {
            if (write(sv[0], buf, sizeof buf) != sizeof buf || read(sv[1], buf, sizeof buf) != sizeof buf) {
                perror("io");
                return 1;
            }
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
    }
    fprintf(stderr, "@ 83 %lld\n", ((b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec)) / N);
    return 0;
}
