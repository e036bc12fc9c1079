/* The version-independent half of dialkit's pppd-side plugin: the report channel to the
 * dialkit backend (one inherited socket) and wire protocol version 1. Nothing here includes
 * pppd's headers, so a pppd with another plugin API (2.5) needs only a new glue file. */
#ifndef DIALKIT_PPPD_CHANNEL_H
#define DIALKIT_PPPD_CHANNEL_H

#include <stddef.h>
#include <sys/types.h>

#define DK_PROTOCOL_VERSION 1
/* Longest line either side sends, newline included; the backend refuses longer ones. */
#define DK_MAX_LINE 512

/* Reads DIALKIT_PPPD_FD; returns 0 if a channel is there. `main_pid` is pppd's own pid:
 * forked helpers (charshunt, scripts) inherit the plugin but must stay silent. */
int dk_channel_open(pid_t main_pid, const char *pppd_version);
int dk_channel_active(void);
/* Whether the backend hands out secrets (DIALKIT_PPPD_SECRETS=1): only then are the
 * password hooks installed, so without credentials pppd behaves as if we were not there. */
int dk_channel_has_secrets(void);

void dk_report_number(const char *verb, int number); /* PHASE, EXIT */
void dk_report_simple(const char *verb); /* AUTH_UP, LINK_DOWN, IP_DOWN, IPV6_DOWN */
void dk_report_up(const char *verb, const char *ifname, const char *local, const char *remote);

/* Asks the backend for the password of `user` ("pap" or "chap"). Writes at most `size`
 * bytes including the NUL into `out`. Returns 1 if a password came back, 0 if the backend
 * has none, -1 if the channel failed. */
int dk_request_secret(const char *kind, const char *user, char *out, size_t size);

#endif
