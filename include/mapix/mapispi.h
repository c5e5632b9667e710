/*
 * mapispi.h — the service provider interface: how the MAPI subsystem talks
 * to message store providers. A provider exports an MSProviderInit entry
 * point returning an IMSProvider; IMSProvider::Logon receives the
 * subsystem's IMAPISupport object and returns the provider's IMSLogon and
 * its IMsgStore. mapix's local (SQLite) and remote (mapixd) stores both
 * implement exactly this shape; the subsystem only talks to it.
 */
#ifndef MAPIX_MAPISPI_H
#define MAPIX_MAPISPI_H

#include <mapix/mapix.h>

MAPIX_BEGIN_DECLS

#define CURRENT_SPI_VERSION 0x00010010L
#define PDK1_SPI_VERSION 0x00010000L
#define PDK2_SPI_VERSION 0x00010008L

/* Notification keys for IMAPISupport::Subscribe/Notify. */
typedef struct {
	ULONG cb;
	BYTE ab[MAPI_DIM];
} NOTIFKEY, *LPNOTIFKEY;
#define CbNewNOTIFKEY(_cb) (offsetof(NOTIFKEY, ab) + (_cb))
#define CbNOTIFKEY(_lpkey) (offsetof(NOTIFKEY, ab) + (_lpkey)->cb)
#define SizedNOTIFKEY(_cb, _name) \
	struct _NOTIFKEY_##_name {    \
		ULONG cb;                 \
		BYTE ab[_cb];             \
	} _name

/* IMAPISupport::Notify output flags */
#define NOTIFY_CANCELED ((ULONG)0x80000000)
/* IMAPISupport::Subscribe flags */
#define NOTIFY_SYNC ((ULONG)0x40000000)


typedef void *HINSTANCE;

#include <mapix/mapispiinterfaces.h>

typedef HRESULT(STDMETHODCALLTYPE MSPROVIDERINIT)(HINSTANCE hInstance, LPMALLOC lpMalloc,
                                                  LPALLOCATEBUFFER lpAllocateBuffer,
                                                  LPALLOCATEMORE lpAllocateMore, LPFREEBUFFER lpFreeBuffer,
                                                  ULONG ulFlags, ULONG ulMAPIVer, ULONG *lpulProviderVer,
                                                  LPMSPROVIDER *lppMSProvider);
typedef MSPROVIDERINIT *LPMSPROVIDERINIT;

MAPIX_END_DECLS

#endif /* MAPIX_MAPISPI_H */
