/*
 * error.c — per-thread last error (see error.h), the names of the status
 * codes (mapix_error_name, which the CLI prints) and the MAPIERROR that
 * every object's GetLastError method returns (mapix_error_to_mapierror).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>

#include "core/error.h"

static _Thread_local char last_text[512];
static _Thread_local HRESULT last_code;

HRESULT mapix_error(HRESULT hr, const char *fmt, ...)
{
	/* Format into a scratch buffer first: callers may pass the previous
	 * message (MAPIXGetLastErrorText()) as an argument to wrap it. */
	char text[sizeof last_text];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	memcpy(last_text, text, sizeof last_text);
	last_code = hr;
	return hr;
}

void mapix_error_clear(void)
{
	last_text[0] = '\0';
	last_code = S_OK;
}

STDAPI_(const char *) MAPIXGetLastErrorText(void)
{
	return last_text;
}

STDAPI_(HRESULT) MAPIXGetLastErrorCode(void)
{
	return last_code;
}

/* ---- names and generic texts of the status codes -------------------------- */

/*
 * Every code of mapicode.h. Where a MAPI name and a COM name share a value
 * (MAPI_E_CALL_FAILED is E_FAIL) the MAPI name comes first and wins: MAPI
 * callers and the CLI think in MAPI names.
 */
typedef struct code_info {
	HRESULT code;
	const char *name;
	const char *text;
} code_info;

