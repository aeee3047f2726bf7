/*
 * berth-launch: starts one service program in its task's sandbox, in one exec.
 *
 *   berth-launch [--netns PATH] [--cgroup DIR]... [--cgroup-view ROOT] [--uid N --gid N] [--passwd FILE]
 *                [--group FILE] [--tmp DIR] [--bind SOURCE --to TARGET]... [--log-limit BYTES] [--dir DIR]
 *                [--keep-stdin] [--die-with-parent] [--unprivileged]
 *                -- PROGRAM [ARG]...
 *   berth-launch --enter PID [--cgroup DIR]... [--uid N --gid N] [--dir DIR] [--keep-stdin] -- PROGRAM [ARG]...
 *                runs PROGRAM inside the sandbox of the service whose berth-launch is PID (its probe, a prototype's
 *                down): in its PID, mount and IPC namespaces, so it sees and may signal the service's processes
 *   berth-launch --netns-add PATH [--netns NURSERY]     creates a network namespace bound at PATH, lo up
 *   berth-launch --netns-del PATH                       unbinds and removes it
 *   berth-launch --serve                                the agent's launch server (below)
 *
 * The agent runs this with an EMPTY environment: the service's environment arrives on stdin as
 * "<length>\n" followed by NUL-separated NAME=VALUE entries, so no root process ever sees it (a service's
 * LD_PRELOAD never reaches a root loader). Without --keep-stdin the program's stdin is /dev/null; with it,
 * the rest of stdin (a prototype's request) is the program's.
 *
 * Process tree (privileged):  agent -> berth-launch (relay, in the task's network namespace)
 *                                        -> init (pid 1 of a new PID namespace; own mount namespace with its own
 *                                           /proc and /dev/shm, its task's /tmp, /var/tmp and /run/lock (--tmp),
 *                                           its own cgroups alone under ROOT (--cgroup-view, the host's cgroup file
 *                                           systems); own IPC namespace; in the service's cgroups; dies with the
 *                                           relay)
 *                                             -> PROGRAM (own session, task uid/gid, no groups, no_new_privs, no
 *                                                keyrings)
 * The relay passes SIGTERM/SIGINT/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 to init, init to the program's process group.
 * When the program exits, init exits with its status and the kernel kills whatever else runs in the PID
 * namespace (double-forked, setsid or not) before the relay sees init gone: the relay's exit means the
 * service's every process is gone. SIGKILL to the relay kills init (parent-death signal), and so all of it.
 * Started by the launch server (--serve), relay and init are one process, which the server clones into the new
 * PID, mount and IPC namespaces and in the task's network namespace (one fork less per service): the server's child
 * is the sandbox's pid 1, and only the program joins the service's cgroups; the rest holds as above.
 * With --log-limit, the service's output reaches the log (the launcher's stdout, opened for appending) through the
 * relay, which holds back what would grow the file past BYTES until the agent has rotated it, and then says how much
 * it dropped: the log stays within its cap while the service writes, however fast.
 * Exit status: the program's, 128+N if killed by signal N; 125 if the sandbox could not be made, 127 if the
 * program could not be executed (the reason is on stderr, which is the service's log).
 *
 * --serve: one long-lived process per agent that forks where the agent would otherwise exec, so starting a service
 * costs forks of this small static process instead of the JVM spawning a helper that execs this program (each exec
 * rebuilds an address space, which is what a service start mostly cost). Requests arrive on stdin, one at a time:
 *   "ID VERB LENGTH\n" then LENGTH bytes of NUL-terminated fields:
 *   start       ARGC, then ARGC arguments as this program takes them (with --log FILE, the service's stdout and
 *               stderr; --stdin FILE, its stdin), then the environment's NAME=VALUE entries
 *   signal      PID, SIGNAL (a number): only to a service this server started and has not reaped
 *   netns-add   PATH [, NURSERY]      netns-del   PATH
 * Replies on stdout, one line each: "ID ok [PID]" or "ID error REASON"; when a started service's relay exits:
 * "0 exit PID STATUS". At the end of stdin (the agent is gone) the server exits; a service started with
 * --die-with-parent dies with it, any other lives on for a restarted agent to re-attach.
 *
 * --unprivileged (an agent that is not root): no namespaces, cgroups or user switch; the relay itself runs
 * the program in its own session and kills what is left of its process group when it exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <stdarg.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_SANDBOX 125
#define EXIT_EXEC 127
#define MAX_CGROUPS 8
#define MAX_BINDS 64
#define MAX_ENV_BYTES (16 * 1024 * 1024)
/* A sandbox's own namespaces (its network one is its task's): PID (its own /proc), mount, and IPC — System V shared
   memory, semaphores and message queues and POSIX message queues are per IPC namespace: in the host's, any service
   could list every other task's, attach the ones left open, and leave some behind for the next holder of its uid
   (they outlive their processes); a sandbox's go with it. */
#define SANDBOX_NAMESPACES (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC)

static const int FORWARDED[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
#define N_FORWARDED ((int) (sizeof FORWARDED / sizeof FORWARDED[0]))

struct options {
    const char *netns, *netns_add, *netns_del, *passwd, *group, *tmp, *dir, *log, *stdin_file, *cgroup_view;
    long enter, log_limit;
    const char *cgroups[MAX_CGROUPS];
    int n_cgroups;
    const char *bind_sources[MAX_BINDS], *bind_targets[MAX_BINDS]; /* task inputs */
    int n_binds;
    long uid, gid;
    int keep_stdin, die_with_parent, unprivileged, serve;
    int born_in_netns; /* the launch server cloned it in --netns already */
    char **argv; /* PROGRAM ARGS */
    char **envp;
};

static void fail(int code, const char *what, const char *detail) {
    fprintf(stderr, "berth-launch: %s%s%s: %s\n", what, detail ? " " : "", detail ? detail : "", strerror(errno));
    _exit(code);
}

static void usage(const char *msg) {
    fprintf(stderr, "berth-launch: %s\n", msg);
    _exit(EXIT_SANDBOX);
}

static long number(const char *s) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0) usage("not a number");
    return v;
}

