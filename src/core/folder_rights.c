/*
 * folder_rights.c — the one evaluator of folder permission bits
 * (folder_rights.h). Each published bit is independent: a role is only a
 * name for a combination, so the checks test bits, never role values.
 */
#include "core/folder_rights.h"

BOOL mapix_frights_valid(ULONG rights)
{
	return (rights & ~MAPIX_FRIGHTS_VALID) == 0;
}

ULONG mapix_frights_normalize(ULONG rights)
{
	if (rights & frightsEditAny)
		rights |= frightsEditOwned;
	if (rights & frightsDeleteAny)
		rights |= frightsDeleteOwned;
	return rights;
}

BOOL mapix_frights_allows(ULONG rights, enum mapix_folder_op op, BOOL owned)
{
	switch (op) {
	case MAPIX_FOP_SEE:
		/* A folder owner can always reach the folder it administers. */
		return (rights & (frightsVisible | frightsOwner)) != 0;
	case MAPIX_FOP_READ_ITEMS:
		return (rights & frightsReadAny) != 0;
	case MAPIX_FOP_CREATE_ITEM:
		return (rights & frightsCreate) != 0;
	case MAPIX_FOP_EDIT_ITEM:
		return (rights & frightsEditAny) || (owned && (rights & frightsEditOwned));
	case MAPIX_FOP_DELETE_ITEM:
		return (rights & frightsDeleteAny) || (owned && (rights & frightsDeleteOwned));
	case MAPIX_FOP_CREATE_SUBFOLDER:
		return (rights & frightsCreateSubfolder) != 0;
	case MAPIX_FOP_ADMINISTER:
		return (rights & frightsOwner) != 0;
	}
	return FALSE;
}

const char *mapix_frights_role_name(ULONG rights)
{
	static const struct {
		ULONG rights;
		const char *name;
	} roles[] = {
		{ROLE_OWNER, "Owner"},
		{ROLE_PUBLISH_EDITOR, "Publishing Editor"},
		{ROLE_EDITOR, "Editor"},
		{ROLE_PUBLISH_AUTHOR, "Publishing Author"},
		{ROLE_AUTHOR, "Author"},
		{ROLE_NONEDITING_AUTHOR, "Nonediting Author"},
		{ROLE_REVIEWER, "Reviewer"},
		{ROLE_CONTRIBUTOR, "Contributor"},
		{ROLE_NONE, "None"},
		{rightsNone, "None"},
	};
	rights &= ~MAPIX_FRIGHTS_FREEBUSY;
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (roles[i].rights == rights)
			return roles[i].name;
	return "Custom";
}

const char *mapix_frights_op_name(enum mapix_folder_op op)
{
	switch (op) {
	case MAPIX_FOP_SEE:
		return "see the folder";
	case MAPIX_FOP_READ_ITEMS:
		return "read items";
	case MAPIX_FOP_CREATE_ITEM:
		return "create items";
	case MAPIX_FOP_EDIT_ITEM:
		return "edit items";
	case MAPIX_FOP_DELETE_ITEM:
		return "delete items";
	case MAPIX_FOP_CREATE_SUBFOLDER:
		return "create subfolders";
	case MAPIX_FOP_ADMINISTER:
		return "administer the folder";
	}
	return "?";
}
