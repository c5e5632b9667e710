/*
 * test_folder_rights.c — the folder permission evaluator
 * (src/core/folder_rights.c): every Outlook role against every folder
 * operation, owned and not owned, plus validation, normalization and role
 * names.
 */
#include <stdio.h>

#include <mapix/edkmdb.h>

#include "core/folder_rights.h"
#include "testutil.h"

enum { SEE, READ, CREATE, EDIT_OWN, EDIT_ANY, DEL_OWN, DEL_ANY, SUBFOLDER, ADMIN, N_CHECKS };

/* What each role allows, column by column (1 = allowed). Read straight
 * from the Exchange documentation of the permission levels. */
static const struct {
	const char *name;
	ULONG rights;
	int allows[N_CHECKS];
} ROLES[] = {
	/*                                      see rd cr eo ea do da sf adm */
	{"Owner", ROLE_OWNER, {1, 1, 1, 1, 1, 1, 1, 1, 1}},
	{"Publishing Editor", ROLE_PUBLISH_EDITOR, {1, 1, 1, 1, 1, 1, 1, 1, 0}},
	{"Editor", ROLE_EDITOR, {1, 1, 1, 1, 1, 1, 1, 0, 0}},
	{"Publishing Author", ROLE_PUBLISH_AUTHOR, {1, 1, 1, 1, 0, 1, 0, 1, 0}},
	{"Author", ROLE_AUTHOR, {1, 1, 1, 1, 0, 1, 0, 0, 0}},
	{"Nonediting Author", ROLE_NONEDITING_AUTHOR, {1, 1, 1, 0, 0, 1, 0, 0, 0}},
	{"Reviewer", ROLE_REVIEWER, {1, 1, 0, 0, 0, 0, 0, 0, 0}},
	{"Contributor", ROLE_CONTRIBUTOR, {1, 0, 1, 0, 0, 0, 0, 0, 0}},
	{"None", ROLE_NONE, {1, 0, 0, 0, 0, 0, 0, 0, 0}},
	{"None", rightsNone, {0, 0, 0, 0, 0, 0, 0, 0, 0}},
};

static int check(ULONG rights, int which)
{
	switch (which) {
	case SEE:
		return mapix_frights_allows(rights, MAPIX_FOP_SEE, FALSE);
	case READ:
		return mapix_frights_allows(rights, MAPIX_FOP_READ_ITEMS, FALSE);
	case CREATE:
		return mapix_frights_allows(rights, MAPIX_FOP_CREATE_ITEM, FALSE);
	case EDIT_OWN:
		return mapix_frights_allows(rights, MAPIX_FOP_EDIT_ITEM, TRUE);
	case EDIT_ANY:
		return mapix_frights_allows(rights, MAPIX_FOP_EDIT_ITEM, FALSE);
	case DEL_OWN:
		return mapix_frights_allows(rights, MAPIX_FOP_DELETE_ITEM, TRUE);
	case DEL_ANY:
		return mapix_frights_allows(rights, MAPIX_FOP_DELETE_ITEM, FALSE);
	case SUBFOLDER:
		return mapix_frights_allows(rights, MAPIX_FOP_CREATE_SUBFOLDER, FALSE);
	case ADMIN:
		return mapix_frights_allows(rights, MAPIX_FOP_ADMINISTER, FALSE);
	}
	return -1;
}

static void test_every_role(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof ROLES / sizeof ROLES[0]; i++) {
		for (int c = 0; c < N_CHECKS; c++) {
			int got = check(ROLES[i].rights, c);
			if (got != ROLES[i].allows[c])
				print_error("role %s (0x%03X), check %d: got %d\n", ROLES[i].name, (unsigned)ROLES[i].rights, c,
				            got);
			assert_int_equal(got, ROLES[i].allows[c]);
			/* The free/busy bits never change a folder check. */
			assert_int_equal(check(ROLES[i].rights | MAPIX_FRIGHTS_FREEBUSY, c), ROLES[i].allows[c]);
		}
		assert_string_equal(mapix_frights_role_name(ROLES[i].rights), ROLES[i].name);
		assert_true(mapix_frights_valid(ROLES[i].rights));
		/* Roles are already in normal form. */
		assert_int_equal(mapix_frights_normalize(ROLES[i].rights), ROLES[i].rights);
	}
}

static void test_single_bits(void **state)
{
	(void)state;
	/* Each bit alone allows exactly its own operation. */
	assert_true(check(frightsVisible, SEE));
	assert_false(check(frightsVisible, READ));
	assert_true(check(frightsReadAny, READ));
	assert_false(check(frightsReadAny, SEE));
	assert_true(check(frightsCreate, CREATE));
	assert_false(check(frightsCreate, EDIT_OWN));
	assert_true(check(frightsEditOwned, EDIT_OWN));
	assert_false(check(frightsEditOwned, EDIT_ANY));
	assert_true(check(frightsEditAny, EDIT_ANY));
	assert_true(check(frightsEditAny, EDIT_OWN));
	assert_true(check(frightsDeleteOwned, DEL_OWN));
	assert_false(check(frightsDeleteOwned, DEL_ANY));
	assert_true(check(frightsDeleteAny, DEL_ANY));
	assert_true(check(frightsCreateSubfolder, SUBFOLDER));
	assert_false(check(frightsCreateSubfolder, CREATE));
	assert_true(check(frightsOwner, ADMIN));
	/* A folder owner can reach the folder it administers. */
	assert_true(check(frightsOwner, SEE));
	assert_false(check(frightsOwner, READ));
	assert_false(check(frightsContact, SEE));
	assert_false(check(frightsContact, ADMIN));
}

static void test_valid_and_normalize(void **state)
{
	(void)state;
	assert_true(mapix_frights_valid(0));
	assert_true(mapix_frights_valid(0x1FFB));
	assert_false(mapix_frights_valid(0x4));      /* bit 2 is not defined */
	assert_false(mapix_frights_valid(0x2000));
	assert_false(mapix_frights_valid(0x80000000));
	assert_int_equal(mapix_frights_normalize(frightsEditAny), frightsEditAny | frightsEditOwned);
	assert_int_equal(mapix_frights_normalize(frightsDeleteAny), frightsDeleteAny | frightsDeleteOwned);
	assert_int_equal(mapix_frights_normalize(frightsReadAny), frightsReadAny);
	/* The role names that Kopano-style servers wrote (Editor without the
	 * Owned bits) normalize to the spec-conforming ones. */
	assert_int_equal(mapix_frights_normalize(0x463), ROLE_EDITOR);
	assert_int_equal(mapix_frights_normalize(0x4E3), ROLE_PUBLISH_EDITOR);
	assert_string_equal(mapix_frights_role_name(0x401 | frightsFreeBusySimple), "Reviewer");
	assert_string_equal(mapix_frights_role_name(frightsReadAny), "Custom");
	assert_string_equal(mapix_frights_op_name(MAPIX_FOP_READ_ITEMS), "read items");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_role),
		cmocka_unit_test(test_single_bits),
		cmocka_unit_test(test_valid_and_normalize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
