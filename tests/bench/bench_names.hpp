// The names of the benchmarks whose figures the summary sets against their targets.
#pragma once

namespace dialkit::bench::names {

inline constexpr const char* bus_std_function = "bus/std_function_call";
inline constexpr const char* bus_signals2 = "bus/signals2_emit";
inline constexpr const char* bus_dialkit = "bus/dialkit_inline";
inline constexpr const char* dispatcher_latency = "dispatcher/native_thread_to_slot";
inline constexpr const char* mock_dials = "mock/dial_12_events_virtual_time";
inline constexpr const char* mock_crowd = "mock/dial_with_timeout_among_in_flight";
inline constexpr const char* memory_10k = "memory/idle_paused_connections_10k";
inline constexpr const char* memory_100k = "memory/idle_paused_connections_100k";
inline constexpr const char* plugins_scan = "plugins/scan_plugins";
inline constexpr const char* scheduler_virtual = "scheduler/virtual_post_cancel";
inline constexpr const char* scheduler_real = "scheduler/real_post_cancel";
inline constexpr const char* plugins_dlopen = "plugins/bare_dlopen_dlclose";

}  // namespace dialkit::bench::names