#define CODE(sym, text) {(HRESULT)(sym), #sym, text}
static const code_info code_table[] = {
	CODE(S_OK, "The operation succeeded."),
	CODE(S_FALSE, "The operation succeeded with a negative answer."),
	CODE(MAPI_E_CALL_FAILED, "The call failed for an unexpected reason."),
	CODE(MAPI_E_NOT_ENOUGH_MEMORY, "Not enough memory to complete the operation."),
	CODE(MAPI_E_INVALID_PARAMETER, "A parameter is not valid."),
	CODE(MAPI_E_INTERFACE_NOT_SUPPORTED, "The interface is not supported."),
	CODE(MAPI_E_NO_ACCESS, "Access is denied."),
	CODE(E_UNEXPECTED, "Unexpected failure."),
	CODE(E_NOTIMPL, "Not implemented."),
	CODE(E_POINTER, "A pointer is not valid."),
	CODE(E_ABORT, "The operation was aborted."),
	CODE(E_HANDLE, "A handle is not valid."),
	CODE(STG_E_INVALIDFUNCTION, "The storage function is not valid."),
	CODE(STG_E_FILENOTFOUND, "The file was not found."),
	CODE(STG_E_ACCESSDENIED, "Access to the storage is denied."),
	CODE(STG_E_INSUFFICIENTMEMORY, "Not enough memory for the storage operation."),
	CODE(STG_E_INVALIDPOINTER, "A storage pointer is not valid."),
	CODE(STG_E_SEEKERROR, "The seek failed."),
	CODE(STG_E_WRITEFAULT, "The write failed."),
	CODE(STG_E_READFAULT, "The read failed."),
	CODE(STG_E_INVALIDPARAMETER, "A storage parameter is not valid."),
	CODE(STG_E_MEDIUMFULL, "The medium is full."),
	CODE(STG_E_INVALIDFLAG, "A storage flag is not valid."),
	CODE(STG_E_REVERTED, "The object has been reverted."),
	CODE(STG_E_CANTSAVE, "The storage cannot be saved."),
	CODE(MAPI_E_NO_SUPPORT, "The operation is not supported."),
	CODE(MAPI_E_BAD_CHARWIDTH, "The string width flag is not valid here."),
	CODE(MAPI_E_STRING_TOO_LONG, "A string is too long."),
	CODE(MAPI_E_UNKNOWN_FLAGS, "Unknown flags were passed."),
	CODE(MAPI_E_INVALID_ENTRYID, "The entry identifier is not valid."),
	CODE(MAPI_E_INVALID_OBJECT, "The object is not valid."),
	CODE(MAPI_E_OBJECT_CHANGED, "The object was changed by someone else."),
	CODE(MAPI_E_OBJECT_DELETED, "The object was deleted."),
	CODE(MAPI_E_BUSY, "The object is busy."),
	CODE(MAPI_E_NOT_ENOUGH_DISK, "Not enough disk space."),
	CODE(MAPI_E_NOT_ENOUGH_RESOURCES, "Not enough system resources."),
	CODE(MAPI_E_NOT_FOUND, "The requested object or property was not found."),
	CODE(MAPI_E_VERSION, "The version is not supported."),
	CODE(MAPI_E_LOGON_FAILED, "The logon failed."),
	CODE(MAPI_E_SESSION_LIMIT, "Too many sessions are open."),
	CODE(MAPI_E_USER_CANCEL, "The user cancelled the operation."),
	CODE(MAPI_E_UNABLE_TO_ABORT, "The operation cannot be aborted."),
	CODE(MAPI_E_NETWORK_ERROR, "A network error occurred."),
	CODE(MAPI_E_DISK_ERROR, "A disk error occurred."),
	CODE(MAPI_E_TOO_COMPLEX, "The operation is too complex."),
	CODE(MAPI_E_BAD_COLUMN, "A column is not valid."),
	CODE(MAPI_E_EXTENDED_ERROR, "An extended error occurred."),
	CODE(MAPI_E_COMPUTED, "The property is computed and cannot be changed."),
	CODE(MAPI_E_CORRUPT_DATA, "The data is corrupt."),
	CODE(MAPI_E_UNCONFIGURED, "The service is not configured."),
	CODE(MAPI_E_FAILONEPROVIDER, "A service provider failed."),
	CODE(MAPI_E_UNKNOWN_CPID, "The code page is not known."),
	CODE(MAPI_E_UNKNOWN_LCID, "The locale is not known."),
	CODE(MAPI_E_PASSWORD_CHANGE_REQUIRED, "The password must be changed."),
	CODE(MAPI_E_PASSWORD_EXPIRED, "The password has expired."),
	CODE(MAPI_E_INVALID_WORKSTATION_ACCOUNT, "The workstation account is not valid."),
	CODE(MAPI_E_INVALID_ACCESS_TIME, "Logons are not allowed at this time."),
	CODE(MAPI_E_ACCOUNT_DISABLED, "The account is disabled."),
	CODE(MAPI_E_RECONNECTED, "The connection was re-established."),
	CODE(MAPI_E_OFFLINE, "The service is offline."),
	CODE(MAPI_E_END_OF_SESSION, "The session has ended."),
	CODE(MAPI_E_UNKNOWN_ENTRYID, "The entry identifier is not known."),
	CODE(MAPI_E_MISSING_REQUIRED_COLUMN, "A required column is missing."),
	CODE(MAPI_W_NO_SERVICE, "A service could not be loaded."),
	CODE(MAPI_E_PROFILE_DELETED, "The profile was deleted."),
	CODE(MAPI_E_BAD_VALUE, "A property value is not valid."),
	CODE(MAPI_E_INVALID_TYPE, "A property type is not valid."),
	CODE(MAPI_E_TYPE_NO_SUPPORT, "The property type is not supported."),
	CODE(MAPI_E_UNEXPECTED_TYPE, "The property type was not expected."),
	CODE(MAPI_E_TOO_BIG, "The value is too big."),
	CODE(MAPI_E_DECLINE_COPY, "The provider declined the copy."),
	CODE(MAPI_E_UNEXPECTED_ID, "The property identifier was not expected."),
	CODE(MAPI_W_ERRORS_RETURNED, "Some values could not be returned."),
	CODE(MAPI_E_UNABLE_TO_COMPLETE, "The operation could not be completed."),
	CODE(MAPI_E_TIMEOUT, "The operation timed out."),
	CODE(MAPI_E_TABLE_EMPTY, "The table is empty."),
	CODE(MAPI_E_TABLE_TOO_BIG, "The table has too many rows."),
	CODE(MAPI_E_INVALID_BOOKMARK, "The bookmark is not valid."),
	CODE(MAPI_W_POSITION_CHANGED, "The table position changed."),
	CODE(MAPI_W_APPROX_COUNT, "The count is approximate."),
	CODE(MAPI_E_WAIT, "The operation must wait."),
	CODE(MAPI_E_CANCEL, "The operation was cancelled."),
	CODE(MAPI_E_NOT_ME, "The message is not for this provider."),
	CODE(MAPI_W_CANCEL_MESSAGE, "The message was cancelled."),
	CODE(MAPI_E_CORRUPT_STORE, "The message store is corrupt."),
	CODE(MAPI_E_NOT_IN_QUEUE, "The message is not in the outgoing queue."),
	CODE(MAPI_E_NO_SUPPRESS, "Read reports cannot be suppressed."),
	CODE(MAPI_E_COLLISION, "The name already exists."),
	CODE(MAPI_E_NOT_INITIALIZED, "MAPI is not initialized."),
	CODE(MAPI_E_NON_STANDARD, "A non-standard error occurred."),
	CODE(MAPI_E_NO_RECIPIENTS, "The message has no recipients."),
	CODE(MAPI_E_SUBMITTED, "The message has been submitted."),
	CODE(MAPI_E_HAS_FOLDERS, "The folder has subfolders."),
	CODE(MAPI_E_HAS_MESSAGES, "The folder contains messages."),
	CODE(MAPI_E_FOLDER_CYCLE, "A folder cannot be moved or copied into itself."),
	CODE(MAPI_E_STORE_FULL, "The message store is full."),
	CODE(MAPI_E_LOCKID_LIMIT, "Too many locks."),
	CODE(MAPI_W_PARTIAL_COMPLETION, "The operation completed only in part."),
	CODE(MAPI_E_AMBIGUOUS_RECIP, "A recipient name is ambiguous."),
	CODE(MAPI_E_NAMED_PROP_QUOTA_EXCEEDED, "The named property quota is exceeded."),
};
#undef CODE

