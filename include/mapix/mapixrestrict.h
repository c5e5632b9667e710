/*
 * mapixrestrict.h — the one restriction evaluator of mapix (a mapix
 * extension; Windows MAPI has no public evaluator). Every in-memory table
 * (CreateTable views), FindRow, search folders and rules evaluate
 * SRestriction trees here, so a restriction means the same everywhere. The
 * store's SQL push-down uses mapix_restriction_tags to decide which parts it
 * can translate and falls back to this evaluator for the rest.
 *
 * Semantics (Microsoft's "About Restrictions" and SRestriction pages and
 * MS-OXCDATA 2.12 leave several cases undefined; mapix fixes them as
 * Exchange behaves):
 *
 *  - A property is found in the row by its property ID. A value of type
 *    PT_ERROR (e.g. a PT_ERROR/MAPI_E_NOT_FOUND column of a table row) counts
 *    as missing.
 *  - RES_PROPERTY, RES_CONTENT, RES_COMPAREPROPS, RES_BITMASK and RES_SIZE
 *    are FALSE when a property they read is missing, for every relational
 *    operator, RELOP_NE included. (Microsoft documents the result as
 *    undefined and recommends AND-ing an RES_EXIST; Exchange never matches
 *    a missing property.) To select "not equal or missing" write
 *    RES_NOT(RES_PROPERTY RELOP_EQ).
 *  - Multi-valued columns: RES_PROPERTY and RES_CONTENT match when any value
 *    matches, when the restriction's value is single-valued. When the tag
 *    carries MV_INSTANCE, or the row value itself carries MV_INSTANCE (a
 *    table row of an expanded instance), the row holds one value and it is
 *    compared directly. An MV value against an MV value compares the whole
 *    arrays with FPropCompareProp.
 *  - PT_STRING8 (UTF-8) and PT_UNICODE compare with each other: the row value
 *    is converted to the width of the restriction's value. Any other type
 *    mismatch between ulPropTag and lpProp->ulPropTag (or ulPropTag1 and
 *    ulPropTag2) is MAPI_E_TOO_COMPLEX, as Microsoft documents.
 *  - Comparisons use FPropCompareProp / FPropContainsProp / LPropCompareProp
 *    and so the one collation of mapix.
 *  - RES_EXIST is TRUE when the row holds a non-error value with that ID.
 *  - RES_SIZE compares UlPropSize of the value: (size relop cb).
 *  - RES_BITMASK reads PT_LONG (or PT_I2) values: BMR_EQZ is TRUE when
 *    (value & ulMask) == 0, BMR_NEZ when it is not.
 *  - RES_SUBRESTRICTION (ulSubObject PR_MESSAGE_RECIPIENTS or
 *    PR_MESSAGE_ATTACHMENTS) is TRUE when any row of that sub-object
 *    matches lpRes. The rows come from the caller's MAPIXSUBOBJECTS; with
 *    none it is MAPI_E_TOO_COMPLEX (what Microsoft documents for tables that
 *    do not support sub-object restrictions).
 *  - RES_COMMENT and RES_ANNOTATION evaluate their lpRes, or are TRUE
 *    without one.
 *  - RES_COUNT (MS-OXCDATA 2.12.12 CountRestriction: "the limit on the
 *    number of matches to be returned when the SubRestriction is
 *    evaluated") accepts at most ulCount rows that match its lpRes. It is
 *    stateful across the rows of one evaluation pass: pass the same
 *    MAPIXRESTRICTIONSTATE to mapix_restriction_eval_state for every row, in
 *    the order the rows are returned. A row is counted when the count node
 *    is reached and its lpRes matches while the limit is not exhausted, so
 *    AND/OR short-circuit (left to right) decides whether a count node is
 *    reached at all. mapix_restriction_eval (no state) evaluates one row as
 *    a pass of its own: TRUE when ulCount >= 1 and lpRes matches.
 *  - Empty RES_AND is TRUE, empty RES_OR is FALSE.
 *  - Nesting deeper than MAPIX_RESTRICTION_MAX_DEPTH levels (counting the
 *    sub-object rows' restrictions too) is MAPI_E_TOO_COMPLEX, so hostile
 *    input never exhausts the stack.
 */
#ifndef MAPIX_MAPIXRESTRICT_H
#define MAPIX_MAPIXRESTRICT_H

#include <mapix/mapix.h>

MAPIX_BEGIN_DECLS

/* Sub-object tags of RES_SUBRESTRICTION (MS-OXPROPS values). */
#ifndef PR_MESSAGE_RECIPIENTS
#define PR_MESSAGE_RECIPIENTS PROP_TAG(PT_OBJECT, 0x0E12)
#endif
#ifndef PR_MESSAGE_ATTACHMENTS
#define PR_MESSAGE_ATTACHMENTS PROP_TAG(PT_OBJECT, 0x0E13)
#endif

