/*
 * pthread_bench.c -- pthread costs, one source for wasix-libc (run under weft) and glibc (native gcc).
 * Built by bench/wasix/build.mjs; run by bench/run.mjs (group "wasix").
 *
 *   pthread_bench [all|spawn|mutex] [spawn_pairs] [lock_pairs] [contended_increments]
 *
 * Measures with clock_gettime(CLOCK_MONOTONIC):
 *   spawn   the first pthread_create+pthread_join of the process (cold), then warm-up pairs for at
 *           least WARM_MS (and at least WARM_MIN pairs), then spawn_pairs timed pairs: median, p90, min,
 *           and the medians of: pthread_create's return, the thread function's start (both from the
 *           create call), and pthread_join's return after the thread function returned
 *   lock    pthread_mutex_lock+unlock of an uncontended default mutex: one untimed loop of lock_pairs,
 *           then REPS timed loops
 *   contend 2 and 4 threads incrementing one counter under one mutex, contended_increments in total,
 *           REPS times each, after one untimed run with 4 threads and a SETTLE_MS pause; all threads
 *           and main meet at a pthread_barrier; the time runs from the first thread's start (its
 *           clock read after the barrier) to the last thread's end; the total is checked
 * The first argument picks the part(s) to run (default all).
 *
 * Machine-readable output on stderr, one "@ <tag> <integer>" line per value (the bench harness's
 * format); a human-readable summary on stdout. Exit 1 if a total is wrong or a pthread call fails.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    TAG_COLD = 60,     /* ns, first create+join of the process */
    TAG_P50 = 61,      /* ns, median per pair of the timed spawn pairs */
    TAG_P90 = 62,      /* ns, 90th percentile per pair */
    TAG_MIN = 63,      /* ns, fastest pair */
    TAG_WARMUP = 64,   /* number of warm-up pairs run */
    TAG_LOCK = 65,     /* ns, one timed loop of lock_pairs uncontended lock+unlock (REPS lines) */
    TAG_C2 = 66,       /* ns, 2 threads: contended_increments in total (REPS lines) */
    TAG_C4 = 67,       /* ns, 4 threads: same */
    TAG_CREATE = 68,   /* ns, median time for pthread_create to return, over the timed spawn pairs */
    TAG_ENTRY = 69,    /* ns, median time from the pthread_create call to the thread function's start */
    TAG_EXIT = 70,     /* ns, median time from the thread function's return to pthread_join's return */
};

#define REPS 3
#define WARM_MS 300
#define WARM_MIN 20
#define MAXT 4
#define SETTLE_MS 200

static int64_t mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void emit(int tag, int64_t v)
{
    fprintf(stderr, "@ %d %lld\n", tag, (long long)v);
}

static void die(const char *what, int err)
{
    printf("pthread_bench: %s failed (%d)\n", what, err);
    fflush(stdout);
    exit(1);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* --- spawn ------------------------------------------------------------------ */
static _Atomic int ran;
static _Atomic int64_t child_in, child_out;
static void *empty(void *arg)
{
    atomic_store_explicit(&child_in, mono(), memory_order_relaxed);
    atomic_fetch_add_explicit(&ran, 1, memory_order_relaxed);
    atomic_store_explicit(&child_out, mono(), memory_order_relaxed);
    return arg;
}

/* the last pair: ns pthread_create took, ns to the thread's start, ns from its return to join's return */
static int64_t last_create, last_entry, last_exit;

static int64_t pair(void)
{
    pthread_t t;
    void *ret = 0;
    int64_t t0 = mono();
    int e = pthread_create(&t, 0, empty, (void *)(intptr_t)7);
    if (e) die("pthread_create", e);
    last_create = mono() - t0;
    e = pthread_join(t, &ret);
    if (e) die("pthread_join", e);
    int64_t t1 = mono(), dt = t1 - t0;
    last_entry = atomic_load(&child_in) - t0;
    last_exit = t1 - atomic_load(&child_out);
    if ((intptr_t)ret != 7) die("join value", (int)(intptr_t)ret);
    return dt;
}

/* --- mutex ------------------------------------------------------------------ */
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static volatile long counter;

static int64_t lock_loop(long n)
{
    int64_t t0 = mono();
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&m);
        counter++;
        pthread_mutex_unlock(&m);
    }
    return mono() - t0;
}

static pthread_barrier_t start_line;
static _Atomic int64_t first_start, last_end;
static long per_thread;

static void *contender(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start_line);
    int64_t start = mono();
    int64_t first = atomic_load(&first_start);
    while (start < first && !atomic_compare_exchange_weak(&first_start, &first, start))
        ;
    for (long i = 0; i < per_thread; i++) {
        pthread_mutex_lock(&m);
        counter++;
        pthread_mutex_unlock(&m);
    }
    int64_t end = mono();
    int64_t prev = atomic_load(&last_end);
    while (end > prev && !atomic_compare_exchange_weak(&last_end, &prev, end))
        ;
    return 0;
}

/* nthreads contenders (the main thread only waits); returns ns from the first thread's start (after
   the barrier) to the last thread's end */