static void parse(int argc, char **argv, struct options *o) {
    memset(o, 0, sizeof *o);
    o->uid = o->gid = o->enter = o->log_limit = -1;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--")) { i++; break; }
        else if (!strcmp(a, "--keep-stdin")) o->keep_stdin = 1;
        else if (!strcmp(a, "--die-with-parent")) o->die_with_parent = 1;
        else if (!strcmp(a, "--unprivileged")) o->unprivileged = 1;
        else if (!strcmp(a, "--serve")) o->serve = 1;
        else if (!v) usage("option without value");
        else {
            i++;
            if (!strcmp(a, "--netns")) o->netns = v;
            else if (!strcmp(a, "--netns-add")) o->netns_add = v;
            else if (!strcmp(a, "--netns-del")) o->netns_del = v;
            else if (!strcmp(a, "--passwd")) o->passwd = v;
            else if (!strcmp(a, "--group")) o->group = v;
            else if (!strcmp(a, "--tmp")) o->tmp = v;
            else if (!strcmp(a, "--cgroup-view")) o->cgroup_view = v;
            else if (!strcmp(a, "--dir")) o->dir = v;
            else if (!strcmp(a, "--log")) o->log = v;
            else if (!strcmp(a, "--stdin")) o->stdin_file = v;
            else if (!strcmp(a, "--uid")) o->uid = number(v);
            else if (!strcmp(a, "--enter")) o->enter = number(v);
            else if (!strcmp(a, "--log-limit")) o->log_limit = number(v);
            else if (!strcmp(a, "--gid")) o->gid = number(v);
            else if (!strcmp(a, "--bind")) {
                if (o->n_binds == MAX_BINDS) usage("too many binds");
                o->bind_sources[o->n_binds] = v;
            } else if (!strcmp(a, "--to")) {
                if (o->n_binds == MAX_BINDS || !o->bind_sources[o->n_binds]) usage("--to without --bind");
                o->bind_targets[o->n_binds++] = v;
            } else if (!strcmp(a, "--cgroup")) {
                if (o->n_cgroups == MAX_CGROUPS) usage("too many cgroups");
                o->cgroups[o->n_cgroups++] = v;
            } else usage("unknown option");
        }
    }
    o->argv = i < argc ? argv + i : NULL;
}

/* Reads "<length>\n" then exactly that many bytes of NUL-separated entries, leaving the rest of stdin unread. */
static char **read_environment(void) {
    char header[24];
    size_t n = 0;
    while (n < sizeof header - 1) {
        ssize_t r = read(0, header + n, 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) usage("no environment on stdin");
        if (header[n] == '\n') break;
        n++;
    }
    header[n] = 0;
    long len = number(header);
    if (len > MAX_ENV_BYTES) usage("environment too large");
    char *block = malloc(len + 1);
    if (!block) fail(EXIT_SANDBOX, "malloc", NULL);
    for (long got = 0; got < len;) {
        ssize_t r = read(0, block + got, len - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) usage("environment cut short");
        got += r;
    }
    block[len] = 0;
    size_t count = 0;
    for (long k = 0; k < len; k++) if (block[k] == 0) count++;
    char **env = calloc(count + 2, sizeof *env);
    if (!env) fail(EXIT_SANDBOX, "calloc", NULL);
    size_t e = 0;
    for (long k = 0; k < len;) {
        env[e++] = block + k;
        k += strlen(block + k) + 1;
    }
    env[e] = NULL;
    return env;
}

/* The service's cgroups' cgroup.procs, opened before anything covers the host's cgroup file systems (the view) */
static int cgroup_procs[MAX_CGROUPS];

static void open_cgroups(const struct options *o) {
    for (int i = 0; i < o->n_cgroups; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/cgroup.procs", o->cgroups[i]);
        cgroup_procs[i] = open(path, O_WRONLY | O_CLOEXEC);
        if (cgroup_procs[i] < 0) fail(EXIT_SANDBOX, "open", path);
    }
}

static void join_cgroups(const struct options *o) {
    for (int i = 0; i < o->n_cgroups; i++) {
        if (write(cgroup_procs[i], "0", 1) < 0) fail(EXIT_SANDBOX, "join cgroup", o->cgroups[i]);
    }
}

static void close_cgroups(const struct options *o) {
    for (int i = 0; i < o->n_cgroups; i++) close(cgroup_procs[i]);
}

static char reason[512]; /* why the last try_/make_/remove_ call failed */

static int failed(const char *what, const char *detail) {
    snprintf(reason, sizeof reason, "%s%s%s: %s", what, detail ? " " : "", detail ? detail : "", strerror(errno));
    return -1;
}

static int try_enter_netns(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return failed("open network namespace", path);
    int r = setns(fd, CLONE_NEWNET) < 0 ? failed("enter network namespace", path) : 0;
    close(fd);
    return r;
}

static void enter_netns(const char *path) {
    if (try_enter_netns(path) < 0) usage(reason);
}

static int loopback_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return failed("socket", NULL);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    int r = ioctl(s, SIOCGIFFLAGS, &ifr) < 0 ? failed("get lo flags", NULL) : 0;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (r == 0 && ioctl(s, SIOCSIFFLAGS, &ifr) < 0) r = failed("bring lo up", NULL);
    close(s);
    return r;
}

/* What `ip netns add` does: a new namespace (made from NURSERY if not NULL: it inherits its small TCP hash table),
   bound at PATH so it outlives its maker. Leaves the caller in the new namespace. */
