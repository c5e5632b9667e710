/*
 * test_propnames.c — the tag and type names of mapixprops.h: every row of
 * the generated table round-trips (tag -> name -> tag, both string flavours,
 * the MS-OXPROPS canonical name), aliases and odd inputs resolve as
 * documented, and the committed table matches mapitags.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <mapix/mapitags.h>
#include <mapix/mapixprops.h>

#include "core/propnames.h"
#include "testutil.h"

static void test_every_row_round_trips(void **state)
{
	(void)state;
	size_t n = mapix_propnames_count();
	ULONG prev = 0;
	/* Windows' mapitags.h alone has some 400 distinct tags. */
	assert_true(n > 500);
	for (size_t i = 0; i < n; i++) {
		ULONG tag;
		const char *name, *canonical;
		char buf[128];
		assert_true(mapix_propnames_row(i, &tag, &name, &canonical));
		assert_true(i == 0 || tag > prev); /* sorted, no duplicates */
		prev = tag;
		assert_int_equal(strncmp(name, "PR_", 3), 0);

		const char *back = mapix_prop_tag_name(tag);
		if (!back || strcmp(back, name) != 0)
			fail_msg("0x%08X is named %s, table says %s", (unsigned)tag, back ? back : "(null)", name);
		if (mapix_prop_tag_from_name(name) != tag)
			fail_msg("%s resolves to 0x%08X, not 0x%08X", name, (unsigned)mapix_prop_tag_from_name(name),
			         (unsigned)tag);
		if (canonical) {
			assert_int_equal(strncmp(canonical, "PidTag", 6), 0);
			assert_int_equal(mapix_prop_tag_from_name(canonical), tag);
		}
		/* Case does not matter. */
		snprintf(buf, sizeof buf, "%s", name);
		for (char *p = buf; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		assert_int_equal(mapix_prop_tag_from_name(buf), tag);

		ULONG type = PROP_TYPE(tag);
		if (type == PT_UNICODE || type == PT_MV_UNICODE) {
			ULONG a = CHANGE_PROP_TYPE(tag, type == PT_UNICODE ? PT_STRING8 : PT_MV_STRING8);
			snprintf(buf, sizeof buf, "%s_W", name);
			assert_int_equal(mapix_prop_tag_from_name(buf), tag);
			snprintf(buf, sizeof buf, "%s_A", name);
			assert_int_equal(mapix_prop_tag_from_name(buf), a);
			assert_string_equal(mapix_prop_tag_name(a), name);
		}
		assert_non_null(mapix_prop_type_name(type));
	}
	assert_false(mapix_propnames_row(n, NULL, NULL, NULL));
}

static void test_known_names(void **state)
{
	(void)state;
	assert_string_equal(mapix_prop_tag_name(PR_SUBJECT_W), "PR_SUBJECT");
	assert_string_equal(mapix_prop_tag_name(PR_SUBJECT_A), "PR_SUBJECT");
	assert_string_equal(mapix_prop_tag_name(PR_ENTRYID), "PR_ENTRYID");
	assert_string_equal(mapix_prop_tag_name(PR_IPM_SUBTREE_ENTRYID), "PR_IPM_SUBTREE_ENTRYID");
	assert_string_equal(mapix_prop_tag_name(PR_ATTACH_DATA_BIN), "PR_ATTACH_DATA_BIN");
	assert_string_equal(mapix_prop_tag_name(PR_ATTACH_DATA_OBJ), "PR_ATTACH_DATA_OBJ");
	assert_string_equal(mapix_prop_tag_name(PR_HTML), "PR_HTML");
	assert_string_equal(mapix_prop_tag_name(PR_BODY_HTML_A), "PR_BODY_HTML");
	assert_string_equal(mapix_prop_tag_name(PR_MESSAGE_SIZE_EXTENDED), "PR_MESSAGE_SIZE_EXTENDED");
	assert_string_equal(mapix_prop_tag_name(PR_CONTACT_EMAIL_ADDRESSES_A), "PR_CONTACT_EMAIL_ADDRESSES");
	assert_string_equal(mapix_prop_tag_name(PR_NULL), "PR_NULL");

	assert_int_equal(mapix_prop_tag_from_name("PR_SUBJECT"), PR_SUBJECT_W);
	assert_int_equal(mapix_prop_tag_from_name("PR_SUBJECT_W"), PR_SUBJECT_W);
	assert_int_equal(mapix_prop_tag_from_name("PR_SUBJECT_A"), PR_SUBJECT_A);
	assert_int_equal(mapix_prop_tag_from_name("pr_subject_a"), PR_SUBJECT_A);
	assert_int_equal(mapix_prop_tag_from_name("PidTagSubject"), PR_SUBJECT_W);
	assert_int_equal(mapix_prop_tag_from_name("PidTagMessageFlags"), PR_MESSAGE_FLAGS);
	assert_int_equal(mapix_prop_tag_from_name("PidTagHasAttachments"), PR_HASATTACH);
	assert_int_equal(mapix_prop_tag_from_name("PR_SMTP_ADDRESS"), 0x39FE001F);
	assert_int_equal(mapix_prop_tag_from_name("PR_CONTACT_EMAIL_ADDRESSES_A"), 0x3A56101E);
	/* A tag defined only as PT_STRING8 keeps its type. */
	assert_int_equal(mapix_prop_tag_from_name("PR_7BIT_DISPLAY_NAME"), 0x39FF001E);
	assert_string_equal(mapix_prop_tag_name(0x39FF001F), "PR_7BIT_DISPLAY_NAME");
}