static int64_t contend(int nthreads, long total)
{
    pthread_t t[MAXT];
    per_thread = total / nthreads;
    counter = 0;
    atomic_store(&first_start, INT64_MAX);
    atomic_store(&last_end, 0);
    int e = pthread_barrier_init(&start_line, 0, nthreads + 1);
    if (e) die("pthread_barrier_init", e);
    for (int i = 0; i < nthreads; i++) {
        e = pthread_create(&t[i], 0, contender, 0);
        if (e) die("pthread_create (contended)", e);
    }
    pthread_barrier_wait(&start_line);
    for (int i = 0; i < nthreads; i++) {
        e = pthread_join(t[i], 0);
        if (e) die("pthread_join (contended)", e);
    }
    pthread_barrier_destroy(&start_line);
    if (counter != per_thread * nthreads) {
        printf("pthread_bench: contended total %ld, expected %ld\n", (long)counter, per_thread * nthreads);
        fflush(stdout);
        exit(1);
    }
    return atomic_load(&last_end) - atomic_load(&first_start);
}

static void spawn_part(long spawn_n);
static void mutex_part(long lock_n, long cont_n);

int main(int argc, char **argv)
{
    const char *part = argc > 1 ? argv[1] : "all";
    long spawn_n = argc > 2 ? atol(argv[2]) : 300;
    long lock_n = argc > 3 ? atol(argv[3]) : 1000000;
    long cont_n = argc > 4 ? atol(argv[4]) : 400000;
    int do_spawn = !strcmp(part, "all") || !strcmp(part, "spawn");
    int do_mutex = !strcmp(part, "all") || !strcmp(part, "mutex");
    if ((!do_spawn && !do_mutex) || spawn_n < 1 || lock_n < 1 || cont_n < MAXT) die("arguments", 0);
    if (do_spawn)
        spawn_part(spawn_n);
    if (do_mutex)
        mutex_part(lock_n, cont_n);
    fflush(stdout);
    return 0;
}

static void spawn_part(long spawn_n)
{
    int64_t cold = pair();
    emit(TAG_COLD, cold);
    long warm = 0;
    int64_t wend = mono() + (int64_t)WARM_MS * 1000000;
    while (warm < WARM_MIN || mono() < wend) {
        pair();
        warm++;
    }
    emit(TAG_WARMUP, warm);
    int64_t *d = malloc(sizeof *d * spawn_n * 4), *c = d + spawn_n, *en = c + spawn_n, *ex = en + spawn_n;
    if (!d) die("malloc", 0);
    for (long i = 0; i < spawn_n; i++) {
        d[i] = pair();
        c[i] = last_create;
        en[i] = last_entry;
        ex[i] = last_exit;
    }
    qsort(d, spawn_n, sizeof *d, cmp_i64);
    qsort(c, spawn_n, sizeof *c, cmp_i64);
    qsort(en, spawn_n, sizeof *en, cmp_i64);
    qsort(ex, spawn_n, sizeof *ex, cmp_i64);
    int64_t p50 = d[spawn_n / 2], p90 = d[spawn_n * 9 / 10], mn = d[0];
    emit(TAG_P50, p50);
    emit(TAG_P90, p90);
    emit(TAG_MIN, mn);
    emit(TAG_CREATE, c[spawn_n / 2]);
    emit(TAG_ENTRY, en[spawn_n / 2]);
    emit(TAG_EXIT, ex[spawn_n / 2]);
    if (atomic_load(&ran) != 1 + warm + spawn_n) die("thread count", atomic_load(&ran));
    printf("spawn+join: cold %.1f us; %ld pairs after %ld warm-up: median %.1f us, p90 %.1f us, min %.1f us;"
           " medians: pthread_create returns after %.1f us, the thread starts after %.1f us,"
           " join returns %.1f us after the thread function returned\n",
           cold / 1e3, spawn_n, warm, p50 / 1e3, p90 / 1e3, mn / 1e3, c[spawn_n / 2] / 1e3, en[spawn_n / 2] / 1e3,
           ex[spawn_n / 2] / 1e3);
    free(d);
}

static void mutex_part(long lock_n, long cont_n)
{
    /* uncontended mutex */
    lock_loop(lock_n);
    int64_t best = INT64_MAX;
    for (int r = 0; r < REPS; r++) {
        int64_t ns = lock_loop(lock_n);
        emit(TAG_LOCK, ns);
        if (ns < best) best = ns;
    }
    if (counter != lock_n * (REPS + 1)) die("uncontended total", (int)counter);
    printf("mutex uncontended: %.2f ns per lock+unlock (best of %d loops of %ld)\n", (double)best / lock_n, REPS, lock_n);

    /* contended mutex: one untimed run with MAXT threads first, then a pause (lets a runtime finish
       starting the workers it wants for those threads, off the timed runs) */
    contend(MAXT, cont_n);
    struct timespec pause = {0, SETTLE_MS * 1000000L};
    nanosleep(&pause, 0);
    for (int nt = 2; nt <= 4; nt += 2) {
        best = INT64_MAX;
        for (int r = 0; r < REPS; r++) {
            int64_t ns = contend(nt, cont_n);
            emit(nt == 2 ? TAG_C2 : TAG_C4, ns);
            if (ns < best) best = ns;
        }
        printf("mutex contended, %d threads: %.1f ns per increment (best of %d runs of %ld)\n",
               nt, (double)best / (cont_n / nt * nt), REPS, cont_n / nt * nt);
    }
}