static int make_netns(const char *path, const char *nursery) {
    if (nursery && try_enter_netns(nursery) < 0) return -1;
    int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd < 0) return failed("create", path);
    close(fd);
    int r = unshare(CLONE_NEWNET) < 0 ? failed("unshare network", NULL) : loopback_up();
    if (r == 0 && mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
        r = failed("bind network namespace at", path);
    if (r < 0) unlink(path);
    return r;
}

static int remove_netns(const char *path) {
    if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) return failed("unmount", path);
    if (unlink(path) < 0 && errno != ENOENT) return failed("remove", path);
    return 0;
}

static int netns_add(const struct options *o) {
    if (make_netns(o->netns_add, o->netns) < 0) usage(reason);
    return 0;
}

static int netns_del(const struct options *o) {
    if (remove_netns(o->netns_del) < 0) {
        fprintf(stderr, "berth-launch: %s\n", reason);
        return 1;
    }
    return 0;
}

static pid_t child_of(long relay);

static int status_code(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The program, in its own session, as the task's identity, with no signal blocked. Never returns. */
static pid_t spawner; /* the process that starts the program: its parent until that dies */


/* the host's shared temporary directories, which --tmp covers (the agent's Sandbox.SHARED_TMP: the same list) */
static const char *const SHARED_TMP[] = {"/tmp", "/var/tmp", "/run/lock"};
#define N_SHARED_TMP ((int) (sizeof SHARED_TMP / sizeof SHARED_TMP[0]))

/* Whether `path` lies in one of the host's shared temporary directories, which a sandbox's --tmp covers. */
static int under_shared_tmp(const char *path) {
    for (int i = 0; i < N_SHARED_TMP; i++) {
        size_t n = strlen(SHARED_TMP[i]);
        if (!strncmp(path, SHARED_TMP[i], n) && (path[n] == '/' || path[n] == 0)) return 1;
    }
    return 0;
}


/*
 * The kernel's keyrings are not namespaced: a uid's user keyring outlives its processes, so what a service stores in it
 * is the next task's that gets the uid. As Docker's default profile does, a service's add_key, request_key and keyctl
 * fail with ENOSYS (no keyring support, which callers handle) — in every ABI a process can call them through.
 */
static void deny_keyrings(void) {
#if defined(__x86_64__) /* the one architecture Berth's workers run on; elsewhere this filter is still to be written */
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 6, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 11), /* no other ABI runs here */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~0x40000000u), /* x32 shares these numbers */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 248 /* add_key */, 7, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 249 /* request_key */, 6, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 250 /* keyctl */, 5, 4),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)), /* i386 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 286 /* add_key */, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 287 /* request_key */, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 288 /* keyctl */, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    };
    struct sock_fprog program = {(unsigned short) (sizeof filter / sizeof filter[0]), filter};
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) < 0) fail(EXIT_SANDBOX, "seccomp", NULL);
#endif
}

static void exec_program(const struct options *o) {
    for (int i = 0; i < N_FORWARDED; i++) signal(FORWARDED[i], SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (setsid() < 0) fail(EXIT_SANDBOX, "setsid", NULL);
    if (!o->keep_stdin) {
        int null = open("/dev/null", O_RDONLY);
        if (null < 0 || dup2(null, 0) < 0) fail(EXIT_SANDBOX, "stdin", NULL);
        if (null > 0) close(null);
    }
    /* before the switch: the service's own directory may lie below directories only root may pass */
    if (o->dir && chdir(o->dir) < 0) fail(EXIT_SANDBOX, "chdir", o->dir);
    if (o->gid >= 0) {
        if (setgroups(0, NULL) < 0) fail(EXIT_SANDBOX, "setgroups", NULL);
        if (setresgid(o->gid, o->gid, o->gid) < 0) fail(EXIT_SANDBOX, "setgid", NULL);
    }
    if (o->uid >= 0 && setresuid(o->uid, o->uid, o->uid) < 0) fail(EXIT_SANDBOX, "setuid", NULL);
    /* armed after the switch, which clears it: no PID namespace takes this one along when its parent dies */
    if ((o->unprivileged || o->enter >= 0) && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        fail(EXIT_SANDBOX, "parent death signal", NULL);
    /* a relay killed before that was armed: nothing would take this program along (with --enter, the service's PID
       namespace still does, and the relay, outside it, has no pid here to compare) */
    if (o->unprivileged && getppid() != spawner) _exit(EXIT_SANDBOX);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(EXIT_SANDBOX, "no_new_privs", NULL);
    if (!o->unprivileged && o->uid > 0) deny_keyrings(); /* a task's uid; a root one the operator trusts keeps them */
    execve(o->argv[0], o->argv, o->envp);
    if (errno == ENOENT && o->tmp && under_shared_tmp(o->argv[0])) {
        fprintf(stderr, "berth-launch: exec %s: not found: a service's /tmp, /var/tmp and /run/lock are its task's "
                        "own, not the host's (bring a program there as a task input, or keep it elsewhere)\n",
                o->argv[0]);
        _exit(EXIT_EXEC);
    }
    fail(EXIT_EXEC, "exec", o->argv[0]);
}

struct spawn {
    const struct options *o;
    int log, join;
};

static int program_main(void *arg) {
    const struct spawn *s = arg;
    if (s->log >= 0 && (dup2(s->log, 1) < 0 || dup2(s->log, 2) < 0)) fail(EXIT_SANDBOX, "log pipe", NULL);
    if (s->join) join_cgroups(s->o);
    exec_program(s->o);
    return EXIT_EXEC;
}

/*
 * Starts the program as posix_spawn does: the child borrows this process's memory (and a stack of its own) until its
 * exec, while this process waits. A fork would copy the page tables only for the exec to throw them away, and on a
 * virtual machine that copy, the copy-on-write faults and TLB flushes it causes and the teardown cost more than the
 * rest of a launch. Safe to share: the child only makes system calls, leaves through _exit or exec, takes no
 * signal handler (each is reset before signals are unblocked), and once it switched to the task's uid its memory is
 * not dumpable, so no process of the task can trace or write it. With `log` >= 0 its output goes there; with `join`
 * it joins the service's cgroups.
 */
static pid_t spawn_program(const struct options *o, int log, int join) {
    static char stack[64 << 10] __attribute__((aligned(16)));
    struct spawn s = {o, log, join};
    spawner = getpid();
    pid_t child = clone(program_main, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &s);
    if (child < 0) fail(EXIT_SANDBOX, "spawn", NULL);
    return child;
}

/* Blocks the forwarded signals and SIGCHLD, which `set` then holds: a signal that came early waits for the program. */
static void block_supervised(sigset_t *set) {
    sigemptyset(set);
    for (int i = 0; i < N_FORWARDED; i++) sigaddset(set, FORWARDED[i]);
    sigaddset(set, SIGCHLD);
    sigprocmask(SIG_BLOCK, set, NULL);
}

/* A forwarded signal, to the program's process group (to the program alone before its setsid forms the group). */
static void pass_on(pid_t program, int sig) {
    if (kill(-program, sig) < 0) kill(program, sig);
}

/* Reaps every child that exited, as init does; true when the program was one of them, with its wait status. */
static int reaped(pid_t program, int *status) {
    int s;
    pid_t pid;
    while ((pid = waitpid(-1, &s, WNOHANG)) > 0) {
        if (pid == program) {
            *status = s;
            return 1;
        }
    }
    return 0;
}

/*
 * Runs the program and waits for it, passing on forwarded signals to its process group; reaps every other
 * child meanwhile (as init does). Returns the program's exit code. Signals are taken synchronously.
 */
static int supervise(const struct options *o) {
    sigset_t wanted;
    block_supervised(&wanted);
    pid_t program = spawn_program(o, -1, 0);
    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&wanted, &info);
        int status;
        if (sig < 0) continue;
        if (sig != SIGCHLD) {
            pass_on(program, sig);
        } else if (reaped(program, &status)) {
            if (o->unprivileged) kill(-program, SIGKILL); /* no PID namespace to take the rest along */
            return status_code(status);
        }
    }
}

