/*
 * build_bench.c -- a "real build" workload: what make + a compiler do to a source tree, with plain POSIX
 * file calls. One source for WASI preview1 (wasi-libc; node:wasi and weft run the same bytes) and glibc
 * (native gcc, the floor). Built by bench/build/group.mjs; run by bench/run.mjs (group "build").
 *
 *   build_bench [root]        (root: default /sandbox, the harness's preopen; a fresh empty directory)
 *
 * Phases, each timed with clock_gettime(CLOCK_MONOTONIC) and printed as "@ <tag> <ns>" on stderr:
 *   gen      create src/mod-DD/sub-S/file-FFF.c: DIRS x SUBS directories, FILES files in all, 0.5-4 KiB each
 *   build    walk src/ (opendir/readdir), stat each source and its object (missing), read the source,
 *            mkdir the object's directory if needed, write obj/.../file-FFF.o (a digest-derived transform)
 *   nop      the up-to-date check of a second build: walk src/, stat each source and its object, compare
 *            mtimes (nothing to rebuild)
 *   link     read every object back in walk order and write one out/app.bin of all of them
 *   clean    remove obj/, out/ and src/ (unlink every file, rmdir every directory)
 * and a 48-bit digest of everything built (tag TAG_SUM), which must be the same under every runtime.
 * Exit 1 on any failed call (with the path and errno on stderr).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { TAG_GEN = 110, TAG_BUILD = 111, TAG_NOP = 112, TAG_LINK = 113, TAG_CLEAN = 114, TAG_SUM = 115, TAG_TOTAL = 116 };
enum { DIRS = 50, SUBS = 4, FILES = 5000 };

static const char *root = "/sandbox";
static uint64_t digest = 1469598103934665603ull; /* FNV-1a over everything built */
static unsigned char buf[1 << 16];
static int rebuilt, uptodate;
static int out_fd = -1;

static int64_t mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void emit(int tag, int64_t v) { fprintf(stderr, "@ %d %lld\n", tag, (long long)v); }

static void fail(const char *what, const char *path)
{
    fprintf(stderr, "build_bench: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

static void mix(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) digest = (digest ^ p[i]) * 1099511628211ull;
}

static void write_all(int fd, const void *p, size_t n, const char *path)
{
    const unsigned char *q = p;
    while (n) {
        ssize_t w = write(fd, q, n);
        if (w < 0) fail("write", path);
        q += w;
        n -= (size_t)w;
    }
}

static void mkdir_p(const char *path)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST) fail("mkdir", path);
}

static void gen(void)
{
    char path[512];
    uint32_t x = 0x2545f491;
    snprintf(path, sizeof path, "%s/src", root);
    mkdir_p(path);
    for (int d = 0; d < DIRS; d++) {
        snprintf(path, sizeof path, "%s/src/mod-%02d", root, d);
        mkdir_p(path);
        for (int s = 0; s < SUBS; s++) {
            snprintf(path, sizeof path, "%s/src/mod-%02d/sub-%d", root, d, s);
            mkdir_p(path);
        }
    }
    for (int f = 0; f < FILES; f++) {
        int d = f % DIRS, s = (f / DIRS) % SUBS;
        snprintf(path, sizeof path, "%s/src/mod-%02d/sub-%d/file-%04d.c", root, d, s, f);
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        size_t n = 512 + x % 3584;
        for (size_t i = 0; i < n; i++) buf[i] = (unsigned char)("int x = 0; /* source */\n"[(i + f) % 25]);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) fail("open", path);
        write_all(fd, buf, n, path);
        if (close(fd) != 0) fail("close", path);
    }
}

/* The object path of a source path under src/ (same relative path under obj/, .c -> .o). */
static void obj_path(char *out, size_t size, const char *rel)
{
    snprintf(out, size, "%s/obj/%s", root, rel);
    size_t n = strlen(out);
    out[n - 1] = 'o';
}

/* Compiles one source: read it, write its object (each byte transformed; the digest covers it). */
static void compile(const char *src, const char *obj)
{
    int fd = open(src, O_RDONLY);
    if (fd < 0) fail("open", src);
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) fail("read", src);
    close(fd);
    for (ssize_t i = 0; i < n; i++) buf[i] = (unsigned char)(buf[i] * 31 + (unsigned char)i);
    size_t keep = (size_t)n / 2;
    mix(buf, keep);
    fd = open(obj, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) fail("open", obj);
    write_all(fd, buf, keep, obj);
    if (close(fd) != 0) fail("close", obj);
}

enum { BUILD, NOP, LINK, CLEAN };

