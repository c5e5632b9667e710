/*
 * windows_style.c — a MAPI program written only from the Windows MAPI
 * documentation (mapix's one difference: u"" where Windows writes L"").
 * It builds unchanged against the installed headers with
 *     cc windows_style.c $(pkg-config --cflags --libs mapix)
 * and the install test (tests/install-check) does exactly that. It checks
 * its own results and exits non-zero if anything differs from Windows.
 */
#include <stdio.h>
#include <string.h>

#include <windows.h>
#include <mapix.h>
#include <mapiutil.h>
#include <mapitags.h>
#include <mapiguid.h>
#include <mapival.h>
#include <edkmdb.h>

static int failures;

#define CHECK(cond)                                                       \
	do {                                                                  \
		if (!(cond)) {                                                    \
			printf("FAILED: %s (line %d)\n", #cond, __LINE__);           \
			failures++;                                                   \
		}                                                                 \
	} while (0)

int main(void)
{
	HRESULT hr;
	LPPROPDATA lpPropData = NULL;
	LPSPropValue lpProp = NULL;
	SPropValue rgProps[3];
	ULONG cb = 0;

	hr = MAPIInitialize(NULL);
	CHECK(hr == S_OK);

	/* An in-memory property object, as a provider would make one. */
	hr = CreateIProp(&IID_IMAPIPropData, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL, &lpPropData);
	CHECK(hr == S_OK);

	rgProps[0].ulPropTag = PR_SUBJECT_A;
	rgProps[0].Value.lpszA = "Quarterly report";
	rgProps[1].ulPropTag = PR_IMPORTANCE;
	rgProps[1].Value.l = IMPORTANCE_HIGH;
	rgProps[2].ulPropTag = PR_DISPLAY_NAME_W;
	rgProps[2].Value.lpszW = u"Grüße";
	hr = lpPropData->lpVtbl->SetProps(lpPropData, 3, rgProps, NULL);
	CHECK(hr == S_OK);

	/* HrGetOneProp converts between string widths like Windows stores do. */
	hr = HrGetOneProp((LPMAPIPROP)lpPropData, PR_SUBJECT_W, &lpProp);
	CHECK(hr == S_OK);
	if (SUCCEEDED(hr)) {
		CHECK(lpProp->ulPropTag == PR_SUBJECT_W);
		CHECK(memcmp(lpProp->Value.lpszW, u"Quarterly report", sizeof(u"Quarterly report")) == 0);
		MAPIFreeBuffer(lpProp);
	}
	hr = HrGetOneProp((LPMAPIPROP)lpPropData, PR_BODY_A, &lpProp);
	CHECK(hr == MAPI_E_NOT_FOUND);

	/* Read-only objects refuse changes. */
	hr = lpPropData->lpVtbl->HrSetObjAccess(lpPropData, IPROP_READONLY);
	CHECK(hr == S_OK);
	hr = HrSetOneProp((LPMAPIPROP)lpPropData, &rgProps[1]);
	CHECK(hr == MAPI_E_NO_ACCESS);

	/* Copy a property array into one contiguous block and compare. */
	hr = ScCountProps(3, rgProps, &cb);
	CHECK(hr == S_OK && cb > 3 * sizeof(SPropValue));
	LPSPropValue lpCopy = NULL;
	hr = ScDupPropset(3, rgProps, MAPIAllocateBuffer, &lpCopy);
	CHECK(hr == S_OK);
	if (SUCCEEDED(hr)) {
		CHECK(FPropCompareProp(&lpCopy[0], RELOP_EQ, &rgProps[0]));
		CHECK(LpValFindProp(PR_IMPORTANCE, 3, lpCopy) == &lpCopy[1]);
		CHECK(PpropFindProp(lpCopy, 3, PR_DISPLAY_NAME_W) == &lpCopy[2]);
		MAPIFreeBuffer(lpCopy);
	}

	/* Case-insensitive substring restriction semantics. */
	SPropValue needle = {PR_SUBJECT_A, 0, {.lpszA = "REPORT"}};
	CHECK(FPropContainsProp(&rgProps[0], &needle, FL_SUBSTRING | FL_IGNORECASE));
	CHECK(!FPropContainsProp(&rgProps[0], &needle, FL_SUBSTRING));

	/* The FBad* checks and the error codes callers test for. */
	CHECK(!FBadPropTag(PR_SUBJECT_W));
	CHECK(FBadPropTag(PROP_TAG(0x0099, 0x0037)));
	CHECK(MAPI_E_FAILONEPROVIDER == (HRESULT)0x8004011D);
	CHECK(IsEqualGUID(&IID_IMAPIPropData, &IID_IMAPIPropData));
	CHECK(frightsReadAny == 0x1);

	/* Freeing something twice is refused, never a crash. */
	LPVOID lpBuf = NULL;
	CHECK(MAPIAllocateBuffer(16, &lpBuf) == S_OK);
	CHECK(MAPIFreeBuffer(lpBuf) == S_OK);
	CHECK(MAPIFreeBuffer(lpBuf) != S_OK);

	lpPropData->lpVtbl->Release(lpPropData);
	MAPIUninitialize();
	printf("%s\n", failures ? "windows_style: FAILED" : "windows_style: all checks passed");
	return failures ? 1 : 0;
}
