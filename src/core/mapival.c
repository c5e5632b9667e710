/*
 * mapival.c — the FBad* structure checks of mapival.h. Providers and the
 * property utilities call them before they trust a caller's structures:
 * each answers TRUE when its argument is malformed (a NULL where data is
 * required, a count whose array is missing, a property type MAPI does not
 * define, a flag or operator outside its documented set).
 *
 * Linux cannot ask whether a pointer is readable, so "cannot be reached"
 * means NULL here, as IsBadReadPtr in mapival.h does.
 *
 * FBadRestriction walks the whole tree. Restrictions come from callers and
 * from the wire, so the walk is bounded twice: at most
 * MAPIX_RESTRICTION_MAX_DEPTH levels of nesting (a deeper or cyclic tree
 * cannot overflow the stack) and at most MAPIX_RESTRICTION_MAX_NODES nodes
 * visited in all (an AND whose children point back at it would otherwise
 * take exponential time before reaching the depth limit). Either limit
 * makes the restriction bad. Restrictions nested in PT_SRESTRICT property
 * values count against the same limits, so a value that points back at
 * its own restriction is refused too.
 */
#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapival.h>

/* Deepest nesting of restrictions that FBadRestriction accepts. */
#define MAPIX_RESTRICTION_MAX_DEPTH 256
/* Largest number of restriction nodes that FBadRestriction visits. */
#define MAPIX_RESTRICTION_MAX_NODES (1u << 20)

/* Single-valued types that a property tag may carry. */
static BOOL mapival_single_type_ok(ULONG type)
{
	switch (type) {
	case PT_UNSPECIFIED:
	case PT_NULL:
	case PT_I2:
	case PT_LONG:
	case PT_R4:
	case PT_DOUBLE:
	case PT_CURRENCY:
	case PT_APPTIME:
	case PT_ERROR:
	case PT_BOOLEAN:
	case PT_OBJECT:
	case PT_I8:
	case PT_STRING8:
	case PT_UNICODE:
	case PT_SYSTIME:
	case PT_CLSID:
	case PT_SVREID:
	case PT_SRESTRICT:
	case PT_ACTIONS:
	case PT_BINARY:
		return TRUE;
	default:
		return FALSE;
	}
}

/* Base types that exist in multi-valued form (PT_MV_*). */
static BOOL mapival_mv_base_ok(ULONG base)
{
	switch (base) {
	case PT_I2:
	case PT_LONG:
	case PT_R4:
	case PT_DOUBLE:
	case PT_CURRENCY:
	case PT_APPTIME:
	case PT_SYSTIME:
	case PT_STRING8:
	case PT_BINARY:
	case PT_UNICODE:
	case PT_CLSID:
	case PT_I8:
		return TRUE;
	default:
		return FALSE;
	}
}

/*
 * MV_INSTANCE is only meaningful on a multi-valued type (it asks a table for
 * one row per value), so it is accepted only together with MV_FLAG.
 */
STDAPI_(ULONG) FBadPropTag(ULONG ulPropTag)
{
	ULONG type = PROP_TYPE(ulPropTag);
	if (type & MV_INSTANCE) {
		if (!(type & MV_FLAG))
			return TRUE;
		type &= ~(ULONG)MV_INSTANCE;
	}
	if (type & MV_FLAG)
		return !mapival_mv_base_ok(type & ~(ULONG)MV_FLAG);
	return !mapival_single_type_ok(type);
}

STDAPI_(ULONG) FBadRglpszA(LPSTR *lppszA, ULONG cStrings)
{
	if (cStrings == 0)
		return FALSE;
	if (lppszA == NULL)
		return TRUE;
	for (ULONG i = 0; i < cStrings; i++)
		if (lppszA[i] == NULL)
			return TRUE;
	return FALSE;
}

STDAPI_(ULONG) FBadRglpszW(LPWSTR *lppszW, ULONG cStrings)
{
	if (cStrings == 0)
		return FALSE;
	if (lppszW == NULL)
		return TRUE;
	for (ULONG i = 0; i < cStrings; i++)
		if (lppszW[i] == NULL)
			return TRUE;
	return FALSE;
}

static BOOL mapival_bad_binary(const SBinary *bin)
{
	return bin->cb != 0 && bin->lpb == NULL;
}

/* An MV array: its pointer is needed only when it has values. */
static BOOL mapival_bad_array(ULONG cValues, const void *array)
{
	return cValues != 0 && array == NULL;
}

static ULONG mapival_bad_restriction(const SRestriction *res, unsigned depth, unsigned *budget);

/* depth and budget carry the restriction limits through PT_SRESTRICT
 * values, which can nest restrictions inside property values. */
