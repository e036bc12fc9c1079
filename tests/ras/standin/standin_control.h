/* The stand-in rasapi32.dll's test-control exports, beside the RAS functions it emulates.
   Plain C types: a test resolves them with GetProcAddress from the loaded rasapi32.dll. */
#pragma once

#include <stdint.h>

struct StandinCounters {
  int dials;
  int resumes;
  int dials_from_notifier;
  int hangups;
  int notifications;
  int zero_returns;
  int suppressed;
  int eap_ui_calls;
  int live;
  char last_user[64];
  char last_password[64];
  char last_callback[64];
};

/* StandinGetCounters(out): fills `out`; returns 0x57414E44 ("stand-in") so a caller can tell it
   loaded the stand-in and not wine's builtin stub. */
#define STANDIN_MAGIC 0x57414E44u
typedef uint32_t (*StandinCountersFn)(struct StandinCounters* out);
typedef int (*StandinDropFn)(void* handle, uint32_t error);
typedef void* (*StandinExternalConnectFn)(const char* entry);
typedef int (*StandinExternalDisconnectFn)(void* handle);
typedef void (*StandinSetNotifyModeFn)(int mode); /* 0 working, 1 refused, 2 silent */