static void test_aliases(void **state)
{
	(void)state;
	assert_int_equal(mapix_prop_tag_from_name("PR_BUSINESS_ADDRESS_CITY"), PR_LOCALITY_W);
	assert_int_equal(mapix_prop_tag_from_name("PR_BUSINESS_ADDRESS_CITY_A"), PR_LOCALITY_A);
	assert_int_equal(mapix_prop_tag_from_name("PR_OFFICE_TELEPHONE_NUMBER_W"), PR_BUSINESS_TELEPHONE_NUMBER_W);
	assert_int_equal(mapix_prop_tag_from_name("PR_CELLULAR_TELEPHONE_NUMBER"), PR_MOBILE_TELEPHONE_NUMBER_W);
	assert_int_equal(mapix_prop_tag_from_name("PidTagReferredByName"), PR_PREFERRED_BY_NAME_W);
	/* The name of an aliased tag is the primary one. */
	assert_string_equal(mapix_prop_tag_name(PR_BUSINESS_ADDRESS_CITY_A), "PR_LOCALITY");
	assert_string_equal(mapix_prop_tag_name(PR_BEEPER_TELEPHONE_NUMBER_W), "PR_PAGER_TELEPHONE_NUMBER");
}

static void test_error_and_instance_types(void **state)
{
	(void)state;
	/* GetProps reports a missing property as PT_ERROR with the same id. */
	assert_string_equal(mapix_prop_tag_name(PROP_TAG(PT_ERROR, 0x0037)), "PR_SUBJECT");
	assert_string_equal(mapix_prop_tag_name(CHANGE_PROP_TYPE(PR_ENTRYID, PT_ERROR)), "PR_ENTRYID");
	assert_string_equal(mapix_prop_tag_name(PROP_TAG(PT_UNSPECIFIED, 0x0E07)), "PR_MESSAGE_FLAGS");
	assert_string_equal(mapix_prop_tag_name(MVI_PROP(PR_CONTACT_EMAIL_ADDRESSES_W)), "PR_CONTACT_EMAIL_ADDRESSES");
	assert_string_equal(mapix_prop_tag_name(MVI_PROP(PR_ADDITIONAL_REN_ENTRYIDS)), "PR_ADDITIONAL_REN_ENTRYIDS");
	/* A known id with a type it is not defined with has no name. */
	assert_null(mapix_prop_tag_name(PROP_TAG(PT_LONG, 0x0037)));
	assert_null(mapix_prop_tag_name(PROP_TAG(PT_ERROR, 0x7ABC)));
}