static ULONG mapival_bad_prop(const SPropValue *lpprop, unsigned depth, unsigned *budget)
{
	if (lpprop == NULL || FBadPropTag(lpprop->ulPropTag))
		return TRUE;

	ULONG type = PROP_TYPE(lpprop->ulPropTag);
	/* A value whose tag carries MV_INSTANCE is one instance of a
	 * multi-valued column: it holds a single value of the base type. */
	if ((type & MVI_FLAG) == MVI_FLAG)
		type &= ~(ULONG)MVI_FLAG;

	const union _PV *v = &lpprop->Value;
	switch (type) {
	case PT_BOOLEAN:
		return v->b != FALSE && v->b != TRUE;
	case PT_STRING8:
		return v->lpszA == NULL;
	case PT_UNICODE:
		return v->lpszW == NULL;
	case PT_BINARY:
	case PT_SVREID:
		return mapival_bad_binary(&v->bin);
	case PT_CLSID:
		return v->lpguid == NULL;
	case PT_SRESTRICT: {
		/* Exchange keeps the LPSRestriction in the pointer member. */
		const SRestriction *res = (const SRestriction *)(const void *)v->lpszA;
		return res == NULL || mapival_bad_restriction(res, depth + 1, budget);
	}
	case PT_ACTIONS:
		return v->lpszA == NULL;
	case PT_MV_I2:
		return mapival_bad_array(v->MVi.cValues, v->MVi.lpi);
	case PT_MV_LONG:
		return mapival_bad_array(v->MVl.cValues, v->MVl.lpl);
	case PT_MV_R4:
		return mapival_bad_array(v->MVflt.cValues, v->MVflt.lpflt);
	case PT_MV_DOUBLE:
		return mapival_bad_array(v->MVdbl.cValues, v->MVdbl.lpdbl);
	case PT_MV_CURRENCY:
		return mapival_bad_array(v->MVcur.cValues, v->MVcur.lpcur);
	case PT_MV_APPTIME:
		return mapival_bad_array(v->MVat.cValues, v->MVat.lpat);
	case PT_MV_SYSTIME:
		return mapival_bad_array(v->MVft.cValues, v->MVft.lpft);
	case PT_MV_CLSID:
		return mapival_bad_array(v->MVguid.cValues, v->MVguid.lpguid);
	case PT_MV_I8:
		return mapival_bad_array(v->MVli.cValues, v->MVli.lpli);
	case PT_MV_STRING8:
		return FBadRglpszA(v->MVszA.lppszA, v->MVszA.cValues);
	case PT_MV_UNICODE:
		return FBadRglpszW(v->MVszW.lppszW, v->MVszW.cValues);
	case PT_MV_BINARY:
		if (mapival_bad_array(v->MVbin.cValues, v->MVbin.lpbin))
			return TRUE;
		for (ULONG i = 0; i < v->MVbin.cValues; i++)
			if (mapival_bad_binary(&v->MVbin.lpbin[i]))
				return TRUE;
		return FALSE;
	default:
		/* Fixed-size values (and PT_ERROR, PT_NULL, PT_OBJECT) have no
		 * pointer that could be wrong. */
		return FALSE;
	}
}

STDAPI_(ULONG) FBadProp(LPSPropValue lpprop)
{
	unsigned budget = MAPIX_RESTRICTION_MAX_NODES;
	return mapival_bad_prop(lpprop, 0, &budget);
}

STDAPI_(ULONG) FBadRow(LPSRow lprow)
{
	if (lprow == NULL)
		return TRUE;
	if (lprow->cValues != 0 && lprow->lpProps == NULL)
		return TRUE;
	for (ULONG i = 0; i < lprow->cValues; i++)
		if (FBadProp(&lprow->lpProps[i]))
			return TRUE;
	return FALSE;
}

STDAPI_(ULONG) FBadRowSet(LPSRowSet lpRowSet)
{
	if (lpRowSet == NULL)
		return TRUE;
	for (ULONG i = 0; i < lpRowSet->cRows; i++)
		if (FBadRow(&lpRowSet->aRow[i]))
			return TRUE;
	return FALSE;
}

STDAPI_(BOOL) FBadRglpNameID(LPMAPINAMEID *lppNameId, ULONG cNames)
{
	if (cNames == 0)
		return FALSE;
	if (lppNameId == NULL)
		return TRUE;
	for (ULONG i = 0; i < cNames; i++) {
		const MAPINAMEID *name = lppNameId[i];
		if (name == NULL || name->lpguid == NULL)
			return TRUE;
		if (name->ulKind == MNID_STRING) {
			if (name->Kind.lpwstrName == NULL)
				return TRUE;
		} else if (name->ulKind != MNID_ID) {
			return TRUE;
		}
	}
	return FALSE;
}

