/*
 * floor.c - the system-call floor for netns-bench, in C with no bookkeeping.
 *
 * Each line of output is "floor <key> <ns/op> <ops>", the median of ROUNDS rounds, read by run.sh next to the
 * JMH results of the same invocation:
 *
 *   getpid             syscall(SYS_getpid): one system call that does nothing; with SwitchAnatomyBenchmark's
 *                      jnrGetpid it gives jnr-ffi's per-call overhead.
 *   setns_roundtrip    setns(other) + setns(home) from one thread: the floor of SwitchBenchmark.callOtherAndBack.
 *   ns_create_delete   what NetNamespace.create + close + delete does, minus the checks: open(O_CREAT|O_EXCL)
 *                      of /run/netns/<name>, a helper thread that unshare(CLONE_NEWNET)s and bind-mounts
 *                      /proc/thread-self/ns/net onto it, open of the result, close, umount2(MNT_DETACH), unlink.
 *   none_create_delete the same plus lo up with one RTM_NEWLINK over a NETLINK_ROUTE socket opened by the
 *                      helper inside the new namespace (acknowledged): the floor of a none sandbox. The
 *                      library's none also writes and removes its owner record; that file is not in the floor.
 *
 * Bridge setup over raw netlink (veth, bridge, addresses, routes) is not in the floor yet: bridge mode's peer
 * is the CNI bridge plugin instead (run.sh --cni).
 *
 * Usage: floor [switch-ops] [create-ops]    Needs root (CAP_SYS_ADMIN); leaves nothing behind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 5

static void die(const char *what) {
    fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
    exit(1);
}

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static void report(const char *key, double *rounds, long ops) {
    qsort(rounds, ROUNDS, sizeof rounds[0], cmp_double);
    printf("floor %s %.1f %ld\n", key, rounds[ROUNDS / 2], ops);
    fflush(stdout);
}

/* lo up, from inside the namespace: RTM_NEWLINK ifindex of lo, IFF_UP, acknowledged. */
static int lo_up(void) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return -1;
    struct {
        struct nlmsghdr nh;
        struct ifinfomsg ifi;
    } req;
    memset(&req, 0, sizeof req);
    req.nh.nlmsg_len = sizeof req;
    req.nh.nlmsg_type = RTM_NEWLINK;
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    req.nh.nlmsg_seq = 1;
    req.ifi.ifi_family = AF_UNSPEC;
    req.ifi.ifi_index = 1; /* lo is always ifindex 1 in a new namespace */
    req.ifi.ifi_flags = IFF_UP;
    req.ifi.ifi_change = IFF_UP;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (sendto(fd, &req, sizeof req, 0, (struct sockaddr *) &kernel, sizeof kernel) < 0) {
        close(fd);
        return -1;
    }
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    int rc = -1;
    if (n >= (ssize_t) (sizeof(struct nlmsghdr) + sizeof(struct nlmsgerr))) {
        struct nlmsghdr *h = (struct nlmsghdr *) buf;
        struct nlmsgerr *e = NLMSG_DATA(h);
        if (h->nlmsg_type == NLMSG_ERROR && e->error == 0) rc = 0;
        else errno = -e->error;
    }
    close(fd);
    return rc;
}

struct helper_arg {
    const char *path;
    int lo;
    int err;
    const char *what;
};

static void *helper(void *p) {
    struct helper_arg *a = p;
    if (unshare(CLONE_NEWNET) < 0) { a->err = errno; a->what = "unshare"; return NULL; }
    if (mount("/proc/thread-self/ns/net", a->path, "none", MS_BIND, NULL) < 0) { a->err = errno; a->what = "mount"; return NULL; }
    if (a->lo && lo_up() < 0) { a->err = errno; a->what = "lo up"; }
    return NULL;
}

/* Creates /run/netns/<name> like NetNamespace.create and returns an open fd on it. */
static int ns_create(const char *path, int lo) {
    int f = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (f < 0) die(path);
    close(f);
    struct helper_arg a = {.path = path, .lo = lo};
    pthread_t t;
    if (pthread_create(&t, NULL, helper, &a) != 0) die("pthread_create");
    pthread_join(t, NULL);
    if (a.err) { errno = a.err; die(a.what); }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die("open namespace");
    return fd;
}

static void ns_delete(const char *path) {
    if (umount2(path, MNT_DETACH) < 0) die("umount2");
    if (unlink(path) < 0) die("unlink");
}

int main(int argc, char **argv) {
    long switch_ops = argc > 1 ? atol(argv[1]) : 1000000;
    long create_ops = argc > 2 ? atol(argv[2]) : 200;
    double rounds[ROUNDS];
    char path[128];
    mkdir("/run/netns", 0755);

    for (int r = 0; r < ROUNDS; r++) {
        long long t0 = now_ns();
        for (long i = 0; i < switch_ops; i++) syscall(SYS_getpid);
        rounds[r] = (double) (now_ns() - t0) / switch_ops;
    }
    report("getpid", rounds, switch_ops);

    snprintf(path, sizeof path, "/run/netns/bench-floor%d", (int) getpid());
    int other = ns_create(path, 0);
    int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home < 0) die("open /proc/self/ns/net");
    for (long i = 0; i < switch_ops / 10; i++) { /* warm-up */
        if (setns(other, CLONE_NEWNET) < 0 || setns(home, CLONE_NEWNET) < 0) die("setns");
    }
    for (int r = 0; r < ROUNDS; r++) {
        long long t0 = now_ns();
        for (long i = 0; i < switch_ops; i++) {
            if (setns(other, CLONE_NEWNET) < 0 || setns(home, CLONE_NEWNET) < 0) die("setns");
        }
        rounds[r] = (double) (now_ns() - t0) / switch_ops;
    }
    report("setns_roundtrip", rounds, switch_ops);
    close(other);
    close(home);
    ns_delete(path);

    for (int lo = 0; lo <= 1; lo++) {
        for (int r = 0; r < ROUNDS; r++) {
            long long t0 = now_ns();
            for (long i = 0; i < create_ops; i++) {
                snprintf(path, sizeof path, "/run/netns/bench-floor%d-%d-%d-%ld", (int) getpid(), lo, r, i);
                close(ns_create(path, lo));
                ns_delete(path);
            }
            rounds[r] = (double) (now_ns() - t0) / create_ops;
        }
        report(lo ? "none_create_delete" : "ns_create_delete", rounds, create_ops);
    }
    return 0;
}
