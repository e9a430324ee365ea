/*
 * floor.c - the system-call floor for netns-bench, in C with no bookkeeping.
 *
 * Each line of output is "floor <key> <ns/op> <ops>", the median of ROUNDS rounds, read by run.sh next to the
 * JMH results of the same invocation:
 *
 *   getpid             syscall(SYS_getpid): one system call that does nothing; with SwitchAnatomyBenchmark's
 *                      jnrGetpid it gives jnr-ffi's per-call overhead.
 *   setns_roundtrip    setns(other) + setns(home) from one thread: the floor of SwitchBenchmark.callOtherAndBack.
 *   ns_create_delete   what NetNamespace.create + close + delete does, minus the checks, as cheaply as the
 *                      kernel allows: open(O_CREAT|O_EXCL) of /run/netns/<name>; the calling thread itself
 *                      unshare(CLONE_NEWNET)s, bind-mounts /proc/thread-self/ns/net onto it, opens it, and
 *                      setns back home (no thread is made); close, umount2(MNT_DETACH), unlink.
 *   none_create_delete the same plus lo up with one RTM_NEWLINK over a NETLINK_ROUTE socket opened inside
 *                      the new namespace before the setns back (acknowledged): the floor of a none sandbox.
 *                      The library's none also writes and removes its owner record; that file is not in the
 *                      floor.
 *
 *   bridge_create_delete
 *                      a bridge sandbox on a lab namespace whose bridge exists (made once, like the library's
 *                      network): the namespace as above with a NETLINK_ROUTE socket opened inside before
 *                      the setns back, then over netlink in the lab: one RTM_NEWLINK veth with its peer "eth0" created directly
 *                      in the new namespace (IFLA_NET_NS_FD), one RTM_NEWLINK master + up; inside: lo up, a
 *                      RTM_GETLINK for eth0's index, eth0 up, RTM_NEWADDR, default RTM_NEWROUTE via the
 *                      bridge's address, every message acknowledged; then close, umount2, unlink (the veth
 *                      dies with the namespace, as in the library). Not in the floor: the library's IPAM lease
 *                      and owner record files, and its checks.
 *
 * Usage: floor [switch-ops] [create-ops]    Needs root (CAP_SYS_ADMIN); leaves nothing behind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <arpa/inet.h>
#include <net/if.h>
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

/* ---- minimal rtnetlink: one request, acknowledged (or answered), per call ---- */

struct nlreq {
    struct nlmsghdr nh;
    char body[1024];
};

static void *nl_tail(struct nlmsghdr *n) { return (char *) n + NLMSG_ALIGN(n->nlmsg_len); }

static void nl_put(struct nlmsghdr *n, const void *data, int len) {
    memcpy(nl_tail(n), data, len);
    n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + len;
}

static void nl_attr(struct nlmsghdr *n, int type, const void *data, int len) {
    struct rtattr *a = nl_tail(n);
    a->rta_type = type;
    a->rta_len = RTA_LENGTH(len);
    if (len) memcpy(RTA_DATA(a), data, len);
    n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static struct rtattr *nl_nest(struct nlmsghdr *n, int type) {
    struct rtattr *a = nl_tail(n);
    nl_attr(n, type, NULL, 0);
    return a;
}

static void nl_nest_end(struct nlmsghdr *n, struct rtattr *a) { a->rta_len = (char *) nl_tail(n) - (char *) a; }

static void nl_start(struct nlreq *r, int type, int flags, const void *hdr, int hdrlen) {
    memset(r, 0, sizeof *r);
    r->nh.nlmsg_len = NLMSG_LENGTH(0);
    r->nh.nlmsg_type = type;
    r->nh.nlmsg_flags = NLM_F_REQUEST | flags;
    nl_put(&r->nh, hdr, hdrlen);
}

/* Sends one request; returns 0 on an ack, the answer's ifindex for RTM_GETLINK, or -1 with errno. */
static int nl_talk(int fd, struct nlreq *r) {
    static unsigned seq;
    r->nh.nlmsg_seq = ++seq;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (sendto(fd, r, r->nh.nlmsg_len, 0, (struct sockaddr *) &kernel, sizeof kernel) < 0) return -1;
    char buf[8192];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < (ssize_t) sizeof(struct nlmsghdr)) return -1;
    struct nlmsghdr *h = (struct nlmsghdr *) buf;
    if (h->nlmsg_type == RTM_NEWLINK) return ((struct ifinfomsg *) NLMSG_DATA(h))->ifi_index;
    if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = NLMSG_DATA(h);
        if (e->error == 0) return 0;
        errno = -e->error;
    }
    return -1;
}

/* Link by name (or index when name is NULL): set flags, optionally a master; acknowledged. */
static int link_set(int fd, int index, const char *name, int up, int master) {
    struct nlreq r;
    struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = up ? IFF_UP : 0, .ifi_change = IFF_UP};
    nl_start(&r, RTM_NEWLINK, NLM_F_ACK, &ifi, sizeof ifi);
    if (name) nl_attr(&r.nh, IFLA_IFNAME, name, strlen(name) + 1);
    if (master) nl_attr(&r.nh, IFLA_MASTER, &master, 4);
    return nl_talk(fd, &r);
}

static int link_index(int fd, const char *name) {
    struct nlreq r;
    struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
    nl_start(&r, RTM_GETLINK, 0, &ifi, sizeof ifi);
    nl_attr(&r.nh, IFLA_IFNAME, name, strlen(name) + 1);
    return nl_talk(fd, &r);
}

static int addr_add(int fd, int index, unsigned addr, int prefix) {
    struct nlreq r;
    struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_prefixlen = prefix, .ifa_index = index};
    nl_start(&r, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
    nl_attr(&r.nh, IFA_LOCAL, &addr, 4);
    nl_attr(&r.nh, IFA_ADDRESS, &addr, 4);
    return nl_talk(fd, &r);
}