STDAPI_(ULONG) FBadPropTagArray(LPSPropTagArray lpPropTagArray)
{
	if (lpPropTagArray == NULL)
		return TRUE;
	for (ULONG i = 0; i < lpPropTagArray->cValues; i++)
		if (FBadPropTag(lpPropTagArray->aulPropTag[i]))
			return TRUE;
	return FALSE;
}

/* A column set is a tag array whose columns cannot be PT_ERROR (PT_NULL
 * columns are allowed: they reserve a place in the row). */
STDAPI_(ULONG) FBadColumnSet(LPSPropTagArray lpptaCols)
{
	if (lpptaCols == NULL)
		return TRUE;
	for (ULONG i = 0; i < lpptaCols->cValues; i++) {
		ULONG tag = lpptaCols->aulPropTag[i];
		if (FBadPropTag(tag) || PROP_TYPE(tag) == PT_ERROR)
			return TRUE;
	}
	return FALSE;
}

/*
 * Categories are the first cCategories sort keys, and cExpanded of them
 * start expanded, so cExpanded <= cCategories <= cSorts. Each order is
 * ascending, descending or TABLE_SORT_COMBINE; COMBINE joins a category
 * column to the one before it, so it needs a category column with a
 * predecessor. TABLE_SORT_CATEG_MAX/MIN order the categories by an
 * aggregate of a following (non-category) column: one of them at most, and
 * only in a categorized sort after its category columns.
 */
STDAPI_(ULONG) FBadSortOrderSet(LPSSortOrderSet lpsos)
{
	if (lpsos == NULL)
		return TRUE;
	if (lpsos->cCategories > lpsos->cSorts || lpsos->cExpanded > lpsos->cCategories)
		return TRUE;
	for (ULONG i = 0; i < lpsos->cSorts; i++) {
		const SSortOrder *so = &lpsos->aSort[i];
		if (FBadPropTag(so->ulPropTag) || PROP_TYPE(so->ulPropTag) == PT_ERROR)
			return TRUE;
		ULONG categ = so->ulOrder & (TABLE_SORT_CATEG_MAX | TABLE_SORT_CATEG_MIN);
		ULONG dir = so->ulOrder & ~(ULONG)(TABLE_SORT_CATEG_MAX | TABLE_SORT_CATEG_MIN);
		if (categ == (TABLE_SORT_CATEG_MAX | TABLE_SORT_CATEG_MIN))
			return TRUE;
		if (categ && (lpsos->cCategories == 0 || i < lpsos->cCategories))
			return TRUE;
		if (dir == TABLE_SORT_COMBINE) {
			if (categ || i == 0 || i >= lpsos->cCategories)
				return TRUE;
		} else if (dir != TABLE_SORT_ASCEND && dir != TABLE_SORT_DESCEND) {
			return TRUE;
		}
	}
	return FALSE;
}

/* An entry ID has at least its four abFlags bytes. */
STDAPI_(BOOL) FBadEntryList(LPENTRYLIST lpEntryList)
{
	if (lpEntryList == NULL)
		return TRUE;
	if (lpEntryList->cValues != 0 && lpEntryList->lpbin == NULL)
		return TRUE;
	for (ULONG i = 0; i < lpEntryList->cValues; i++) {
		const SBinary *eid = &lpEntryList->lpbin[i];
		if (eid->cb < sizeof(((ENTRYID *)0)->abFlags) || eid->lpb == NULL)
			return TRUE;
	}
	return FALSE;
}

/* ---- Restrictions ------------------------------------------------------- */

static BOOL mapival_bad_relop(ULONG relop, BOOL allow_re)
{
	return relop > (allow_re ? RELOP_RE : RELOP_NE);
}

static BOOL mapival_string_or_binary(ULONG type)
{
	type &= ~(ULONG)MVI_FLAG;
	return type == PT_STRING8 || type == PT_UNICODE || type == PT_BINARY;
}

static BOOL mapival_bad_fuzzy(ULONG level)
{
	const ULONG modifiers = FL_IGNORECASE | FL_IGNORENONSPACE | FL_LOOSE;
	ULONG match = level & 0xFFFF;
	if (level & ~(modifiers | 0xFFFF))
		return TRUE;
	return match != FL_FULLSTRING && match != FL_SUBSTRING && match != FL_PREFIX;
}