static char host_pid_max[32];

static void read_host_pid_max(void) {
    int fd = open("/proc/sys/kernel/pid_max", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, host_pid_max, sizeof host_pid_max - 1);
    host_pid_max[n > 0 ? n : 0] = 0;
    close(fd);
}

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/*
 * The service's own cgroups in place of the host's cgroup file systems under --cgroup-view ROOT: there it could list
 * every other task's services (a hash of the task, the service's name) and read their counters. Its own limits stay
 * where a program sizing itself looks for them: with one hierarchy mounted at ROOT (pure v2) its cgroup is ROOT;
 * otherwise ROOT becomes an empty directory with each of its cgroups at the place of its hierarchy (ROOT/pids, ...).
 */
struct cgroup_view {
    int wanted;            /* --cgroup-view and cgroups to show */
    int held[MAX_CGROUPS]; /* the service's cgroups, held open: once ROOT is covered, their paths lead nowhere */
    int one_hierarchy;     /* ROOT is one hierarchy's mount point */
};

/* Bind-mounts what `fd` (held open, O_PATH) is at `target`: by descriptor, as a path to it may be covered by now. */
static void bind_held(int fd, const char *target, const char *what) {
    char source[32];
    snprintf(source, sizeof source, "/proc/self/fd/%d", fd);
    if (mount(source, target, NULL, MS_BIND, NULL) < 0) fail(EXIT_SANDBOX, what, target);
}

