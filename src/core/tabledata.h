/*
 * tabledata.h — private structures of the in-memory tables: the table data
 * object (tabledata.c, ITableData and CreateTable), its views
 * (tableview.c, the IMAPITable methods) and the view maintenance they
 * share (tableview_rows.c: filtering, sorting, row materialization and
 * notifications).
 *
 * Locking: one mutex per table data object guards its rows and all of its
 * views. Every ITableData and IMAPITable method takes it; notifications are
 * collected while it is held and delivered after it is released.
 */
#ifndef MAPIX_CORE_TABLEDATA_H
#define MAPIX_CORE_TABLEDATA_H

#include <pthread.h>
#include <stdatomic.h>

#include <mapix/mapix.h>
#include <mapix/mapiguid.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixrestrict.h>

/* One row of the table data. Views point at these; a row is freed only
 * after every view has dropped it. */
struct mapix_tdrow {
	ULONG cValues;
	LPSPropValue lpProps; /* one block from the table's lpAllocateBuffer */
	LPSPropValue lpIndex; /* the index column, inside lpProps */
	ULONG ulPos;          /* position in insertion order */
	BOOL fDeleted;        /* removed by the change being applied; freed after */
};

struct mapix_tableview;

struct mapix_tabledata {
	ITableData itf;
	atomic_ulong cRef;
	pthread_mutex_t lock;
	ALLOCATEBUFFER *lpAllocateBuffer;
	ALLOCATEMORE *lpAllocateMore;
	FREEBUFFER *lpFreeBuffer;
	ULONG ulTableType;
	ULONG ulIndexTag;
	ULONG cCols, capCols; /* every column: the initial set, then new ones seen in rows */
	ULONG *aulCols;
	ULONG cRows, capRows; /* in insertion order */
	struct mapix_tdrow **rows;
	struct mapix_tableview *views;
};

struct mapix_bookmark {
	BOOKMARK bk;
	LPSPropValue lpIndex; /* MAPIAllocateBuffer'd copy; NULL marks the end of the table */
	ULONG ulPos;          /* where the row was when last resolved */
};

struct mapix_advise {
	ULONG_PTR ulConnection;
	LPMAPIADVISESINK lpSink;
	ULONG ulEventMask;
};

struct mapix_tableview {
	IMAPITable itf;
	atomic_ulong cRef;
	struct mapix_tabledata *td;
	struct mapix_tableview *next; /* in td->views */
	CALLERRELEASE *lpfCallerRelease;
	ULONG ulCallerData;
	LPSPropTagArray lpCols;  /* MAPIAllocateBuffer'd */
	LPSRestriction lpRes;    /* mapix_restriction_dup copy, or NULL */
	BOOL fResHasCount;       /* lpRes contains RES_COUNT: maintained by full rebuilds */
	LPSSortOrderSet lpSort;  /* MAPIAllocateBuffer'd, never NULL (cSorts may be 0) */
	ULONG cRows, capRows;    /* the visible rows, in view order */
	struct mapix_tdrow **rows;
	ULONG ulCursor;          /* 0..cRows; cRows is the end of the table */
	ULONG cBookmarks, capBookmarks;
	struct mapix_bookmark *bookmarks;
	BOOKMARK bkNext;
	ULONG cAdvise, capAdvise;
	struct mapix_advise *advise;
	ULONG_PTR ulNextConnection;
};

/* Notifications collected under the lock, delivered after it. */
struct mapix_notif_item {
	LPNOTIFICATION lpNotif; /* MAPIAllocateBuffer root */
	ULONG cSinks;
	LPMAPIADVISESINK *lppSinks; /* AddRef'd */
};
struct mapix_notifq {
	ULONG c, cap;
	struct mapix_notif_item *items;
};

/* One row changed by an ITableData call. */
struct mapix_rowchange {
	struct mapix_tdrow *row;
	BOOL fDeleted; /* no longer in the table data */
};

/* Calls of more than this many rows notify TABLE_CHANGED instead of row events. */
#define MAPIX_TABLE_MAX_ROW_EVENTS 8

/* ---- tabledata.c ---- */
void mapix_tabledata_lock(struct mapix_tabledata *td);
void mapix_tabledata_unlock(struct mapix_tabledata *td);
/* The index value of a stored row's props, or NULL. */
LPSPropValue mapix_tabledata_find_index(const struct mapix_tabledata *td, ULONG cValues, LPSPropValue lpProps);
BOOL mapix_tabledata_index_equal(const SPropValue *a, const SPropValue *b);

/* ---- tableview.c ---- */
HRESULT mapix_tableview_create(struct mapix_tabledata *td, LPSSortOrderSet lpSort, CALLERRELEASE *lpfRelease,
                               ULONG ulCallerData, LPMAPITABLE *lppTable);

/* ---- tableview_rows.c ---- */
/* A row's value for a tag (matched by ID; PT_ERROR values count as absent). */
LPSPropValue mapix_tableview_find_prop(ULONG cValues, LPSPropValue lpProps, ULONG ulPropTag);
/* Does the restriction tree contain a node of type rt? */
BOOL mapix_tableview_res_contains(const SRestriction *r, ULONG rt, unsigned depth);
/* Checks a column set or sort order the views accept. */
HRESULT mapix_tableview_check_columns(const SPropTagArray *lpCols, const char *fn);
HRESULT mapix_tableview_check_sort(const SSortOrderSet *lpSort, const char *fn);
/* Copies of column sets and sort orders in one MAPIAllocateBuffer block. */
HRESULT mapix_tableview_copy_columns(const SPropTagArray *src, LPSPropTagArray *lppDst);
HRESULT mapix_tableview_copy_sort(const SSortOrderSet *src, LPSSortOrderSet *lppDst);
/* The rows of td that pass lpRes, in the order of lpSort (malloc'd array). */
HRESULT mapix_tableview_build(struct mapix_tabledata *td, LPSRestriction lpRes, const SSortOrderSet *lpSort,
                              struct mapix_tdrow ***lpppRows, ULONG *lpcRows);
/* Applies a set of row changes to a view, queueing its notifications. */
void mapix_tableview_apply(struct mapix_tableview *v, const struct mapix_rowchange *ch, ULONG cch,
                           struct mapix_notifq *q);
/* Queues TABLE_ROW_MODIFIED for a row given by values (HrNotify). */
void mapix_tableview_notify_values(struct mapix_tableview *v, struct mapix_tdrow *row, ULONG cValues,
                                   LPSPropValue lpProps, struct mapix_notifq *q);
/* Builds one row in the columns lpCols: into a new MAPIAllocateBuffer block
 * (lpParent NULL) or with MAPIAllocateMore on lpParent. */
HRESULT mapix_tableview_make_row(const SPropTagArray *lpCols, ULONG cValues, LPSPropValue lpProps, LPVOID lpParent,
                                 LPSPropValue *lppOut);
/* Position of a row in the view, or cRows when it is not there. */
ULONG mapix_tableview_index_of(const struct mapix_tableview *v, const struct mapix_tdrow *row);
/* Delivers and frees queued notifications (call without the lock). */
void mapix_tableview_deliver(struct mapix_notifq *q);

#endif /* MAPIX_CORE_TABLEDATA_H */
