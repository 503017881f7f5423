/* floor: the least work an SSE fan-out server can do, the yardstick of Beacon's benchmarks.
 *
 * One thread and epoll. It listens on 127.0.0.1:PORT; a connection that sends a request head
 * (anything up to a blank line) gets a chunked text/event-stream response head and becomes a
 * subscriber. RATE times a second one event is framed once as an HTTP/1.1 chunk,
 *     id: N\nevent: bench\ndata: {"t":UNIX_SECONDS}\n\n
 * and written to every subscriber with one write() each. A subscriber whose socket cannot take
 * the whole event at once is dropped: the floor never buffers.
 *
 *     cc -O2 -o floor bench/peers/floor.c && ./floor 18081 5      (runs until SIGTERM or SIGINT)
 *
 * FLOOR_WORK_NS=N makes it spin N nanoseconds in user space before each write: a stand-in for a
 * server that does that much of its own work per subscriber, to see what such work costs in all.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 65536
static const char HEAD[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                           "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n";
static int subscribers[MAX_FDS], count;  /* the subscribers' descriptors, unordered */
static int slot[MAX_FDS];                /* fd -> index in subscribers + 1; 0: still reading its request */
static unsigned char matched[MAX_FDS];   /* how much of "\r\n\r\n" the request has ended with */
static volatile sig_atomic_t stopping;
static long work_ns;                     /* FLOOR_WORK_NS: user-space work before each write */

static long long monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000000000LL + now.tv_nsec;
}

static void on_signal(int number) { (void)number; stopping = 1; }

static void drop(int epoll, int fd) {
    if (slot[fd]) {  /* swap the last subscriber into this one's place */
        int index = slot[fd] - 1, last = subscribers[--count];
        subscribers[index] = last;
        slot[last] = index + 1;
        slot[fd] = 0;
    }
    matched[fd] = 0;
    epoll_ctl(epoll, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
}

static void broadcast(int epoll, unsigned long long id) {
    struct timespec now;
    char event[128], chunk[160];
    clock_gettime(CLOCK_REALTIME, &now);
    int size = snprintf(event, sizeof event, "id: %llu\nevent: bench\ndata: {\"t\":%lld.%06ld}\n\n", id,
                        (long long)now.tv_sec, now.tv_nsec / 1000);
    int length = snprintf(chunk, sizeof chunk, "%x\r\n%s\r\n", size, event);
    for (int i = count - 1; i >= 0; i--) {  /* backwards: a drop swaps in an already written one */
        int fd = subscribers[i];
        if (work_ns) for (long long until = monotonic_ns() + work_ns; monotonic_ns() < until;) {}
        if (write(fd, chunk, length) != length) drop(epoll, fd);
    }
}

static void readable(int epoll, int fd) {
    char buffer[4096];
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        drop(epoll, fd);
        return;
    }
    for (ssize_t i = 0; i < n && !slot[fd]; i++) {  /* after the head, whatever comes is ignored */
        char want = "\r\n\r\n"[matched[fd]];
        matched[fd] = buffer[i] == want ? matched[fd] + 1 : (buffer[i] == '\r' ? 1 : 0);
        if (matched[fd] < 4) continue;
        if (write(fd, HEAD, sizeof HEAD - 1) != (ssize_t)(sizeof HEAD - 1)) {
            drop(epoll, fd);
            return;
        }
        subscribers[count++] = fd;
        slot[fd] = count;
    }
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 0;
    double rate = argc > 2 ? atof(argv[2]) : 0;
    if (port <= 0 || port > 65535 || rate <= 0 || rate > 1000) {
        fprintf(stderr, "usage: floor PORT RATE   (RATE events per second, at most 1000)\n");
        return 2;
    }
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    work_ns = getenv("FLOOR_WORK_NS") ? atol(getenv("FLOOR_WORK_NS")) : 0;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), on = 1;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) || listen(listener, 4096)) {
        perror("floor: listen on 127.0.0.1");
        return 1;
    }
    int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    long period = (long)(1e9 / rate);
    struct itimerspec every = {{period / 1000000000, period % 1000000000}, {period / 1000000000, period % 1000000000}};
    timerfd_settime(timer, 0, &every, NULL);
    int epoll = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event add = {.events = EPOLLIN};
    add.data.fd = listener;
    epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &add);
    add.data.fd = timer;
    epoll_ctl(epoll, EPOLL_CTL_ADD, timer, &add);
    printf("floor: listening on http://127.0.0.1:%d, %g events/s\n", port, rate);
    fflush(stdout);

    unsigned long long id = 0;
    struct epoll_event ready[512];
    while (!stopping) {
        int n = epoll_wait(epoll, ready, 512, -1);
        for (int i = 0; i < n; i++) {
            int fd = ready[i].data.fd;
            if (fd == listener) {
                int client;
                while ((client = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    if (client >= MAX_FDS) { close(client); continue; }
                    add.data.fd = client;
                    epoll_ctl(epoll, EPOLL_CTL_ADD, client, &add);
                }
            } else if (fd == timer) {
                unsigned long long expirations;
                if (read(timer, &expirations, sizeof expirations) > 0) broadcast(epoll, ++id);
            } else {
                readable(epoll, fd);
            }
        }
    }
    return 0;
}
