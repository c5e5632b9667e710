/*
 * test_filetime.c — FILETIME arithmetic with Windows' wrap-around semantics
 * and the FILETIME <-> Unix time conversions of src/core/filetime.c:
 * the epoch offset, negative Unix times, flooring, nanosecond carry and
 * saturation at both ends.
 */
#include <time.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>

#include "testutil.h"

#define EPOCH_TICKS UINT64_C(116444736000000000) /* 1970-01-01 as FILETIME */

static FILETIME ft(uint64_t v)
{
	return mapix_filetime_from_u64(v);
}

static uint64_t u(FILETIME f)
{
	return mapix_filetime_to_u64(f);
}

static void test_u64(void **state)
{
	FILETIME f = {0x89ABCDEFu, 0x01234567u};
	(void)state;
	assert_true(u(f) == UINT64_C(0x0123456789ABCDEF));
	f = ft(UINT64_C(0xFEDCBA9876543210));
	assert_int_equal(f.dwLowDateTime, 0x76543210u);
	assert_int_equal(f.dwHighDateTime, 0xFEDCBA98u);
}

static void test_arithmetic(void **state)
{
	FILETIME a = {0xFFFFFFFFu, 0}, one = {1, 0}, r;
	(void)state;

	r = FtAddFt(a, one); /* carry into the high part */
	assert_int_equal(r.dwLowDateTime, 0);
	assert_int_equal(r.dwHighDateTime, 1);
	assert_true(u(FtAddFt(ft(UINT64_MAX), ft(2))) == 1); /* wraps */
	assert_true(u(FtAddFt(ft(12345), ft(67890))) == 80235);

	r = FtSubFt(ft(UINT64_C(0x100000000)), one); /* borrow */
	assert_int_equal(r.dwLowDateTime, 0xFFFFFFFFu);
	assert_int_equal(r.dwHighDateTime, 0);
	assert_true(u(FtSubFt(ft(0), one)) == UINT64_MAX);
	assert_true(u(FtSubFt(ft(100), ft(30))) == 70);

	assert_true(u(FtMulDwDw(0xFFFFFFFFu, 0xFFFFFFFFu)) == UINT64_C(0xFFFFFFFE00000001));
	assert_true(u(FtMulDwDw(10000000u, 86400u)) == UINT64_C(864000000000));
	assert_true(u(FtMulDwDw(0, 0xFFFFFFFFu)) == 0);

	assert_true(u(FtNegFt(one)) == UINT64_MAX);
	assert_true(u(FtNegFt(ft(0))) == 0);
	assert_true(u(FtNegFt(ft(UINT64_C(0x8000000000000000)))) == UINT64_C(0x8000000000000000));
	/* x + (-x) == 0 and -(-x) == x; a - b == a + (-b). */
	for (uint64_t x = 1; x < UINT64_MAX / 3; x = x * 7 + 3) {
		assert_true(u(FtAddFt(ft(x), FtNegFt(ft(x)))) == 0);
		assert_true(u(FtNegFt(FtNegFt(ft(x)))) == x);
		assert_true(u(FtSubFt(ft(12345), ft(x))) == u(FtAddFt(ft(12345), FtNegFt(ft(x)))));
	}
}