/* Looks at the host's cgroups before anything covers them (a /sys of the sandbox's own, the view). */
static void look_at_cgroups(const struct options *o, struct cgroup_view *v) {
    v->wanted = o->cgroup_view && o->n_cgroups > 0;
    if (!v->wanted) return;
    const char *root = o->cgroup_view;
    size_t n = strlen(root);
    for (int i = 0; i < o->n_cgroups; i++) {
        if (strncmp(o->cgroups[i], root, n) || o->cgroups[i][n] != '/') usage("a --cgroup outside --cgroup-view");
        v->held[i] = open(o->cgroups[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (v->held[i] < 0) fail(EXIT_SANDBOX, "open", o->cgroups[i]);
    }
    struct statfs fs;
    if (statfs(root, &fs) < 0) fail(EXIT_SANDBOX, "statfs", root);
    v->one_hierarchy = fs.f_type == (typeof(fs.f_type)) CGROUP2_SUPER_MAGIC
            || fs.f_type == (typeof(fs.f_type)) CGROUP_SUPER_MAGIC;
    if (v->one_hierarchy && o->n_cgroups != 1) usage("several --cgroup in the one hierarchy at --cgroup-view");
}

static void make_cgroup_view(const struct options *o, const struct cgroup_view *v) {
    if (!v->wanted) return;
    const char *root = o->cgroup_view;
    size_t n = strlen(root);
    if (!v->one_hierarchy && mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=4k") < 0)
        fail(EXIT_SANDBOX, "mount tmpfs over", root);
    for (int i = 0; i < o->n_cgroups; i++) {
        char target[4096];
        if (v->one_hierarchy) {
            snprintf(target, sizeof target, "%s", root);
        } else { /* ROOT/HIERARCHY: the first name below ROOT in the cgroup's path */
            const char *name = o->cgroups[i] + n + 1;
            snprintf(target, sizeof target, "%s/%.*s", root, (int) strcspn(name, "/"), name);
            if (mkdir(target, 0755) < 0 && errno != EEXIST) fail(EXIT_SANDBOX, "mkdir", target);
        }
        bind_held(v->held[i], target, "bind the service's cgroup at");
        close(v->held[i]);
    }
}

/* Where the agent binds network namespaces: every live task's, each a mount there. */
#define NETNS_DIR "/run/netns"

/*
 * The sandbox's copy of the host's mounts holds a bind of every live task's network namespace: its service could list
 * them, and each copy kept those namespaces alive until the service ended, long after their tasks had. They are
 * detached (which only a private copy may do: in a shared one the unmount would reach the host's), and an empty,
 * read-only directory takes their place.
 */
static void hide_network_namespaces(void) {
    if (umount2(NETNS_DIR, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        fail(EXIT_SANDBOX, "detach", NETNS_DIR);
    if (mount("tmpfs", NETNS_DIR, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=4k") < 0
            && errno != ENOENT)
        fail(EXIT_SANDBOX, "mount tmpfs over", NETNS_DIR);
}

/* The sandbox's mounts, made by pid 1 of its new PID and mount namespaces. */
static void make_mounts(const struct options *o) {
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) fail(EXIT_SANDBOX, "make mounts private", NULL);
    hide_network_namespaces();
    struct cgroup_view view;
    look_at_cgroups(o, &view);
    /* a /sys of its network namespace's (one of its own: in the host's the host's /sys is what it shows): the host's
       listed the host's network interfaces and their traffic counters */
    if (o->netns && mount("sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        fail(EXIT_SANDBOX, "mount /sys", NULL);
    for (int i = 0; i < o->n_binds; i++) { /* task inputs, where the service expects them */
        if (mount(o->bind_sources[i], o->bind_targets[i], NULL, MS_BIND | MS_REC, NULL) < 0)
            fail(EXIT_SANDBOX, "bind input", o->bind_sources[i]);
    }
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) fail(EXIT_SANDBOX, "mount /proc", NULL);
    /* a new PID namespace may start with a pid_max of its own (Linux 6.14+): keep the host's, so what the service reads
       there (a limit it passes on to a container engine, say) is what the host grants */
    if (host_pid_max[0]) {
        int fd = open("/proc/sys/kernel/pid_max", O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            if (write(fd, host_pid_max, strlen(host_pid_max)) < 0) { /* an older kernel's is the host's anyway */ }
            close(fd);
        }
    }
    if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
        fail(EXIT_SANDBOX, "mount /dev/shm", NULL);
    make_cgroup_view(o, &view);
    if (o->passwd && mount(o->passwd, "/etc/passwd", NULL, MS_BIND, NULL) < 0) fail(EXIT_SANDBOX, "bind", o->passwd);
    if (o->group && mount(o->group, "/etc/group", NULL, MS_BIND, NULL) < 0) fail(EXIT_SANDBOX, "bind", o->group);
    /* the task's own temporary directory over the host's shared, world-writable ones: there a service could read
       what another task's left readable, plant files, links and sockets for it to open, and leave its own behind
       for the next holder of its uid */
    if (!o->tmp) return;
    /* held open: once the first is covered, a path to it may lead into the task's directory instead */
    int tmp = open(o->tmp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (tmp < 0) fail(EXIT_SANDBOX, "open", o->tmp);
    for (int i = 0; i < N_SHARED_TMP; i++) {
        if (i > 0 && access(SHARED_TMP[i], F_OK) < 0) continue; /* a host without it: nothing to cover */
        bind_held(tmp, SHARED_TMP[i], "bind the task's temporary directory over");
    }
    close(tmp);
}

/* pid 1 of the service's PID namespace under a relay outside it: dies with the relay, joins the cgroups, makes the
   mounts, supervises. */
static int init_main(const struct options *o, int relay_gone) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) fail(EXIT_SANDBOX, "parent death signal", NULL);
    struct pollfd p = {relay_gone, POLLIN, 0};
    if (poll(&p, 1, 0) > 0) _exit(EXIT_SANDBOX); /* the relay died before the death signal was armed */
    join_cgroups(o);
    close_cgroups(o);
    make_mounts(o);
    close(relay_gone);
    return supervise(o);
}

static void enter_namespace(pid_t pid, const char *type, int flag) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/%s", (int) pid, type);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(EXIT_SANDBOX, "open", path);
    if (setns(fd, flag) < 0) fail(EXIT_SANDBOX, "enter", path);
    close(fd);
}

/* The init of the service whose relay is `relay`: the relay's only child. */
/* The pid 1 of the sandbox whose relay is `relay`: the relay itself when the launch server cloned it into the
   sandbox's namespaces (its NSpid ends in 1), else its one child (a relay outside, an init inside). */
static pid_t init_of(long relay) {
    char status[64], line[256];
    snprintf(status, sizeof status, "/proc/%ld/status", relay);
    FILE *st = fopen(status, "re");
    if (st) {
        while (fgets(line, sizeof line, st)) {
            if (strncmp(line, "NSpid:", 6)) continue;
            char *last = strrchr(line, '\t');
            if (last && atol(last + 1) == 1 && strchr(line + 6, '\t') != last) {
                fclose(st);
                return (pid_t) relay;
            }
            break;
        }
        fclose(st);
    }
    return child_of(relay);
}

static pid_t child_of(long relay) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", relay, relay);
    FILE *f = fopen(path, "re");
    if (!f) fail(EXIT_SANDBOX, "open", path);
    long init = -1;
    if (fscanf(f, "%ld", &init) != 1) {
        errno = ESRCH;
        fail(EXIT_SANDBOX, "the service has no sandbox any more:", path);
    }
    fclose(f);
    return (pid_t) init;
}

static volatile pid_t relayed;

static void relay_signal(int sig) {
    if (relayed > 0) kill(relayed, sig);
}

/* Holds the forwarded signals from before the fork until the relay passes them on: none is lost, none kills it. */
static void block_forwarded(int how) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < N_FORWARDED; i++) sigaddset(&set, FORWARDED[i]);
    sigprocmask(how, &set, NULL);
}

static void write_all(const char *buf, size_t n) {
    while (n > 0) {
        ssize_t w = write(1, buf, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return; /* the log is gone: nothing to do but drop */
        buf += w;
        n -= (size_t) w;
    }
}

/* On a line of its own: after `last`, the last byte the log got. */
static void note_dropped(long dropped, char last) {
    char note[128];
    int len = snprintf(note, sizeof note, "%s[berth: %ld bytes of output dropped: the log was at its cap]\n",
                       last == '\n' || last == 0 ? "" : "\n", dropped);
    write_all(note, (size_t) len);
}

static long log_dropped;
static char log_last;

/* Reads once from the service's output into the log, never growing the file past `limit`; returns what read()
   returned. */
static ssize_t copy_log_chunk(int from, long limit) {
    static char buf[65536];
    ssize_t n = read(from, buf, sizeof buf);
    if (n <= 0) return n;
    struct stat st;
    long size = fstat(1, &st) == 0 ? (long) st.st_size : 0;
    if (size + n > limit) {
        log_dropped += n; /* until the agent rotates the log */
        return n;
    }
    if (log_dropped > 0) {
        note_dropped(log_dropped, log_last);
        log_dropped = 0;
    }
    write_all(buf, (size_t) n);
    log_last = buf[n - 1];
    return n;
}

static void copy_log_end(int from) {
    if (log_dropped > 0) note_dropped(log_dropped, log_last);
    log_dropped = 0;
    close(from);
}

/* Copies the service's output to the log until every writer is gone, never growing the file past `limit`. */
static void copy_log(int from, long limit) {
    for (;;) {
        ssize_t n = copy_log_chunk(from, limit);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
    }
    copy_log_end(from);
}

/* Forks the program in the service's cgroups, its output into a pipe whose read end it leaves in `log_out` (-1
   without a log limit: the output then goes where this process's goes). */
static pid_t fork_program(const struct options *o, int *log_out) {
    int log[2] = {-1, -1};
    if (o->log_limit >= 0 && pipe2(log, O_CLOEXEC) < 0) fail(EXIT_SANDBOX, "pipe", NULL);
    pid_t child = spawn_program(o, log[1], 1);
    if (log[1] >= 0) close(log[1]);
    *log_out = log[0];
    return child;
}

/*
 * Relay and init in one process, which the launch server cloned into new PID and mount namespaces (it is their pid
 * 1): one process less per service than a relay outside and an init inside. Makes the mounts, runs the program
 * (only the program joins the service's cgroups), passes forwarded signals to its process group, reaps every
 * orphan, copies the program's output to the log within its cap, and exits with the program's status once it
 * exits — which makes the kernel kill whatever else runs in the namespace.
 */
static int relay_as_init(const struct options *o) {
    if (o->netns && !o->born_in_netns) enter_netns(o->netns);
    make_mounts(o);
    sigset_t wanted;
    block_supervised(&wanted);
    int signals = signalfd(-1, &wanted, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signals < 0) fail(EXIT_SANDBOX, "signalfd", NULL);
    int log;
    pid_t program = fork_program(o, &log);
    close_cgroups(o);
    for (;;) {
        struct pollfd p[2] = {{signals, POLLIN, 0}, {log, POLLIN, 0}};
        if (poll(p, log >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR) continue;
            fail(EXIT_SANDBOX, "poll", NULL);
        }
        if (log >= 0 && p[1].revents) {
            ssize_t n = copy_log_chunk(log, o->log_limit);
            if (n == 0 || (n < 0 && errno != EINTR)) {
                copy_log_end(log);
                log = -1;
            }
        }
        if (!p[0].revents) continue;
        struct signalfd_siginfo info;
        while (read(signals, &info, sizeof info) == (ssize_t) sizeof info) {
            int sig = (int) info.ssi_signo;
            int status;
            if (sig != SIGCHLD) {
                pass_on(program, sig);
            } else if (reaped(program, &status)) {
                if (log >= 0) { /* what the program wrote last; writers it left behind die with this process */
                    fcntl(log, F_SETFL, O_NONBLOCK);
                    while (copy_log_chunk(log, o->log_limit) > 0) {}
                    copy_log_end(log);
                }
                return status_code(status);
            }
        }
    }
}

/* Outside the PID namespace: the pid the agent knows. Passes signals to init and exits with its status. */
static int relay(pid_t init, int log_pipe, long log_limit) {
    relayed = init;
    for (int i = 0; i < N_FORWARDED; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = relay_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(FORWARDED[i], &sa, NULL);
    }
    block_forwarded(SIG_UNBLOCK);
    if (log_pipe >= 0) copy_log(log_pipe, log_limit);
    int status;
    while (waitpid(init, &status, 0) < 0) {
        if (errno != EINTR) fail(EXIT_SANDBOX, "wait", NULL);
    }
    return status_code(status);
}

/* The parent this process was started by: the launch server (seen through a pidfd, as a relay born pid 1 of its own
   PID namespace sees no parent pid) or whoever ran it. */
static int server_pidfd = -1;
static pid_t first_parent;

/* Whether the parent died, perhaps before this process armed its death signal. */
static int parent_gone(void) {
    if (server_pidfd < 0) return getppid() != first_parent;
    struct pollfd p = {server_pidfd, POLLIN, 0};
    return poll(&p, 1, 0) > 0;
}

/* The service (or, with --enter, a program in a service's sandbox) once its environment is known: this process
   becomes its relay. Returns the relay's exit status. */
static int launch(struct options *o) {
    if (!o->argv || !o->argv[0] || o->argv[0][0] != '/') usage("an absolute PROGRAM path is required after --");
    if (o->stdin_file) { /* a prototype's request */
        int fd = open(o->stdin_file, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || dup2(fd, 0) < 0) fail(EXIT_SANDBOX, "open", o->stdin_file);
        close(fd);
        o->keep_stdin = 1;
    }
    if (o->log) {
        int fd = open(o->log, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) fail(EXIT_SANDBOX, "open log", o->log);
        close(fd);
    }
    /* a session of its own: a terminal's Ctrl-C to the agent's process group (berth run in the foreground) must not
       reach the service; the agent decides how it stops */
    setsid();
    if (o->die_with_parent) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) fail(EXIT_SANDBOX, "parent death signal", NULL);
        if (parent_gone()) _exit(EXIT_SANDBOX);
    }
    if (o->unprivileged) return supervise(o);
    open_cgroups(o);
    block_forwarded(SIG_BLOCK);
    if (o->enter >= 0) {
        pid_t init = init_of(o->enter);
        enter_namespace(init, "net", CLONE_NEWNET);
        enter_namespace(init, "ipc", CLONE_NEWIPC);
        enter_namespace(init, "pid", CLONE_NEWPID);
        enter_namespace(init, "mnt", CLONE_NEWNS);
        int log;
        pid_t child = fork_program(o, &log);
        close_cgroups(o);
        return relay(child, log, o->log_limit);
    }
    if (getpid() == 1) return relay_as_init(o); /* the launch server cloned this process into its namespaces */
    if (o->netns) enter_netns(o->netns);
    read_host_pid_max();
    if (unshare(SANDBOX_NAMESPACES) < 0) fail(EXIT_SANDBOX, "unshare PID, mount and IPC namespaces", NULL);
    int gone[2], log[2] = {-1, -1};
    if (pipe2(gone, O_CLOEXEC) < 0) fail(EXIT_SANDBOX, "pipe", NULL);
    if (o->log_limit >= 0 && pipe2(log, O_CLOEXEC) < 0) fail(EXIT_SANDBOX, "pipe", NULL);
    pid_t init = fork();
    if (init < 0) fail(EXIT_SANDBOX, "fork", NULL);
    if (init == 0) {
        close(gone[1]);
        if (log[1] >= 0) {
            close(log[0]);
            if (dup2(log[1], 1) < 0 || dup2(log[1], 2) < 0) fail(EXIT_SANDBOX, "log pipe", NULL);
            close(log[1]);
        }
        _exit(init_main(o, gone[0]));
    }
    close(gone[0]);
    if (log[1] >= 0) close(log[1]);
    close_cgroups(o);
    return relay(init, log[0], o->log_limit);
}