static ULONG mapival_bad_restriction_array(ULONG cRes, const SRestriction *lpRes, unsigned depth, unsigned *budget)
{
	if (cRes != 0 && lpRes == NULL)
		return TRUE;
	for (ULONG i = 0; i < cRes; i++)
		if (mapival_bad_restriction(&lpRes[i], depth + 1, budget))
			return TRUE;
	return FALSE;
}

static ULONG mapival_bad_prop_array(ULONG cValues, const SPropValue *lpProp, unsigned depth, unsigned *budget)
{
	if (cValues != 0 && lpProp == NULL)
		return TRUE;
	for (ULONG i = 0; i < cValues; i++)
		if (mapival_bad_prop(&lpProp[i], depth + 1, budget))
			return TRUE;
	return FALSE;
}

static ULONG mapival_bad_restriction(const SRestriction *res, unsigned depth, unsigned *budget)
{
	if (res == NULL || depth >= MAPIX_RESTRICTION_MAX_DEPTH || *budget == 0)
		return TRUE;
	(*budget)--;

	switch (res->rt) {
	case RES_AND:
		return mapival_bad_restriction_array(res->res.resAnd.cRes, res->res.resAnd.lpRes, depth, budget);
	case RES_OR:
		return mapival_bad_restriction_array(res->res.resOr.cRes, res->res.resOr.lpRes, depth, budget);
	case RES_NOT:
		return mapival_bad_restriction(res->res.resNot.lpRes, depth + 1, budget);
	case RES_COUNT:
		return mapival_bad_restriction(res->res.resCount.lpRes, depth + 1, budget);
	case RES_CONTENT: {
		const SContentRestriction *c = &res->res.resContent;
		if (mapival_bad_fuzzy(c->ulFuzzyLevel) || FBadPropTag(c->ulPropTag) ||
		    mapival_bad_prop(c->lpProp, depth + 1, budget))
			return TRUE;
		ULONG tag_type = PROP_TYPE(c->ulPropTag) & ~(ULONG)MV_FLAG;
		ULONG val_type = PROP_TYPE(c->lpProp->ulPropTag);
		if (!mapival_string_or_binary(tag_type) || (val_type & MV_FLAG) || !mapival_string_or_binary(val_type))
			return TRUE;
		/* strings match strings of either width; binary matches binary */
		return (tag_type & ~(ULONG)MVI_FLAG) == PT_BINARY ? val_type != PT_BINARY : val_type == PT_BINARY;
	}
	case RES_PROPERTY: {
		const SPropertyRestriction *p = &res->res.resProperty;
		return mapival_bad_relop(p->relop, TRUE) || FBadPropTag(p->ulPropTag) ||
		       mapival_bad_prop(p->lpProp, depth + 1, budget);
	}
	case RES_COMPAREPROPS: {
		const SComparePropsRestriction *p = &res->res.resCompareProps;
		return mapival_bad_relop(p->relop, FALSE) || FBadPropTag(p->ulPropTag1) || FBadPropTag(p->ulPropTag2);
	}
	case RES_BITMASK: {
		const SBitMaskRestriction *b = &res->res.resBitMask;
		return (b->relBMR != BMR_EQZ && b->relBMR != BMR_NEZ) || PROP_TYPE(b->ulPropTag) != PT_LONG;
	}
	case RES_SIZE: {
		const SSizeRestriction *s = &res->res.resSize;
		return mapival_bad_relop(s->relop, FALSE) || FBadPropTag(s->ulPropTag);
	}
	case RES_EXIST:
		return FBadPropTag(res->res.resExist.ulPropTag);
	case RES_SUBRESTRICTION: {
		/* The subobject is a PT_OBJECT table property
		 * (PR_MESSAGE_RECIPIENTS or PR_MESSAGE_ATTACHMENTS). */
		const SSubRestriction *s = &res->res.resSub;
		if (PROP_TYPE(s->ulSubObject) != PT_OBJECT)
			return TRUE;
		return mapival_bad_restriction(s->lpRes, depth + 1, budget);
	}
	case RES_COMMENT:
	case RES_ANNOTATION: {
		/* A comment may stand alone (lpRes NULL): it then restricts nothing. */
		const SCommentRestriction *c = &res->res.resComment;
		if (mapival_bad_prop_array(c->cValues, c->lpProp, depth, budget))
			return TRUE;
		return c->lpRes != NULL && mapival_bad_restriction(c->lpRes, depth + 1, budget);
	}
	default:
		return TRUE;
	}
}

STDAPI_(ULONG) FBadRestriction(LPSRestriction lpres)
{
	unsigned budget = MAPIX_RESTRICTION_MAX_NODES;
	return mapival_bad_restriction(lpres, 0, &budget);
}
