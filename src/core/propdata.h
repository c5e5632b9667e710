/*
 * propdata.h — private interface of the IPropData implementation
 * (CreateIProp). propdata.c holds the object, its vtable and the property
 * store; propdata_copy.c CopyTo/CopyProps; propdata_names.c the named
 * property map. Nothing outside these files uses this header.
 */
#ifndef MAPIX_CORE_PROPDATA_H
#define MAPIX_CORE_PROPDATA_H

#include <pthread.h>
#include <stdatomic.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>

/* Largest block (in bytes) the object asks its allocator for in one piece;
 * keeps every size computation within a ULONG. */
#define MAPIX_PROPDATA_MAX_BYTES ((size_t)0x3FFFFFFF)

/* One property of the object. */
typedef struct mapix_propdata_entry {
	ULONG tag;          /* the tag as stored: PROP_TYPE is the value's type */
	ULONG access;       /* IPROP_READONLY/READWRITE | IPROP_CLEAN/DIRTY */
	LPSPropValue value; /* one allocation of the object's allocator;
	                     * NULL for PT_OBJECT properties (HrAddObjProps) */
} mapix_propdata_entry;

/* One registered name of the named-property map. */
typedef struct mapix_propdata_name {
	GUID guid;
	ULONG kind;  /* MNID_ID or MNID_STRING */
	LONG lid;    /* MNID_ID */
	WCHAR *name; /* MNID_STRING: malloc'd, NUL-terminated */
	size_t name_len;
	ULONG propid; /* 0x8000 and up */
} mapix_propdata_name;

typedef struct mapix_propdata {
	IPropData iface; /* first: an IPropData * is a mapix_propdata * */
	atomic_uint refs;
	pthread_mutex_t lock; /* guards everything below */
	ALLOCATEBUFFER *alloc;
	ALLOCATEMORE *more;
	FREEBUFFER *freebuf;
	ULONG obj_access; /* IPROP_READONLY or IPROP_READWRITE */
	mapix_propdata_entry *props;
	ULONG nprops, capprops;
	mapix_propdata_name *names;
	ULONG nnames, capnames;
	ULONG next_named_id;
} mapix_propdata;

/* A growing list of property problems, turned into an SPropProblemArray
 * made with the object's allocator when a method returns. */
typedef struct mapix_propdata_problems {
	SPropProblem *v;
	ULONG n, cap;
} mapix_propdata_problems;

static inline mapix_propdata *mapix_propdata_from(IPropData *iface)
{
	return (mapix_propdata *)(void *)iface;
}

void mapix_propdata_lock(mapix_propdata *pd);
void mapix_propdata_unlock(mapix_propdata *pd);

/* The entry with property identifier propid, or NULL. Lock held. */
mapix_propdata_entry *mapix_propdata_find(mapix_propdata *pd, ULONG propid);

/*
 * GetProps under the lock: values for tags (NULL: every property) in one
 * block made with pd->alloc. A requested PT_UNSPECIFIED type yields the
 * stored type when `native`, else strings in the width that flags'
 * MAPI_UNICODE selects. Missing properties and type mismatches become
 * PT_ERROR entries. Returns S_OK, MAPI_W_ERRORS_RETURNED or an error.
 */
HRESULT mapix_propdata_get_values(mapix_propdata *pd, const SPropTagArray *tags, ULONG flags, BOOL native,
                                  ULONG *lpcValues, LPSPropValue *lppProps);

/* Removes the entry at index i and frees its value. Lock held. */
void mapix_propdata_remove_at(mapix_propdata *pd, ULONG i);

/* Adds a problem; MAPI_E_NOT_ENOUGH_MEMORY if the list cannot grow. */
HRESULT mapix_propdata_problems_add(mapix_propdata_problems *pl, ULONG index, ULONG tag, SCODE sc);
/* Hands the list to the caller as an SPropProblemArray made with pd->alloc
 * (NULL when empty or when lppProblems is NULL), and frees the list. */
HRESULT mapix_propdata_problems_return(mapix_propdata *pd, mapix_propdata_problems *pl,
                                       LPSPropProblemArray *lppProblems);
void mapix_propdata_problems_free(mapix_propdata_problems *pl);

/* Methods implemented outside propdata.c. */
HRESULT mapix_propdata_copy_to(IPropData *This, ULONG ciidExclude, LPCIID rgiidExclude,
                               LPSPropTagArray lpExcludeProps, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress,
                               LPCIID lpInterface, LPVOID lpDestObj, ULONG ulFlags,
                               LPSPropProblemArray *lppProblems);
HRESULT mapix_propdata_copy_props(IPropData *This, LPSPropTagArray lpIncludeProps, ULONG_PTR ulUIParam,
                                  LPMAPIPROGRESS lpProgress, LPCIID lpInterface, LPVOID lpDestObj,
                                  ULONG ulFlags, LPSPropProblemArray *lppProblems);
HRESULT mapix_propdata_get_names_from_ids(IPropData *This, LPSPropTagArray *lppPropTags, LPGUID lpPropSetGuid,
                                          ULONG ulFlags, ULONG *lpcPropNames, LPMAPINAMEID **lpppPropNames);
HRESULT mapix_propdata_get_ids_from_names(IPropData *This, ULONG cPropNames, LPMAPINAMEID *lppPropNames,
                                          ULONG ulFlags, LPSPropTagArray *lppPropTags);
/* Frees the name map (object destruction). */
void mapix_propdata_names_free(mapix_propdata *pd);

#endif /* MAPIX_CORE_PROPDATA_H */
