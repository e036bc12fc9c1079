// The Win32 and RAS types the RAS backend's logic needs. On Windows they come from the SDK
// (MinGW's <windows.h>, <ras.h>, <raserror.h>). Elsewhere (the Linux build that runs the logic
// against a fake table, also under TSan) this file declares the few it uses, with the same
// names and values, so the logic compiles unchanged. It is the ONLY place that does either,
// and the only place that adds what MinGW's headers lack.
#pragma once

#include <cstdint>

#if defined(_WIN32)

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
// windows.h first: ras.h needs its types.
#include <ras.h>
#include <raserror.h>
// COM's `interface` macro (from windows.h) would turn SessionStatus::interface into `struct`.
#ifdef interface
#undef interface
#endif

#else  // not Windows: a portable subset, only what the logic and its fake use.

#include <cstddef>

#define WINAPI
using DWORD = std::uint32_t;
using UINT = unsigned int;
using ULONG_PTR = std::uintptr_t;
using WCHAR = char16_t;  // UTF-16, as on Windows (wchar_t is 32 bits here)
using LPWSTR = WCHAR*;
using LPCWSTR = const WCHAR*;
using LPVOID = void*;
using LPDWORD = DWORD*;
using HANDLE = void*;
using HWND = struct HWND__*;
using HRASCONN = struct HRASCONN__*;
using LPHRASCONN = HRASCONN*;
#define INVALID_HANDLE_VALUE (reinterpret_cast<HANDLE>(~std::uintptr_t{0}))

inline constexpr DWORD ERROR_SUCCESS = 0;
inline constexpr DWORD ERROR_INVALID_FUNCTION = 1;
inline constexpr DWORD ERROR_INVALID_HANDLE = 6;
inline constexpr DWORD ERROR_INVALID_PARAMETER = 87;
inline constexpr DWORD ERROR_INSUFFICIENT_BUFFER = 122;
inline constexpr DWORD ERROR_BUFFER_TOO_SMALL = 603;
inline constexpr DWORD ERROR_CANNOT_OPEN_PHONEBOOK = 621;
inline constexpr DWORD ERROR_CANNOT_FIND_PHONEBOOK_ENTRY = 623;
inline constexpr DWORD ERROR_INVALID_SIZE = 632;
inline constexpr DWORD ERROR_PORT_NOT_AVAILABLE = 633;
inline constexpr DWORD ERROR_PASSWD_EXPIRED = 648;
inline constexpr DWORD ERROR_REMOTE_DISCONNECTION = 629;
inline constexpr DWORD ERROR_LINE_BUSY = 676;
inline constexpr DWORD ERROR_NO_ANSWER = 678;
inline constexpr DWORD ERROR_AUTHENTICATION_FAILURE = 691;
inline constexpr DWORD ERROR_INTERACTIVE_MODE = 703;
inline constexpr DWORD ERROR_BAD_CALLBACK_NUMBER = 704;
inline constexpr DWORD ERROR_INVALID_AUTH_STATE = 705;
inline constexpr DWORD INFINITE = 0xFFFFFFFF;

inline constexpr std::size_t RAS_MaxEntryName = 256;
inline constexpr std::size_t RAS_MaxDeviceType = 16;
inline constexpr std::size_t RAS_MaxDeviceName = 128;
inline constexpr std::size_t RAS_MaxPhoneNumber = 128;
inline constexpr std::size_t RAS_MaxCallbackNumber = RAS_MaxPhoneNumber;
inline constexpr std::size_t UNLEN = 256;
inline constexpr std::size_t PWLEN = 256;
inline constexpr std::size_t DNLEN = 15;
inline constexpr std::size_t MAX_PATH = 260;

inline constexpr DWORD RDEOPT_PausedStates = 0x2;
inline constexpr DWORD RASCN_Connection = 0x1;
inline constexpr DWORD RASCN_Disconnection = 0x2;
inline constexpr UINT WM_RASDIALEVENT = 0xCCCD;

