/* The pppd-2.4.9-specific half of dialkit's pppd-side plugin: the only file that includes
 * pppd's headers. pppd 2.5 replaced add_notifier(&x_notifier, ...) with ppp_add_notify()
 * and renamed the globals; supporting it means a sibling of this file, nothing else. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Debian builds pppd with IPv6 support; its eui64.h insists on being told. */
#define INET6 1
#include <pppd/pppd.h>
#include <pppd/fsm.h>
#include <pppd/ipcp.h>
#include <pppd/eui64.h>
#include <pppd/ipv6cp.h>

#include "channel.h"

/* The two symbols pppd looks up; everything else stays hidden (exports.map as well). */
#define DK_EXPORT __attribute__((visibility("default")))

/* pppd refuses a plugin whose version string differs from its own ("2.4.9"). */
DK_EXPORT char pppd_version[] = VERSION;

static pid_t main_pid;

/* pppd hands a notifier the pointer it was added with: for these two, the verb of the line. */
static void on_number(void *verb, int number) { dk_report_number(verb, number); } /* PHASE, EXIT */
static void on_simple(void *verb, int x) { (void)x; dk_report_simple(verb); }

static void on_ip_up(void *opaque, int x)
{
    char local[INET_ADDRSTRLEN] = "-", remote[INET_ADDRSTRLEN] = "-";
    struct in_addr a;
    (void)opaque;
    (void)x;
    a.s_addr = ipcp_gotoptions[0].ouraddr; /* network byte order already */
    inet_ntop(AF_INET, &a, local, sizeof local);
    a.s_addr = ipcp_hisoptions[0].hisaddr;
    inet_ntop(AF_INET, &a, remote, sizeof remote);
    dk_report_up("IP_UP", ifname, local, remote);
}

static void link_local(char *out, size_t size, eui64_t id)
{
    snprintf(out, size, "fe80::%02x%02x:%02x%02x:%02x%02x:%02x%02x", id.e8[0], id.e8[1],
             id.e8[2], id.e8[3], id.e8[4], id.e8[5], id.e8[6], id.e8[7]);
}

static void on_ipv6_up(void *opaque, int x)
{
    char local[64], remote[64];
    (void)opaque;
    (void)x;
    link_local(local, sizeof local, ipv6cp_gotoptions[0].ourid);
    link_local(remote, sizeof remote, ipv6cp_hisoptions[0].hisid);
    dk_report_up("IPV6_UP", ifname, local, remote);
}

static void on_pidchange(void *opaque, int pid)
{
    (void)opaque;
    main_pid = pid; /* only with detaching, which the backend never asks for */
}

/* PAP: a NULL password buffer is pppd asking whether we could supply one. (Not named
 * passwd: that would shadow pppd's global of the name.) */
static int pap_passwd(char *u, char *password)
{
    int r;
    if (password == NULL)
        return 1;
    r = dk_request_secret("pap", u, password, MAXSECRETLEN);
    return r == 1 ? 1 : -1; /* -1: let pppd fall back to pap-secrets */
}

/* CHAP has no fallback after the hook, so do pppd's own secrets lookup ourselves. */
static int chap_passwd(char *u, char *secret)
{
    int len = 0;
    int r = dk_request_secret("chap", u, secret, MAXSECRETLEN);
    if (r == 1)
        return 0;
    if (r == 0 && get_secret(0, u, remote_name, secret, &len, 0) && len < MAXSECRETLEN) {
        secret[len] = '\0';
        return 0;
    }
    return -1;
}

/* Without it pppd thinks it has no CHAP secret for the peer and refuses CHAP. */
static int chap_check(void) { return 1; }

DK_EXPORT void plugin_init(void);
DK_EXPORT void plugin_init(void)
{
    main_pid = getpid();
    if (dk_channel_open(main_pid, VERSION) != 0) {
        /* Started by hand, not by dialkit: stay inert. */
        warn("dialkit-pppd: no DIALKIT_PPPD_FD; not reporting");
        return;
    }
    add_notifier(&pidchange, on_pidchange, NULL);
    add_notifier(&phasechange, on_number, "PHASE");
    add_notifier(&exitnotify, on_number, "EXIT");
    add_notifier(&auth_up_notifier, on_simple, "AUTH_UP");
    add_notifier(&link_down_notifier, on_simple, "LINK_DOWN");
    add_notifier(&ip_up_notifier, on_ip_up, NULL);
    add_notifier(&ip_down_notifier, on_simple, "IP_DOWN");
    add_notifier(&ipv6_up_notifier, on_ipv6_up, NULL);
    add_notifier(&ipv6_down_notifier, on_simple, "IPV6_DOWN");
    if (dk_channel_has_secrets()) {
        pap_passwd_hook = pap_passwd;
        chap_passwd_hook = chap_passwd;
        chap_check_hook = chap_check;
    }
}