static void test_from_unix(void **state)
{
	(void)state;
	assert_true(u(mapix_filetime_from_unix(0, 0)) == EPOCH_TICKS);
	assert_true(u(mapix_filetime_from_unix(0, 0)) == UINT64_C(0x019DB1DED53E8000));
	/* 2000-01-01T00:00:00Z */
	assert_true(u(mapix_filetime_from_unix(946684800, 0)) == UINT64_C(125911584000000000));
	/* Sub-second part: 100 ns ticks, the rest truncated. */
	assert_true(u(mapix_filetime_from_unix(0, 150)) == EPOCH_TICKS + 1);
	assert_true(u(mapix_filetime_from_unix(0, 999999999)) == EPOCH_TICKS + 9999999);
	/* Nanoseconds past a second carry. */
	assert_true(u(mapix_filetime_from_unix(0, 1999999999)) == EPOCH_TICKS + 19999999);
	assert_true(u(mapix_filetime_from_unix(-5, 4000000000u)) == EPOCH_TICKS - 10000000);
	/* Before 1970. */
	assert_true(u(mapix_filetime_from_unix(-1, 0)) == EPOCH_TICKS - 10000000);
	assert_true(u(mapix_filetime_from_unix(-1, 500000000)) == EPOCH_TICKS - 5000000);
	/* 1601-01-01 exactly, and before it: saturates at 0. */
	assert_true(u(mapix_filetime_from_unix(-INT64_C(11644473600), 0)) == 0);
	assert_true(u(mapix_filetime_from_unix(-INT64_C(11644473600), 100)) == 1);
	assert_true(u(mapix_filetime_from_unix(-INT64_C(11644473601), 999999999)) == 0);
	assert_true(u(mapix_filetime_from_unix(INT64_MIN, 0)) == 0);
	/* Past the last tick: saturates at the maximum. */
	assert_true(u(mapix_filetime_from_unix(INT64_MAX, 0)) == UINT64_MAX);
	assert_true(u(mapix_filetime_from_unix(INT64_MAX, 4000000000u)) == UINT64_MAX);
	assert_true(u(mapix_filetime_from_unix(INT64_C(1844674407370) - INT64_C(11644473600) + 1, 0)) == UINT64_MAX);
	assert_true(u(mapix_filetime_from_unix(INT64_C(1844674407370) - INT64_C(11644473600), 0)) ==
	            UINT64_C(18446744073700000000));
}

static void test_to_unix(void **state)
{
	uint32_t ns = 1;
	(void)state;
	assert_true(mapix_filetime_to_unix(ft(EPOCH_TICKS), &ns) == 0);
	assert_int_equal(ns, 0);
	/* One tick before the epoch floors to -1 s + 999999900 ns. */
	assert_true(mapix_filetime_to_unix(ft(EPOCH_TICKS - 1), &ns) == -1);
	assert_int_equal(ns, 999999900);
	assert_true(mapix_filetime_to_unix(ft(EPOCH_TICKS - 5000000), &ns) == -1);
	assert_int_equal(ns, 500000000);
	assert_true(mapix_filetime_to_unix(ft(EPOCH_TICKS + 10000001), &ns) == 1);
	assert_int_equal(ns, 100);
	assert_true(mapix_filetime_to_unix(ft(0), &ns) == -INT64_C(11644473600));
	assert_int_equal(ns, 0);
	assert_true(mapix_filetime_to_unix(ft(UINT64_MAX), &ns) == INT64_C(1844674407370) - INT64_C(11644473600));
	assert_int_equal(ns, 955161500);
	assert_true(mapix_filetime_to_unix(ft(UINT64_C(125911584000000000)), NULL) == 946684800);
}

static void test_roundtrip(void **state)
{
	uint64_t seed = 42;
	(void)state;
	for (int i = 0; i < 20000; i++) {
		int64_t s;
		uint32_t ns, ns2;
		seed = seed * UINT64_C(6364136223846793005) + 1442695040888963407u;
		s = (int64_t)(seed >> 24) % INT64_C(40000000000) - INT64_C(11644473600);
		ns = (uint32_t)(seed % 1000000000u);
		assert_true(mapix_filetime_to_unix(mapix_filetime_from_unix(s, ns), &ns2) == s);
		assert_int_equal(ns2, ns - ns % 100);
	}
}

static void test_now(void **state)
{
	time_t before = time(NULL);
	FILETIME now = mapix_filetime_now();
	time_t after = time(NULL);
	int64_t s = mapix_filetime_to_unix(now, NULL);
	(void)state;
	assert_true(s >= (int64_t)before - 1 && s <= (int64_t)after + 1);
	/* Later calls never go backwards by more than clock adjustments would. */
	assert_true(u(mapix_filetime_now()) + 10000000 >= u(now));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_arithmetic),
		cmocka_unit_test(test_from_unix),
		cmocka_unit_test(test_to_unix),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_now),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