/* Walks src/<rel> (or obj/<rel> for CLEAN) depth-first in readdir order, sorted per directory. */
static void walk(int mode, const char *rel)
{
    char dir[512], path[512], obj[512];
    snprintf(dir, sizeof dir, "%s/%s/%s", root, mode == CLEAN ? "obj" : "src", rel);
    DIR *d = opendir(dir);
    if (!d) fail("opendir", dir);
    /* names, sorted, so the order (and the link output) is the same on every host */
    char (*names)[64] = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof *names);
        }
        snprintf(names[count++], 64, "%s", e->d_name);
    }
    closedir(d);
    qsort(names, count, sizeof *names, (int (*)(const void *, const void *))strcmp);
    for (size_t i = 0; i < count; i++) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", names[i]);
        snprintf(path, sizeof path, "%s/%s/%s", root, mode == CLEAN ? "obj" : "src", sub);
        struct stat st, ot;
        if (stat(path, &st) != 0) fail("stat", path);
        if (S_ISDIR(st.st_mode)) {
            if (mode == BUILD) {
                snprintf(obj, sizeof obj, "%s/obj/%s", root, sub);
                mkdir_p(obj);
            }
            walk(mode, sub);
            if (mode == CLEAN && rmdir(path) != 0) fail("rmdir", path);
            continue;
        }
        if (mode == CLEAN) {
            if (unlink(path) != 0) fail("unlink", path);
            continue;
        }
        obj_path(obj, sizeof obj, sub);
        if (mode == LINK) {
            int fd = open(obj, O_RDONLY);
            if (fd < 0) fail("open", obj);
            ssize_t n = read(fd, buf, sizeof buf);
            if (n < 0) fail("read", obj);
            close(fd);
            write_all(out_fd, buf, (size_t)n, "out/app.bin");
            continue;
        }
        int have = stat(obj, &ot) == 0;
        if (!have && errno != ENOENT) fail("stat", obj);
        if (have && (ot.st_mtim.tv_sec > st.st_mtim.tv_sec ||
                     (ot.st_mtim.tv_sec == st.st_mtim.tv_sec && ot.st_mtim.tv_nsec >= st.st_mtim.tv_nsec))) {
            uptodate++;
            continue;
        }
        compile(path, obj);
        rebuilt++;
    }
    free(names);
}

static void rm_tree(const char *top)
{
    /* CLEAN walks obj/; src/ and out/ are removed by pointing the same walk at them in turn */
    char from[512], to[512];
    snprintf(from, sizeof from, "%s/%s", root, top);
    snprintf(to, sizeof to, "%s/obj", root);
    if (strcmp(top, "obj") && rename(from, to) != 0) fail("rename", from);
    walk(CLEAN, "");
    if (rmdir(to) != 0) fail("rmdir", to);
}

int main(int argc, char **argv)
{
    if (argc > 1) root = argv[1];
    char path[512];
    /* leftovers of a run that failed half-way */
    static const char *const tops[] = { "obj", "out", "src" };
    for (int i = 0; i < 3; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", root, tops[i]);
        if (stat(path, &st) == 0) rm_tree(tops[i]);
    }
    int64_t t0 = mono(), t = t0, now;
#define PHASE(tag) (now = mono(), emit(tag, now - t), t = now)
    gen();
    PHASE(TAG_GEN);
    snprintf(path, sizeof path, "%s/obj", root);
    mkdir_p(path);
    walk(BUILD, "");
    PHASE(TAG_BUILD);
    if (rebuilt != FILES || uptodate != 0) { fprintf(stderr, "build_bench: build compiled %d, skipped %d\n", rebuilt, uptodate); return 1; }
    rebuilt = 0;
    walk(NOP, "");
    PHASE(TAG_NOP);
    if (rebuilt != 0 || uptodate != FILES) { fprintf(stderr, "build_bench: no-op build compiled %d, skipped %d\n", rebuilt, uptodate); return 1; }
    snprintf(path, sizeof path, "%s/out", root);
    mkdir_p(path);
    snprintf(path, sizeof path, "%s/out/app.bin", root);
    out_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out_fd < 0) fail("open", path);
    walk(LINK, "");
    struct stat st;
    if (fstat(out_fd, &st) != 0) fail("fstat", path);
    close(out_fd);
    mix((const unsigned char *)&st.st_size, sizeof st.st_size);
    PHASE(TAG_LINK);
    rm_tree("obj");
    rm_tree("out");
    rm_tree("src");
    PHASE(TAG_CLEAN);
    emit(TAG_TOTAL, t - t0);
    emit(TAG_SUM, (int64_t)(digest & 0xffffffffffffull));
    printf("built %d files, %lld bytes linked, digest %012llx\n", FILES, (long long)st.st_size, (unsigned long long)(digest & 0xffffffffffffull));
    return 0;
}
