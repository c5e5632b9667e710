/*
 * objidl_types.h — the plain types and flags that go with IStream and
 * IMalloc (STATSTG, STGM_*, STREAM_SEEK_*, STGC_*, STATFLAG_*), with the
 * values Windows uses. Included by objidl.h.
 */
#ifndef MAPIX_OBJIDL_TYPES_H
#define MAPIX_OBJIDL_TYPES_H

#include <mapix/mapiwin.h>

typedef const IID *LPCIID;
typedef WCHAR OLECHAR;
typedef OLECHAR *LPOLESTR;

/* Storage access modes */
#define STGM_DIRECT 0x00000000L
#define STGM_TRANSACTED 0x00010000L
#define STGM_SIMPLE 0x08000000L
#define STGM_READ 0x00000000L
#define STGM_WRITE 0x00000001L
#define STGM_READWRITE 0x00000002L
#define STGM_SHARE_DENY_NONE 0x00000040L
#define STGM_SHARE_DENY_READ 0x00000030L
#define STGM_SHARE_DENY_WRITE 0x00000020L
#define STGM_SHARE_EXCLUSIVE 0x00000010L
#define STGM_PRIORITY 0x00040000L
#define STGM_DELETEONRELEASE 0x04000000L
#define STGM_NOSCRATCH 0x00100000L
#define STGM_CREATE 0x00001000L
#define STGM_CONVERT 0x00020000L
#define STGM_FAILIFTHERE 0x00000000L
#define STGM_NOSNAPSHOT 0x00200000L
#define STGM_DIRECT_SWMR 0x00400000L

typedef enum tagSTREAM_SEEK {
	STREAM_SEEK_SET = 0,
	STREAM_SEEK_CUR = 1,
	STREAM_SEEK_END = 2
} STREAM_SEEK;

typedef enum tagSTGC {
	STGC_DEFAULT = 0,
	STGC_OVERWRITE = 1,
	STGC_ONLYIFCURRENT = 2,
	STGC_DANGEROUSLYCOMMITMERELYTODISKCACHE = 4,
	STGC_CONSOLIDATE = 8
} STGC;

typedef enum tagSTATFLAG {
	STATFLAG_DEFAULT = 0,
	STATFLAG_NONAME = 1,
	STATFLAG_NOOPEN = 2
} STATFLAG;

typedef enum tagSTGTY {
	STGTY_STORAGE = 1,
	STGTY_STREAM = 2,
	STGTY_LOCKBYTES = 3,
	STGTY_PROPERTY = 4
} STGTY;

/* glibc's <fcntl.h> (with _GNU_SOURCE) defines LOCK_WRITE as a macro for
 * flock(); when it came first, the IStream constant is MAPIX_LOCK_WRITE. */
typedef enum tagLOCKTYPE {
#ifndef LOCK_WRITE
	LOCK_WRITE = 1,
#endif
	MAPIX_LOCK_WRITE = 1,
	LOCK_EXCLUSIVE = 2,
	LOCK_ONLYONCE = 4
} LOCKTYPE;

typedef struct tagSTATSTG {
	LPOLESTR pwcsName;
	DWORD type;
	ULARGE_INTEGER cbSize;
	FILETIME mtime;
	FILETIME ctime;
	FILETIME atime;
	DWORD grfMode;
	DWORD grfLocksSupported;
	CLSID clsid;
	DWORD grfStateBits;
	DWORD reserved;
} STATSTG;

#endif /* MAPIX_OBJIDL_TYPES_H */