/* ---- --serve ------------------------------------------------------------------------------------------------- */

static pid_t *children; /* started and not yet reaped: the only pids `signal` may reach (none can be reused yet) */
static size_t n_children, cap_children;

static void add_child(pid_t pid) {
    if (n_children == cap_children) {
        cap_children = cap_children ? 2 * cap_children : 64;
        children = realloc(children, cap_children * sizeof *children);
        if (!children) fail(1, "realloc", NULL);
    }
    children[n_children++] = pid;
}

static int remove_child(pid_t pid) {
    for (size_t i = 0; i < n_children; i++) {
        if (children[i] == pid) {
            children[i] = children[--n_children];
            return 1;
        }
    }
    return 0;
}

static int is_child(pid_t pid) {
    for (size_t i = 0; i < n_children; i++) if (children[i] == pid) return 1;
    return 0;
}

static char in_buf[65536];
static size_t in_pos, in_len;

static int in_byte(void) {
    if (in_pos == in_len) {
        ssize_t r;
        do r = read(0, in_buf, sizeof in_buf); while (r < 0 && errno == EINTR);
        if (r <= 0) return -1;
        in_pos = 0;
        in_len = (size_t) r;
    }
    return (unsigned char) in_buf[in_pos++];
}

static int in_exact(char *to, size_t n) {
    while (n > 0) {
        if (in_pos == in_len) {
            int c = in_byte();
            if (c < 0) return -1;
            *to++ = (char) c;
            n--;
            continue;
        }
        size_t k = in_len - in_pos < n ? in_len - in_pos : n;
        memcpy(to, in_buf + in_pos, k);
        in_pos += k;
        to += k;
        n -= k;
    }
    return 0;
}

