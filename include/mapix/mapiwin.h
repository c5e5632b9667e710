/*
 * mapiwin.h — the Windows base types MAPI is written in, with their Windows
 * sizes on Linux: BYTE 8, WORD 16, ULONG/LONG/BOOL/HRESULT/DWORD 32 bits (not
 * C long, which is 64 bits here), WCHAR 16 bits (UTF-16). Also the COM
 * calling macros (STDMETHOD, STDAPI), GUIDs and FILETIME.
 *
 * The one visible difference from Windows: wchar_t is 32 bits on Linux, so a
 * wide literal is written u"text" (or MAPIX_W("text")) where Windows code
 * writes L"text". Everything else keeps the Windows spelling.
 */
#ifndef MAPIX_MAPIWIN_H
#define MAPIX_MAPIWIN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <uchar.h>

#ifdef __cplusplus
#define MAPIX_EXTERN_C extern "C"
#define MAPIX_BEGIN_DECLS extern "C" {
#define MAPIX_END_DECLS }
#else
#define MAPIX_EXTERN_C extern
#define MAPIX_BEGIN_DECLS
#define MAPIX_END_DECLS
#endif

/* Symbols exported by libmapix.so. */
#define MAPIX_API __attribute__((visibility("default")))

/* ---- Base types with Windows sizes ------------------------------------ */
typedef uint8_t BYTE, *LPBYTE, *PBYTE;
typedef uint16_t WORD, *LPWORD;
typedef uint32_t DWORD, *LPDWORD;
typedef uint32_t ULONG, *LPULONG, *PULONG;
typedef int32_t LONG, *LPLONG;
typedef int32_t BOOL, *LPBOOL;
typedef uint32_t UINT;
typedef int32_t INT;
typedef int16_t SHORT;
typedef uint16_t USHORT;
typedef int64_t LONGLONG;
typedef uint64_t ULONGLONG, DWORDLONG;
typedef uintptr_t ULONG_PTR, UINT_PTR, DWORD_PTR, *PULONG_PTR;
typedef intptr_t LONG_PTR, INT_PTR;
typedef char CHAR;
typedef unsigned char UCHAR;
typedef char16_t WCHAR;
typedef CHAR *LPSTR;
typedef const CHAR *LPCSTR;
typedef WCHAR *LPWSTR;
typedef const WCHAR *LPCWSTR;
typedef void VOID, *LPVOID, *PVOID;
typedef const void *LPCVOID;
typedef int32_t HRESULT;
typedef int32_t SCODE;
typedef SCODE *LPSCODE;
typedef ULONG_PTR HWND; /* window handles exist only as placeholders */
typedef double DOUBLE;
typedef float FLOAT;
typedef uint32_t LCID;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

/* Wide literals: WCHAR is UTF-16, so use u"..." where Windows uses L"...". */
#define MAPIX_W(s) u##s

#ifdef UNICODE
typedef WCHAR TCHAR;
#define TEXT(s) u##s
#else
typedef char TCHAR;
#define TEXT(s) s
#endif
typedef TCHAR *LPTSTR;
typedef const TCHAR *LPCTSTR;
#ifndef _T
#define _T(s) TEXT(s)
#endif