static int default_route(int fd, unsigned gateway) {
    struct nlreq r;
    struct rtmsg rt = {.rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT,
                       .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST};
    nl_start(&r, RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof rt);
    nl_attr(&r.nh, RTA_GATEWAY, &gateway, 4);
    return nl_talk(fd, &r);
}

static int veth_add(int fd, const char *name, const char *peer, int peer_ns) {
    struct nlreq r;
    struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
    nl_start(&r, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
    nl_attr(&r.nh, IFLA_IFNAME, name, strlen(name) + 1);
    struct rtattr *info = nl_nest(&r.nh, IFLA_LINKINFO);
    nl_attr(&r.nh, IFLA_INFO_KIND, "veth", 5);
    struct rtattr *data = nl_nest(&r.nh, IFLA_INFO_DATA);
    struct rtattr *p = nl_nest(&r.nh, 1 /* VETH_INFO_PEER */);
    struct ifinfomsg pi = {.ifi_family = AF_UNSPEC};
    nl_put(&r.nh, &pi, sizeof pi);
    nl_attr(&r.nh, IFLA_IFNAME, peer, strlen(peer) + 1);
    nl_attr(&r.nh, IFLA_NET_NS_FD, &peer_ns, 4);
    nl_nest_end(&r.nh, p);
    nl_nest_end(&r.nh, data);
    nl_nest_end(&r.nh, info);
    return nl_talk(fd, &r);
}

static int bridge_add(int fd, const char *name) {
    struct nlreq r;
    struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
    nl_start(&r, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
    nl_attr(&r.nh, IFLA_IFNAME, name, strlen(name) + 1);
    struct rtattr *info = nl_nest(&r.nh, IFLA_LINKINFO);
    nl_attr(&r.nh, IFLA_INFO_KIND, "bridge", 7);
    nl_nest_end(&r.nh, info);
    return nl_talk(fd, &r);
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

/*
 * Creates /run/netns/<name> like NetNamespace.create and returns an open fd on it: the calling thread
 * unshares into a new namespace, bind-mounts it onto the file, opens it (and, when asked, a NETLINK_ROUTE
 * socket inside, or brings lo up from inside), and setns back home. No thread is made: this is the least the
 * kernel allows for a persisted namespace.
 */
static int home_ns = -1;

static int ns_create_nl(const char *path, int lo, int *nl) {
    int f = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (f < 0) die(path);
    close(f);
    if (unshare(CLONE_NEWNET) < 0) die("unshare");
    if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0) die("mount");
    int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0) die("open namespace");
    if (nl) {
        *nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (*nl < 0) die("netlink socket");
    } else if (lo && lo_up() < 0) die("lo up");
    if (setns(home_ns, CLONE_NEWNET) < 0) die("setns home");
    return fd;
}

static int ns_create(const char *path, int lo) { return ns_create_nl(path, lo, NULL); }

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
    home_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home_ns < 0) die("open /proc/thread-self/ns/net");

    for (int r = 0; r < ROUNDS; r++) {
        long long t0 = now_ns();
        for (long i = 0; i < switch_ops; i++) syscall(SYS_getpid);
        rounds[r] = (double) (now_ns() - t0) / switch_ops;
    }
    report("getpid", rounds, switch_ops);

    snprintf(path, sizeof path, "/run/netns/bench-floor%d", (int) getpid());
    int other = ns_create(path, 0);
    int home = home_ns;
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

    /* bridge: a lab namespace with lo up and bridge fbr0 (10.215.0.1/24, up), made once. */
    char lab[128];
    int labnl;
    snprintf(lab, sizeof lab, "/run/netns/bench-floor%d-lab", (int) getpid());
    int labfd = ns_create_nl(lab, 0, &labnl);
    unsigned gw = htonl(0x0ad70001), ip = htonl(0x0ad70002); /* 10.215.0.1, 10.215.0.2 */
    int br;
    if (link_set(labnl, 1, NULL, 1, 0) < 0 || bridge_add(labnl, "fbr0") < 0 || (br = link_index(labnl, "fbr0")) <= 0
        || addr_add(labnl, br, gw, 24) < 0 || link_set(labnl, br, NULL, 1, 0) < 0) die("lab bridge");
    long serial = 0;
    for (int r = 0; r < ROUNDS; r++) {
        long long t0 = now_ns();
        for (long i = 0; i < create_ops; i++) {
            char veth[IFNAMSIZ];
            int inside, eth0;
            snprintf(path, sizeof path, "/run/netns/bench-floor%d-b-%ld", (int) getpid(), serial);
            snprintf(veth, sizeof veth, "fv%x", (unsigned) (serial++ & 0xffffff)); /* unique: a veth dies asynchronously with its namespace */
            int ns = ns_create_nl(path, 0, &inside);
            if (veth_add(labnl, veth, "eth0", ns) < 0) die("veth");
            if (link_set(labnl, 0, veth, 1, br) < 0) die("veth master+up");
            if (link_set(inside, 1, NULL, 1, 0) < 0) die("lo up");
            if ((eth0 = link_index(inside, "eth0")) <= 0) die("eth0 index");
            if (link_set(inside, eth0, NULL, 1, 0) < 0) die("eth0 up");
            if (addr_add(inside, eth0, ip, 24) < 0) die("address");
            if (default_route(inside, gw) < 0) die("route");
            close(inside);
            close(ns);
            ns_delete(path);
        }
        rounds[r] = (double) (now_ns() - t0) / create_ops;
    }
    report("bridge_create_delete", rounds, create_ops);
    close(labnl);
    close(labfd);
    ns_delete(lab);
    return 0;
}