static void reply(long id, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void reply(long id, const char *format, ...) {
    char line[1024];
    int n = snprintf(line, sizeof line, "%ld ", id);
    va_list args;
    va_start(args, format);
    n += vsnprintf(line + n, sizeof line - n - 1, format, args);
    va_end(args);
    if (n > (int) sizeof line - 2) n = (int) sizeof line - 2;
    for (int i = 0; i < n; i++) if (line[i] == '\n') line[i] = ' ';
    line[n++] = '\n';
    write_all(line, (size_t) n);
}

static void reap(void) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (remove_child(pid)) reply(0, "exit %d %d", (int) pid, status_code(status));
    }
}

/* A forked child of the server becomes the relay of one service: the server's descriptors and signal state go. */
static void start_child(char **argv, int argc, char **env, int signals, int home_netns) {
    close(signals);
    close(home_netns);
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int null = open("/dev/null", O_RDWR);
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0) _exit(EXIT_SANDBOX);
    if (null > 1) close(null);
    if (chdir("/") < 0) _exit(EXIT_SANDBOX);
    struct options o;
    parse(argc, argv, &o);
    o.envp = env;
    o.born_in_netns = getpid() == 1; /* clone_sandbox made it, in its network namespace */
    _exit(launch(&o));
}

/* Where a start's OPTION is among its arguments (before the program's "--"), or -1: the server looks at a start's
   arguments without parse(), which ends the process at a malformed one. */
static long option_at(char **argv, long argc, const char *option) {
    for (long i = 0; i < argc && strcmp(argv[i], "--"); i++) {
        if (!strcmp(argv[i], option)) return i;
    }
    return -1;
}

/* Whether a start's arguments make a sandbox (neither --enter nor --unprivileged). */
static int makes_sandbox(char **argv, long argc) {
    return option_at(argv, argc, "--enter") < 0 && option_at(argv, argc, "--unprivileged") < 0;
}

