/* Report channel and wire protocol v1 (see backends/pppd/README.md, "Wire protocol").
 * Every report is one line written with one write(2), so lines never interleave. */
#include "channel.h"

#define _DEFAULT_SOURCE 1 /* explicit_bzero */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int channel_fd = -1;
static pid_t owner_pid;
static int has_secrets;
static unsigned secret_id;

/* Secrets wait at most this long for the backend: pppd is single-threaded and stalls
 * meanwhile, and a backend that went away must not hang the link forever. */
#define DK_SECRET_TIMEOUT_MS 10000

static int parse_fd(const char *text)
{
    char *end = NULL;
    long v;
    if (text == NULL || *text == '\0')
        return -1;
    errno = 0;
    v = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < 3 || v > 1024)
        return -1;
    return (int)v;
}

int dk_channel_open(pid_t main_pid, const char *pppd_version)
{
    char line[DK_MAX_LINE];
    int n;
    const char *s;

    owner_pid = main_pid;
    channel_fd = parse_fd(getenv("DIALKIT_PPPD_FD"));
    if (channel_fd < 0)
        return -1;
    /* pppd's own children (pty command, scripts) must not inherit the channel. */
    if (fcntl(channel_fd, F_SETFD, FD_CLOEXEC) < 0) {
        channel_fd = -1;
        return -1;
    }
    s = getenv("DIALKIT_PPPD_SECRETS");
    has_secrets = s != NULL && strcmp(s, "1") == 0;
    n = snprintf(line, sizeof line, "DKPPP %d %d %s\n", DK_PROTOCOL_VERSION, (int)main_pid,
                 pppd_version);
    if (n > 0 && n < (int)sizeof line)
        (void)!write(channel_fd, line, (size_t)n);
    return 0;
}

int dk_channel_active(void)
{
    return channel_fd >= 0 && getpid() == owner_pid;
}

int dk_channel_has_secrets(void)
{
    return has_secrets;
}

static void send_line(const char *line, int n)
{
    if (!dk_channel_active() || n <= 0 || n >= DK_MAX_LINE)
        return;
    /* MSG_NOSIGNAL: a backend that died must not kill pppd with SIGPIPE. */
    (void)send(channel_fd, line, (size_t)n, MSG_NOSIGNAL);
}

void dk_report_number(const char *verb, int number)
{
    char line[32];
    send_line(line, snprintf(line, sizeof line, "%s %d\n", verb, number));
}

void dk_report_simple(const char *verb)
{
    char line[32];
    send_line(line, snprintf(line, sizeof line, "%s\n", verb));
}

/* Interface names and addresses come from the kernel and pppd; anything that is not a
 * plain token is replaced, so a line always has exactly its fields. */
static void token(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    if (src == NULL || *src == '\0')
        src = "-";
    for (; src[i] != '\0' && i + 1 < size; ++i)
        dst[i] = (src[i] > ' ' && src[i] < 127) ? src[i] : '?';
    dst[i] = '\0';
}

void dk_report_up(const char *verb, const char *ifname, const char *local, const char *remote)
{
    char a[64], b[64], c[64], line[256];
    token(a, sizeof a, ifname);
    token(b, sizeof b, local);
    token(c, sizeof c, remote);
    send_line(line, snprintf(line, sizeof line, "%s %s %s %s\n", verb, a, b, c));
}

static void hex_encode(char *dst, const char *src, size_t max_src)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;
    for (i = 0; src[i] != '\0' && i < max_src; ++i) {
        dst[2 * i] = digits[(unsigned char)src[i] >> 4];
        dst[2 * i + 1] = digits[(unsigned char)src[i] & 15];
    }
    dst[2 * i] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Reads one reply line, a byte at a time so nothing after it is consumed. */
static int read_reply(char *buf, size_t size)
{
    size_t n = 0;
    while (n + 1 < size) {
        struct pollfd p = { channel_fd, POLLIN, 0 };
        char c;
        ssize_t r;
        int ready = poll(&p, 1, DK_SECRET_TIMEOUT_MS);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            return -1;
        r = read(channel_fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        if (c == '\n') {
            buf[n] = '\0';
            return 0;
        }
        buf[n++] = c;
    }
    return -1;
}

int dk_request_secret(const char *kind, const char *user, char *out, size_t size)
{
    char user_hex[2 * 200 + 1], line[DK_MAX_LINE], reply[DK_MAX_LINE + 8], expect[48];
    unsigned id;
    size_t i, len;
    const char *hex;
    int n;

    if (!dk_channel_active() || size == 0)
        return -1;
    id = ++secret_id;
    if (user == NULL || *user == '\0')
        strcpy(user_hex, "-");
    else
        hex_encode(user_hex, user, 200);
    n = snprintf(line, sizeof line, "SECRET? %u %s %s\n", id, kind, user_hex);
    if (n <= 0 || n >= (int)sizeof line)
        return -1;
    if (send(channel_fd, line, (size_t)n, MSG_NOSIGNAL) != n)
        return -1;
    if (read_reply(reply, sizeof reply) < 0)
        return -1;
    snprintf(expect, sizeof expect, "NOSECRET %u", id);
    if (strcmp(reply, expect) == 0)
        return 0;
    snprintf(expect, sizeof expect, "SECRET %u ", id);
    if (strncmp(reply, expect, strlen(expect)) != 0)
        return -1;
    hex = reply + strlen(expect);
    len = strlen(hex);
    if (len % 2 != 0 || len / 2 + 1 > size)
        return -1;
    for (i = 0; i < len / 2; ++i) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            explicit_bzero(out, size);
            return -1;
        }
        out[i] = (char)(hi * 16 + lo);
    }
    out[len / 2] = '\0';
    /* The reply held the secret in hex: do not leave it on the stack. */
    explicit_bzero(reply, sizeof reply);
    return 1;
}
