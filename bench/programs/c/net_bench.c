/*
 * net_bench.c -- loopback TCP round trip and throughput, built for WASIX (weft) and natively (gcc).
 *
 *   net_bench pair              a server thread and a client thread in this process
 *   net_bench server PORT       a server on 127.0.0.1:PORT, one thread per connection, until killed
 *   net_bench client PORT       the measurements against that server
 *
 * Protocol: the client's first byte picks the mode of a connection: 'E' echo (1 KB messages, echoed),
 * 'S' sink (read to EOF, then one byte back). Results on stderr as "@ <tag> <value>":
 *   80  ns per 1 KB round trip (median of 5 batches of ROUNDS/5, after a warm-up)
 *   81  bytes per second, 1 KB writes (THR_BYTES in total, until the sink's acknowledgement)
 *   82  bytes per second, 64 KB writes
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 2000
#define WARMUP 200
#define MSG 1024
#define THR_BYTES (32L << 20)

static int port;

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int readn(int fd, char *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

static int writen(int fd, const char *p, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, p + done, n - done);
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    return 0;
}

static void *conn(void *arg)
{
    int fd = (int)(long)arg;
    static __thread char buf[65536];
    char mode;
    if (readn(fd, &mode, 1) == 0) {
        if (mode == 'E') {
            while (readn(fd, buf, MSG) == 0 && writen(fd, buf, MSG) == 0)
                ;
        } else {
            while (read(fd, buf, sizeof buf) > 0)
                ;
            writen(fd, "k", 1);
        }
    }
    close(fd);
    return 0;
}

static void *serve(void *arg)
{
    int lst = (int)(long)arg;
    for (;;) {
        int c = accept(lst, 0, 0);
        if (c < 0)
            return 0;
        int one = 1;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_t t;
        pthread_create(&t, 0, conn, (void *)(long)c);
        pthread_detach(t);
    }
}

static int dial(char mode)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        fprintf(stderr, "connect: %s\n", strerror(errno));
        exit(1);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    writen(fd, &mode, 1);
    return fd;
}

static int cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static void measure(void)
{
    static char buf[65536];
    memset(buf, 'x', sizeof buf);
    int fd = dial('E');
    for (int i = 0; i < WARMUP; i++)
        if (writen(fd, buf, MSG) || readn(fd, buf, MSG))
            exit(1);
    long long batch[5];
    for (int b = 0; b < 5; b++) {
        long long t0 = now_ns();
        for (int i = 0; i < ROUNDS / 5; i++)
            if (writen(fd, buf, MSG) || readn(fd, buf, MSG))
                exit(1);
        batch[b] = (now_ns() - t0) / (ROUNDS / 5);
    }
    close(fd);
    qsort(batch, 5, sizeof batch[0], cmp);
    fprintf(stderr, "@ 80 %lld\n", batch[2]);

    int sizes[2] = {1024, 65536}, tags[2] = {81, 82};
    for (int k = 0; k < 2; k++) {
        fd = dial('S');
        long long t0 = now_ns();
        for (long sent = 0; sent < THR_BYTES; sent += sizes[k])
            if (writen(fd, buf, (size_t)sizes[k]))
                exit(1);
        shutdown(fd, SHUT_WR);
        char ack;
        if (readn(fd, &ack, 1))
            exit(1);
        long long dt = now_ns() - t0;
        close(fd);
        fprintf(stderr, "@ %d %lld\n", tags[k], (long long)(THR_BYTES * 1e9 / dt));
    }
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "pair";
    if (strcmp(mode, "client") == 0) {
        port = argc > 2 ? atoi(argv[2]) : 0;
        measure();
        return 0;
    }
    int lst = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(lst, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)(strcmp(mode, "server") == 0 && argc > 2 ? atoi(argv[2]) : 0));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(lst, (struct sockaddr *)&a, sizeof a) || listen(lst, 64) || getsockname(lst, (struct sockaddr *)&a, &len)) {
        fprintf(stderr, "listen: %s\n", strerror(errno));
        return 1;
    }
    port = ntohs(a.sin_port);
    if (strcmp(mode, "server") == 0) {
        serve((void *)(long)lst);
        return 0;
    }
    pthread_t t;
    pthread_create(&t, 0, serve, (void *)(long)lst);
    pthread_detach(t);
    measure();
    return 0;
}