static const code_info *code_lookup(HRESULT hr)
{
	for (size_t i = 0; i < sizeof code_table / sizeof code_table[0]; i++)
		if (code_table[i].code == hr)
			return &code_table[i];
	return NULL;
}

const char *mapix_error_name(HRESULT hr)
{
	static _Thread_local char buf[16];
	const code_info *ci = code_lookup(hr);
	if (ci)
		return ci->name;
	snprintf(buf, sizeof buf, "0x%08X", (unsigned)hr);
	return buf;
}

/* ---- MAPIERROR ------------------------------------------------------------------ */

/* Decodes one UTF-8 sequence at s (len bytes left); invalid or overlong
 * input, surrogates and truncation give U+FFFD and consume one byte. */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *used)
{
	unsigned char c = s[0];
	uint32_t cp, min;
	size_t n;
	if (c < 0x80) {
		*used = 1;
		return c;
	} else if ((c & 0xE0) == 0xC0) {
		n = 2, cp = c & 0x1F, min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		n = 3, cp = c & 0x0F, min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		n = 4, cp = c & 0x07, min = 0x10000;
	} else {
		*used = 1;
		return 0xFFFD;
	}
	if (n > len)
		goto bad;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			goto bad;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		goto bad;
	*used = n;
	return cp;
bad:
	*used = 1;
	return 0xFFFD;
}

/* Copies s into a block allocated with MAPIAllocateMore on parent, as
 * UTF-8 or (wide) as UTF-16. The message is short, so two passes (count,
 * then write) keep this simple. */
static SCODE error_string_more(const char *s, BOOL wide, LPVOID parent, LPTSTR *out)
{
	size_t len = strlen(s);
	if (!wide) {
		LPVOID p;
		SCODE sc = MAPIAllocateMore((ULONG)len + 1, parent, &p);
		if (FAILED(sc))
			return sc;
		memcpy(p, s, len + 1);
		*out = p;
		return S_OK;
	}
	size_t units = 0;
	for (size_t i = 0, used; i < len; i += used)
		units += utf8_next((const unsigned char *)s + i, len - i, &used) >= 0x10000 ? 2 : 1;
	WCHAR *w;
	SCODE sc = MAPIAllocateMore((ULONG)((units + 1) * sizeof(WCHAR)), parent, (LPVOID *)&w);
	if (FAILED(sc))
		return sc;
	size_t k = 0;
	for (size_t i = 0, used; i < len; i += used) {
		uint32_t cp = utf8_next((const unsigned char *)s + i, len - i, &used);
		if (cp >= 0x10000) {
			cp -= 0x10000;
			w[k++] = (WCHAR)(0xD800 + (cp >> 10));
			w[k++] = (WCHAR)(0xDC00 + (cp & 0x3FF));
		} else {
			w[k++] = (WCHAR)cp;
		}
	}
	w[k] = 0;
	*out = (LPTSTR)(void *)w;
	return S_OK;
}

HRESULT mapix_error_to_mapierror(HRESULT hResult, ULONG ulFlags, const char *component, LPMAPIERROR *lppMAPIError)
{
	if (!lppMAPIError)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetLastError: lppMAPIError is NULL");
	*lppMAPIError = NULL;
	if (ulFlags & ~MAPI_UNICODE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "GetLastError: unknown flags 0x%08X",
		                   (unsigned)(ulFlags & ~MAPI_UNICODE));

	/* Take the text before allocating: a failing allocation would replace
	 * the thread's last error with its own. */
	char text[sizeof last_text];
	if (last_code == hResult && last_text[0]) {
		memcpy(text, last_text, sizeof text);
	} else {
		const code_info *ci = code_lookup(hResult);
		snprintf(text, sizeof text, "%s: %s", mapix_error_name(hResult),
		         ci ? ci->text : "No further information is available.");
	}

	LPMAPIERROR err;
	SCODE sc = MAPIAllocateBuffer(sizeof *err, (LPVOID *)&err);
	if (FAILED(sc))
		return sc;
	memset(err, 0, sizeof *err);
	err->ulVersion = MAPI_ERROR_VERSION;
	BOOL wide = (ulFlags & MAPI_UNICODE) != 0;
	sc = error_string_more(text, wide, err, &err->lpszError);
	if (SUCCEEDED(sc))
		sc = error_string_more(component ? component : "mapix", wide, err, &err->lpszComponent);
	if (FAILED(sc)) {
		MAPIFreeBuffer(err);
		return sc;
	}
	*lppMAPIError = err;
	return S_OK;
}

STDAPI_(const char *) MAPIXErrorName(HRESULT hr)
{
	return mapix_error_name(hr);
}