/* ---- 64-bit integers and time ----------------------------------------- */
typedef union _LARGE_INTEGER {
	struct {
		DWORD LowPart;
		LONG HighPart;
	};
	struct {
		DWORD LowPart;
		LONG HighPart;
	} u;
	LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER, *LPLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
	struct {
		DWORD LowPart;
		DWORD HighPart;
	};
	struct {
		DWORD LowPart;
		DWORD HighPart;
	} u;
	ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER, *LPULARGE_INTEGER;

/* 100-nanosecond intervals since 1601-01-01 UTC. */
typedef struct _FILETIME {
	DWORD dwLowDateTime;
	DWORD dwHighDateTime;
} FILETIME, *PFILETIME, *LPFILETIME;

/* ---- GUIDs -------------------------------------------------------------- */
typedef struct _GUID {
	DWORD Data1;
	WORD Data2;
	WORD Data3;
	BYTE Data4[8];
} GUID, *LPGUID;
typedef GUID IID, CLSID, FMTID;
typedef IID *LPIID;
typedef CLSID *LPCLSID;
typedef const GUID *REFGUID;
typedef const IID *REFIID;
typedef const CLSID *REFCLSID;

#define IsEqualGUID(a, b) (memcmp((a), (b), sizeof(GUID)) == 0)
#define IsEqualIID(a, b) IsEqualGUID(a, b)
#define IsEqualCLSID(a, b) IsEqualGUID(a, b)

/*
 * DEFINE_GUID declares a GUID; in the one translation unit that defines
 * INITGUID before including the headers it also defines it (weakly, so a
 * program's copy and the library's copy never clash).
 */
#undef DEFINE_GUID
#ifdef INITGUID
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
	MAPIX_EXTERN_C __attribute__((weak)) const GUID name;           \
	__attribute__((weak)) const GUID name = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}
#else
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
	MAPIX_EXTERN_C const GUID name
#endif
#define DEFINE_OLEGUID(name, l, w1, w2) \
	DEFINE_GUID(name, l, w1, w2, 0xC0, 0, 0, 0, 0, 0, 0, 0x46)

/* ---- COM calling conventions ------------------------------------------ */
#define STDMETHODCALLTYPE
#define STDAPICALLTYPE
#define WINAPI
#define CALLBACK
#define FAR
#define NEAR
#define PASCAL
#define STDAPI MAPIX_EXTERN_C MAPIX_API HRESULT
#define STDAPI_(type) MAPIX_EXTERN_C MAPIX_API type
#define STDMETHODIMP HRESULT
#define STDMETHODIMP_(type) type
#define STDMETHOD(method) HRESULT (*method)
#define STDMETHOD_(type, method) type (*method)
#define IPURE

#define S_OK ((HRESULT)0)
#define S_FALSE ((HRESULT)1)
#define NOERROR S_OK
#define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#define FAILED(hr) (((HRESULT)(hr)) < 0)
#define HR_SUCCEEDED(hr) SUCCEEDED((SCODE)(hr))
#define HR_FAILED(hr) FAILED((SCODE)(hr))
#define GetScode(hr) ((SCODE)(hr))
#define ResultFromScode(sc) ((HRESULT)(sc))
#define MAKE_HRESULT(sev, fac, code) \
	((HRESULT)(((uint32_t)(sev) << 31) | ((uint32_t)(fac) << 16) | ((uint32_t)(code))))
#define MAKE_SCODE(sev, fac, code) ((SCODE)MAKE_HRESULT(sev, fac, code))
#define SEVERITY_SUCCESS 0
#define SEVERITY_ERROR 1
#define HRESULT_CODE(hr) ((hr) & 0xFFFF)
#define SCODE_CODE(sc) ((sc) & 0xFFFF)
#define HRESULT_FACILITY(hr) (((hr) >> 16) & 0x1FFF)
#define SCODE_FACILITY(sc) (((sc) >> 16) & 0x1FFF)
#define HRESULT_SEVERITY(hr) (((uint32_t)(hr) >> 31) & 0x1)
#define FACILITY_NULL 0
#define FACILITY_RPC 1
#define FACILITY_DISPATCH 2
#define FACILITY_STORAGE 3
#define FACILITY_ITF 4
#define FACILITY_WIN32 7
#define FACILITY_WINDOWS 8
#define HRESULT_FROM_WIN32(x) \
	((HRESULT)(x) <= 0 ? ((HRESULT)(x)) : ((HRESULT)(((uint32_t)(x) & 0x0000FFFF) | (FACILITY_WIN32 << 16) | 0x80000000)))

#define ERROR_SUCCESS 0L
#define ERROR_FILE_NOT_FOUND 2L
#define ERROR_ACCESS_DENIED 5L
#define ERROR_NOT_ENOUGH_MEMORY 8L
#define ERROR_INVALID_PARAMETER 87L
#define ERROR_INSUFFICIENT_BUFFER 122L

#endif /* MAPIX_MAPIWIN_H */
