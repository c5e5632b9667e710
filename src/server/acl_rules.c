/*
 * acl_rules.c — what each protocol operation needs on a handle of a
 * folder-permission logon (enum srv_acl_rule, read per handle kind in
 * acl.c). One table, apart from the dispatch tables, so that it can be
 * read at a glance; an operation missing here is refused to such logons.
 */
#include "server.h"

enum srv_acl_rule srv_acl_rule_of(uint32_t op)
{
	if (op >= MPX_OP_TABLE_GETSTATUS && op <= MPX_OP_TABLE_SETCOLLAPSESTATE)
		return SRV_ACL_ANY; /* the table was checked when it was made */
	if (op >= MPX_OP_STREAM_READ && op <= MPX_OP_STREAM_CLONE)
		return SRV_ACL_ANY; /* so was the stream, writable or not */
	switch (op) {
	case MPX_OP_GETNAMESFROMIDS:
	case MPX_OP_GETIDSFROMNAMES:        /* MAPI_CREATE: checked as a write in the handler */
	case MPX_OP_STORE_UNADVISE:
	case MPX_OP_STORE_COMPAREENTRYIDS:
	case MPX_OP_STORE_GETRECEIVEFOLDER: /* an entry ID; opening it is checked */
	case MPX_OP_STORE_LOGOFF:
	case MPX_OP_MANAGE_CREATESTOREENTRYID:
	case MPX_OP_MANAGE_GETMAILBOXTABLE:
		return SRV_ACL_ANY;
	case MPX_OP_GETPROPS:
	case MPX_OP_GETPROPLIST:
	case MPX_OP_OPENPROPERTY:           /* writing: checked as a write in the handler */
	case MPX_OP_COPYTO:                 /* messages only; the destination is checked */
	case MPX_OP_COPYPROPS:
	case MPX_OP_FOLDER_HIERARCHYTABLE:  /* rows of invisible folders filtered out */
	case MPX_OP_MSG_ATTACHMENTTABLE:
	case MPX_OP_MSG_OPENATTACH:
	case MPX_OP_MSG_RECIPIENTTABLE:
	case MPX_OP_MSG_SETREADFLAG:
	case MPX_OP_ACL_GETTABLE:
		return SRV_ACL_READ;
	case MPX_OP_SETPROPS:
	case MPX_OP_DELETEPROPS:
	case MPX_OP_SAVECHANGES:
	case MPX_OP_MSG_CREATEATTACH:
	case MPX_OP_MSG_DELETEATTACH:
	case MPX_OP_MSG_MODIFYRECIPIENTS:
		return SRV_ACL_WRITE;
	case MPX_OP_FOLDER_CONTENTSTABLE:
	case MPX_OP_FOLDER_GETSEARCHCRITERIA:
	case MPX_OP_FOLDER_COPYMESSAGES:    /* a move also deletes: checked in the handler */
	case MPX_OP_FOLDER_SETREADFLAGS:
	case MPX_OP_FOLDER_GETMESSAGESTATUS:
		return SRV_ACL_ITEMS;
	case MPX_OP_FOLDER_CREATEMESSAGE:
		return SRV_ACL_CREATE;
	case MPX_OP_FOLDER_SETMESSAGESTATUS:
		return SRV_ACL_EDIT_ANY;
	case MPX_OP_FOLDER_CREATEFOLDER:
		return SRV_ACL_SUBFOLDER;
	case MPX_OP_FOLDER_SETSEARCHCRITERIA:
	case MPX_OP_FOLDER_SAVECONTENTSSORT:
	case MPX_OP_FOLDER_EMPTYFOLDER:
	case MPX_OP_ACL_MODIFY:
		return SRV_ACL_ADMIN;
	case MPX_OP_OPENENTRY:              /* the folder opened decides */
	case MPX_OP_FOLDER_DELETEMESSAGES:  /* DeleteOwned: each message's creator */
	case MPX_OP_FOLDER_DELETEFOLDER:    /* frightsOwner on the folder deleted */
		return SRV_ACL_SELF;
	default:
		/* Notifications, the change journal, receive folder changes,
		 * submission, folder copies and everything not listed: they reach
		 * beyond the folders an ACL grants. */
		return SRV_ACL_DENY;
	}
}