/* Clones a sandbox's relay, born in its network namespace (NETNS, if not NULL) as well as in new PID, mount and IPC
   namespaces: the pid the agent is answered with speaks for the service's network from the first instant, so a port
   probe reading /proc/PID/net never reads the host's (which the relay was in until it had entered its own). */
static pid_t clone_sandbox(const char *netns, int home_netns) {
    if (netns && try_enter_netns(netns) < 0) return -1;
    pid_t pid = (pid_t) syscall(SYS_clone, SIGCHLD | SANDBOX_NAMESPACES, NULL, NULL, NULL, NULL);
    int clone_errno = errno;
    if (pid != 0 && netns && setns(home_netns, CLONE_NEWNET) < 0)
        fail(1, "return to the agent's network namespace", NULL);
    errno = clone_errno;
    if (pid < 0) failed("clone", NULL);
    return pid;
}

static void handle(long id, const char *verb, char **f, size_t n, int signals, int home_netns) {
    if (!strcmp(verb, "start")) {
        char *end;
        long argc = n > 0 ? strtol(f[0], &end, 10) : -1;
        if (argc < 1 || (size_t) argc >= n || *end) { reply(id, "error malformed start"); return; }
        char **argv = calloc((size_t) argc + 2, sizeof *argv);
        if (!argv) { reply(id, "error out of memory"); return; }
        argv[0] = "berth-launch";
        memcpy(argv + 1, f + 1, (size_t) argc * sizeof *argv);
        char **env = f + 1 + argc; /* f is NULL-terminated */
        /* a sandbox's relay is born as pid 1 of its new PID and mount namespaces: it is the sandbox's init too */
        char **args = argv + 1;
        int sandbox = makes_sandbox(args, argc);
        long netns = option_at(args, argc, "--netns");
        pid_t pid = sandbox ? clone_sandbox(netns >= 0 && netns + 1 < argc ? args[netns + 1] : NULL, home_netns)
                : fork();
        if (pid == 0) start_child(argv, (int) argc + 1, env, signals, home_netns);
        free(argv);
        if (pid < 0 && sandbox) { reply(id, "error %s", reason); return; }
        if (pid < 0) { reply(id, "error fork: %s", strerror(errno)); return; }
        add_child(pid);
        reply(id, "ok %d", (int) pid);
    } else if (!strcmp(verb, "signal") && n == 2) {
        pid_t pid = (pid_t) atol(f[0]);
        if (pid <= 0 || !is_child(pid)) { reply(id, "error no running service with pid %s", f[0]); return; }
        if (kill(pid, atoi(f[1])) < 0) reply(id, "error kill: %s", strerror(errno));
        else reply(id, "ok");
    } else if (!strcmp(verb, "netns-add") && (n == 1 || n == 2)) {
        int r = make_netns(f[0], n == 2 ? f[1] : NULL);
        if (setns(home_netns, CLONE_NEWNET) < 0) fail(1, "return to the agent's network namespace", NULL);
        if (r < 0) reply(id, "error %s", reason);
        else reply(id, "ok");
    } else if (!strcmp(verb, "netns-del") && n == 1) {
        if (remove_netns(f[0]) < 0) reply(id, "error %s", reason);
        else reply(id, "ok");
    } else {
        reply(id, "error unknown request %s", verb);
    }
}

static int serve(void) {
    read_host_pid_max(); /* here, in the host's PID namespace, for every sandbox to keep */
    /* orphans of the relays come here, not to the host's init, and are reaped at once: a process that entered a
       sandbox (a probe, a prototype's down) and lost its relay would otherwise hold the sandbox's init, which waits
       for every process of its PID namespace to be reaped, until the host's init got round to it */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) fail(1, "child subreaper", NULL);
    server_pidfd = (int) syscall(SYS_pidfd_open, getpid(), 0); /* readable once this server has exited */
    if (server_pidfd < 0) fail(1, "pidfd_open", NULL);
    signal(SIGPIPE, SIG_IGN); /* the agent gone: write fails, the next read ends the loop */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int signals = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signals < 0) fail(1, "signalfd", NULL);
    int home_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home_netns < 0) fail(1, "open", "/proc/self/ns/net");
    for (;;) {
        struct pollfd p[2] = {{0, POLLIN, 0}, {signals, POLLIN, 0}};
        if (poll(p, 2, in_pos < in_len ? 0 : -1) < 0 && errno != EINTR) fail(1, "poll", NULL);
        if (p[1].revents) {
            struct signalfd_siginfo info;
            while (read(signals, &info, sizeof info) > 0) {}
            reap();
        }
        if (in_pos == in_len && !p[0].revents) continue;
        char header[128];
        size_t h = 0;
        int c;
        while ((c = in_byte()) >= 0 && c != '\n' && h < sizeof header - 1) header[h++] = (char) c;
        if (c < 0) return 0; /* the agent is gone */
        header[h] = 0;
        long id, length;
        char verb[32];
        if (sscanf(header, "%ld %31s %ld", &id, verb, &length) != 3 || length < 0 || length > MAX_ENV_BYTES)
            fail(1, "malformed request", header);
        char *payload = malloc((size_t) length + 1);
        if (!payload || in_exact(payload, (size_t) length) < 0) return 0;
        payload[length] = 0;
        size_t n = 0;
        for (long k = 0; k < length; k++) if (payload[k] == 0) n++;
        char **f = calloc(n + 1, sizeof *f);
        if (!f) fail(1, "calloc", NULL);
        size_t i = 0;
        for (long k = 0; k < length && i < n; k += (long) strlen(payload + k) + 1) f[i++] = payload + k;
        handle(id, verb, f, n, signals, home_netns);
        free(f);
        free(payload);
    }
}

int main(int argc, char **argv) {
    first_parent = getppid();
    struct options o;
    parse(argc, argv, &o);
    if (o.serve) return serve();
    if (o.netns_add) return netns_add(&o);
    if (o.netns_del) return netns_del(&o);
    o.envp = read_environment();
    return launch(&o);
}