// Values as in ras.h (RASCS_ApplySettings is added below for both platforms).
enum RASCONNSTATE {
  RASCS_OpenPort = 0,
  RASCS_PortOpened,
  RASCS_ConnectDevice,
  RASCS_DeviceConnected,
  RASCS_AllDevicesConnected,
  RASCS_Authenticate,
  RASCS_AuthNotify,
  RASCS_AuthRetry,
  RASCS_AuthCallback,
  RASCS_AuthChangePassword,
  RASCS_AuthProject,
  RASCS_AuthLinkSpeed,
  RASCS_AuthAck,
  RASCS_ReAuthenticate,
  RASCS_Authenticated,
  RASCS_PrepareForCallback,
  RASCS_WaitForModemReset,
  RASCS_WaitForCallback,
  RASCS_Projected,
  RASCS_StartAuthentication,
  RASCS_CallbackComplete,
  RASCS_LogonNetwork,
  RASCS_SubEntryConnected,
  RASCS_SubEntryDisconnected,
  RASCS_Interactive = 0x1000,
  RASCS_RetryAuthentication,
  RASCS_CallbackSetByCaller,
  RASCS_PasswordExpired,
  RASCS_InvokeEapUI,
  RASCS_Connected = 0x2000,
  RASCS_Disconnected,
};

struct RASEAPINFO {
  DWORD dwSizeofEapInfo;
  unsigned char* pbEapInfo;
};
struct RASDIALEXTENSIONS {
  DWORD dwSize;
  DWORD dwfOptions;
  HWND hwndParent;
  ULONG_PTR reserved;
  ULONG_PTR reserved1;
  RASEAPINFO RasEapInfo;
};
struct RASDIALPARAMSW {
  DWORD dwSize;
  WCHAR szEntryName[RAS_MaxEntryName + 1];
  WCHAR szPhoneNumber[RAS_MaxPhoneNumber + 1];
  WCHAR szCallbackNumber[RAS_MaxCallbackNumber + 1];
  WCHAR szUserName[UNLEN + 1];
  WCHAR szPassword[PWLEN + 1];
  WCHAR szDomain[DNLEN + 1];
  DWORD dwSubEntry;
  ULONG_PTR dwCallbackId;
};
struct RASCONNSTATUSW {
  DWORD dwSize;
  RASCONNSTATE rasconnstate;
  DWORD dwError;
  WCHAR szDeviceType[RAS_MaxDeviceType + 1];
  WCHAR szDeviceName[RAS_MaxDeviceName + 1];
  WCHAR szPhoneNumber[RAS_MaxPhoneNumber + 1];
};
struct RASENTRYNAMEW {
  DWORD dwSize;
  WCHAR szEntryName[RAS_MaxEntryName + 1];
  DWORD dwFlags;
  WCHAR szPhonebookPath[MAX_PATH + 1];
};
struct RASCONNW {
  DWORD dwSize;
  HRASCONN hrasconn;
  WCHAR szEntryName[RAS_MaxEntryName + 1];
  WCHAR szDeviceType[RAS_MaxDeviceType + 1];
  WCHAR szDeviceName[RAS_MaxDeviceName + 1];
  WCHAR szPhonebook[MAX_PATH];
  DWORD dwSubEntry;
};
using LPRASDIALEXTENSIONS = RASDIALEXTENSIONS*;
using LPRASDIALPARAMSW = RASDIALPARAMSW*;
using LPRASCONNSTATUSW = RASCONNSTATUSW*;
using LPRASENTRYNAMEW = RASENTRYNAMEW*;
using LPRASCONNW = RASCONNW*;

#endif  // _WIN32

namespace dialkit::ras {

// What MinGW-w64 10's ras.h lacks (Windows 7+ SDK values), defined once for both platforms.
inline constexpr DWORD cs_apply_settings = 24;  // RASCS_ApplySettings

// The RasDialFunc2 notifier type (dwNotifierType 2).
using DialFunc2 = DWORD(WINAPI*)(ULONG_PTR callback_id, DWORD subentry, HRASCONN handle, UINT message,
                                 RASCONNSTATE state, DWORD error, DWORD extended_error);
inline constexpr DWORD notifier_type_func2 = 2;

// The text type of the W entry points: wchar_t on Windows, char16_t elsewhere; UTF-16 on both.
using WideChar = WCHAR;

}  // namespace dialkit::ras