/* The deepest nesting the evaluator, mapix_restriction_dup and
 * mapix_restriction_tags accept; deeper is MAPI_E_TOO_COMPLEX. */
#define MAPIX_RESTRICTION_MAX_DEPTH 64

/* How many distinct RES_COUNT nodes one MAPIXRESTRICTIONSTATE tracks; a
 * restriction with more is MAPI_E_TOO_COMPLEX when evaluated with a state. */
#define MAPIX_RESTRICTION_MAX_COUNTS 16

/*
 * Rows of a sub-object for RES_SUBRESTRICTION. GetSubObjectRows receives the
 * parent row (so it can find the message by PR_ENTRYID, PR_INSTANCE_KEY or
 * whatever the caller's rows carry) and returns the rows of ulSubObject
 * (PR_MESSAGE_RECIPIENTS or PR_MESSAGE_ATTACHMENTS) in *lppRows, allocated
 * so that FreeProws frees them (the evaluator does so). Returning S_OK with
 * *lppRows NULL means "no rows". Any failure is passed to the caller of the
 * evaluator unchanged.
 */
typedef struct MAPIXSUBOBJECTS {
	LPVOID lpContext;
	HRESULT (*GetSubObjectRows)(LPVOID lpContext, ULONG ulSubObject, ULONG cValues, LPSPropValue lpProps,
	                            LPSRowSet *lppRows);
} MAPIXSUBOBJECTS;

/* State of one evaluation pass for RES_COUNT. Zero it (or use
 * MAPIX_RESTRICTION_STATE_INIT) before the first row of a pass. */
typedef struct MAPIXRESTRICTIONSTATE {
	ULONG cCounters;
	struct {
		const SRestriction *lpRes; /* the RES_COUNT node */
		ULONG cAccepted;           /* rows it has accepted in this pass */
	} aCounters[MAPIX_RESTRICTION_MAX_COUNTS];
} MAPIXRESTRICTIONSTATE;
#define MAPIX_RESTRICTION_STATE_INIT {0}

/* Evaluates lpRes against one row (cValues values at lpProps). *lpfMatch
 * receives TRUE or FALSE. lpSub may be NULL (then RES_SUBRESTRICTION is
 * MAPI_E_TOO_COMPLEX). Errors: MAPI_E_INVALID_PARAMETER (NULL pointers where
 * a value is required), MAPI_E_TOO_COMPLEX (unknown type, type mismatch,
 * too deep, no sub-objects). */
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_restriction_eval(LPSRestriction lpRes, ULONG cValues, LPSPropValue lpProps,
                                                        const MAPIXSUBOBJECTS *lpSub, BOOL *lpfMatch);

/* The same, with the RES_COUNT state of a pass over several rows (may be
 * NULL, which is mapix_restriction_eval). */
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_restriction_eval_state(LPSRestriction lpRes, ULONG cValues,
                                                              LPSPropValue lpProps, const MAPIXSUBOBJECTS *lpSub,
                                                              MAPIXRESTRICTIONSTATE *lpState, BOOL *lpfMatch);

/* Checks a whole restriction tree without evaluating it: every node that
 * the evaluator could reach is well formed (same rules, same errors). */
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_restriction_validate(LPSRestriction lpRes);

/* Deep copy of lpSrc (validated as mapix_restriction_validate does) into a
 * single MAPIAllocateBuffer root: one MAPIFreeBuffer(*lppDst) frees it. */
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_restriction_dup(LPSRestriction lpSrc, LPSRestriction *lppDst);

/* The same, into lpDst (caller's storage) with every allocation made by
 * MAPIAllocateMore on lpParent. */
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_restriction_dup_more(LPSRestriction lpSrc, LPVOID lpParent,
                                                            LPSRestriction lpDst);

/* mapix_restriction_tags flags */
#define MAPIX_RESTAGS_SUBOBJECTS ((ULONG)0x00000001)

/*
 * Every property tag lpRes reads from the row, each once, in first-seen
 * order, in a MAPIAllocateBuffer'd SPropTagArray. RES_SUBRESTRICTION
 * contributes its ulSubObject tag; the tags its lpRes reads from the
 * sub-object's rows are added too only with MAPIX_RESTAGS_SUBOBJECTS.
 * Values carried by RES_COMMENT/RES_ANNOTATION are not read and are not
 * listed.
 */
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_restriction_tags(LPSRestriction lpRes, ULONG ulFlags,
                                                        LPSPropTagArray *lppTags);

MAPIX_END_DECLS

#endif /* MAPIX_MAPIXRESTRICT_H */
