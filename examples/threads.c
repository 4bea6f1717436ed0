/*
 * threads.c -- the bundled example: counts the primes below 10,000,000 with
 * 4 POSIX threads sharing one counter, each thread reporting its share.
 *
 *   npx weft run examples/threads.wasm [N_THREADS] [LIMIT]
 *
 * Rebuild: bash examples/build.sh   (wasm32-wasip1-threads, see tools/README.md)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static long limit = 10000000;
static int nthreads = 4;
static atomic_long next_block, total;
#define BLOCK 10000

static int is_prime(long n)
{
    if (n < 2) return 0;
    if (n % 2 == 0) return n == 2;
    for (long d = 3; d * d <= n; d += 2)
        if (n % d == 0) return 0;
    return 1;
}

static void *worker(void *arg)
{
    long mine = 0, blocks = 0;
    for (;;) {
        long start = atomic_fetch_add(&next_block, BLOCK);
        if (start >= limit) break;
        long end = start + BLOCK < limit ? start + BLOCK : limit;
        for (long n = start; n < end; n++) mine += is_prime(n);
        blocks++;
    }
    atomic_fetch_add(&total, mine);
    printf("thread %ld: %ld blocks, %ld primes\n", (long)(size_t)arg, blocks, mine);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1) nthreads = atoi(argv[1]);
    if (argc > 2) limit = atol(argv[2]);
    if (nthreads < 1 || nthreads > 64) nthreads = 4;
    pthread_t t[64];
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&t[i], NULL, worker, (void *)(size_t)i) != 0) {
            perror("pthread_create");
            return 1;
        }
    }
    for (int i = 0; i < nthreads; i++) pthread_join(t[i], NULL);
    printf("%ld primes below %ld, counted by %d threads\n", (long)total, limit, nthreads);
    return 0;
}
