/*
 * filetime.c — FILETIME arithmetic (FtAddFt, FtSubFt, FtMulDwDw, FtNegFt,
 * with the Windows semantics: the FILETIME is one 64-bit integer and the
 * arithmetic wraps like two's complement) and the mapix conversions between
 * FILETIME (100 ns ticks since 1601-01-01 UTC, PT_SYSTIME) and Unix time.
 *
 * mapix_filetime_from_unix saturates instead of wrapping: a time before
 * 1601-01-01 gives FILETIME 0 and a time past the last representable tick
 * gives 0xFFFFFFFFFFFFFFFF, because PT_SYSTIME values are ordered as
 * unsigned numbers and a wrapped value would sort on the wrong end.
 * Nanoseconds of 10^9 or more carry into the seconds; the part below 100 ns
 * is truncated. mapix_filetime_to_unix is exact for every FILETIME: it
 * floors to the second and returns the rest as nanoseconds in [0, 10^9).
 */
#include <time.h>

#include <mapix/mapiutil.h>

/* Seconds from 1601-01-01 to 1970-01-01. */
#define FILETIME_UNIX_OFFSET INT64_C(11644473600)
#define FILETIME_TICKS_PER_SECOND UINT64_C(10000000)

MAPIX_API uint64_t mapix_filetime_to_u64(FILETIME ft)
{
	return ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
}

MAPIX_API FILETIME mapix_filetime_from_u64(uint64_t v)
{
	FILETIME ft;
	ft.dwLowDateTime = (DWORD)(v & 0xFFFFFFFFu);
	ft.dwHighDateTime = (DWORD)(v >> 32);
	return ft;
}

STDAPI_(FILETIME) FtAddFt(FILETIME ftAddend1, FILETIME ftAddend2)
{
	return mapix_filetime_from_u64(mapix_filetime_to_u64(ftAddend1) + mapix_filetime_to_u64(ftAddend2));
}

STDAPI_(FILETIME) FtSubFt(FILETIME ftMinuend, FILETIME ftSubtrahend)
{
	return mapix_filetime_from_u64(mapix_filetime_to_u64(ftMinuend) - mapix_filetime_to_u64(ftSubtrahend));
}

STDAPI_(FILETIME) FtMulDwDw(DWORD ftMultiplicand, DWORD ftMultiplier)
{
	return mapix_filetime_from_u64((uint64_t)ftMultiplicand * ftMultiplier);
}

STDAPI_(FILETIME) FtNegFt(FILETIME ft)
{
	return mapix_filetime_from_u64(UINT64_C(0) - mapix_filetime_to_u64(ft));
}

MAPIX_API FILETIME mapix_filetime_from_unix(int64_t seconds, uint32_t nanoseconds)
{
	int64_t s1601;
	uint64_t ticks;

	/* Carry whole seconds out of the nanoseconds first (at most 4). */
	if (__builtin_add_overflow(seconds, (int64_t)(nanoseconds / 1000000000u), &seconds))
		return mapix_filetime_from_u64(UINT64_MAX);
	nanoseconds %= 1000000000u;
	if (__builtin_add_overflow(seconds, FILETIME_UNIX_OFFSET, &s1601))
		return mapix_filetime_from_u64(seconds < 0 ? 0 : UINT64_MAX);
	if (s1601 < 0)
		return mapix_filetime_from_u64(0);
	if (__builtin_mul_overflow((uint64_t)s1601, FILETIME_TICKS_PER_SECOND, &ticks) ||
	    __builtin_add_overflow(ticks, (uint64_t)(nanoseconds / 100u), &ticks))
		return mapix_filetime_from_u64(UINT64_MAX);
	return mapix_filetime_from_u64(ticks);
}

MAPIX_API int64_t mapix_filetime_to_unix(FILETIME ft, uint32_t *nanoseconds)
{
	uint64_t ticks = mapix_filetime_to_u64(ft);

	if (nanoseconds)
		*nanoseconds = (uint32_t)(ticks % FILETIME_TICKS_PER_SECOND) * 100u;
	/* ticks / 10^7 < 2^41, so the subtraction cannot overflow. */
	return (int64_t)(ticks / FILETIME_TICKS_PER_SECOND) - FILETIME_UNIX_OFFSET;
}

MAPIX_API FILETIME mapix_filetime_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return mapix_filetime_from_unix((int64_t)time(NULL), 0);
	return mapix_filetime_from_unix((int64_t)ts.tv_sec, (uint32_t)ts.tv_nsec);
}