static void test_unknown(void **state)
{
	(void)state;
	char longname[300];
	assert_null(mapix_prop_tag_name(PROP_TAG(PT_LONG, 0x7ABC)));
	assert_null(mapix_prop_tag_name(PROP_TAG(PT_BINARY, 0x8001)));
	assert_null(mapix_prop_tag_name(0xFFFFFFFF));
	assert_int_equal(mapix_prop_tag_from_name(NULL), PR_NULL);
	assert_int_equal(mapix_prop_tag_from_name(""), PR_NULL);
	assert_int_equal(mapix_prop_tag_from_name("_W"), PR_NULL);
	assert_int_equal(mapix_prop_tag_from_name("PR_NO_SUCH_TAG"), PR_NULL);
	assert_int_equal(mapix_prop_tag_from_name("PR_SUBJECT_X"), PR_NULL);
	assert_int_equal(mapix_prop_tag_from_name("PR_SUBJECT_W_W"), PR_NULL);
	assert_int_equal(mapix_prop_tag_from_name("PidTagSubject_A"), PR_SUBJECT_A);
	/* _A/_W only exist for string properties. */
	assert_int_equal(mapix_prop_tag_from_name("PR_ENTRYID_W"), PR_NULL);
	assert_int_equal(mapix_prop_tag_from_name("PR_7BIT_DISPLAY_NAME_A"), PR_NULL);
	/* Over-long input is refused without overrunning anything. */
	memset(longname, 'A', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	longname[sizeof longname - 3] = '_';
	assert_int_equal(mapix_prop_tag_from_name(longname), PR_NULL);
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(mapix_prop_type_name(PT_UNICODE), "PT_UNICODE");
	assert_string_equal(mapix_prop_type_name(PT_STRING8), "PT_STRING8");
	assert_string_equal(mapix_prop_type_name(PT_LONG), "PT_LONG");
	assert_string_equal(mapix_prop_type_name(PT_I4), "PT_LONG");
	assert_string_equal(mapix_prop_type_name(PT_SHORT), "PT_I2");
	assert_string_equal(mapix_prop_type_name(PT_BINARY), "PT_BINARY");
	assert_string_equal(mapix_prop_type_name(PT_SYSTIME), "PT_SYSTIME");
	assert_string_equal(mapix_prop_type_name(PT_OBJECT), "PT_OBJECT");
	assert_string_equal(mapix_prop_type_name(PT_ERROR), "PT_ERROR");
	assert_string_equal(mapix_prop_type_name(PT_SVREID), "PT_SVREID");
	assert_string_equal(mapix_prop_type_name(PT_MV_LONG), "PT_MV_LONG");
	assert_string_equal(mapix_prop_type_name(PT_MV_UNICODE), "PT_MV_UNICODE");
	assert_string_equal(mapix_prop_type_name(PT_MV_BINARY), "PT_MV_BINARY");
	assert_string_equal(mapix_prop_type_name(PT_MV_CLSID), "PT_MV_CLSID");
	/* A whole tag works too. */
	assert_string_equal(mapix_prop_type_name(PR_SUBJECT_W), "PT_UNICODE");
	assert_string_equal(mapix_prop_type_name(PR_ADDITIONAL_REN_ENTRYIDS), "PT_MV_BINARY");
	assert_null(mapix_prop_type_name(0x0099));
	assert_null(mapix_prop_type_name(MV_FLAG | PT_BOOLEAN));
	assert_null(mapix_prop_type_name(MVI_FLAG | PT_LONG));
}

/* The committed table must be what the generator makes of mapitags.h. */
static void test_table_matches_header(void **state)
{
	(void)state;
	char *script = mapix_test_source_path("scripts/gen-propnames.py");
	char cmd[4200];
	if (system("command -v python3 >/dev/null 2>&1") != 0) {
		free(script);
		MAPIX_SKIP("python3 is not installed; cannot compare propnames.c with mapitags.h");
	}
	snprintf(cmd, sizeof cmd, "python3 '%s' --check", script);
	free(script);
	int rc = system(cmd);
	assert_true(WIFEXITED(rc));
	assert_int_equal(WEXITSTATUS(rc), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row_round_trips),
		cmocka_unit_test(test_known_names),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_error_and_instance_types),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_table_matches_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
