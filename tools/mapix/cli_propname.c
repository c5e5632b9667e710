/*
 * cli_propname.c — how a property is spelled on the command line (--columns,
 * --sort, --where): short aliases for the everyday message and folder
 * properties, else whatever mapix_prop_tag_from_name knows (PR_ and PidTag
 * names), else a hex tag. The alias table is the one docs/cli.md lists.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <mapix/mapitags.h>
#include <mapix/mapixprops.h>

#include "cli_where.h"

static const struct {
	const char *alias;
	ULONG tag;
} aliases[] = {
	{"subject", PR_SUBJECT_W},
	{"from", PR_SENDER_NAME_W},
	{"fromaddr", PR_SENDER_EMAIL_ADDRESS_W},
	{"to", PR_DISPLAY_TO_W},
	{"cc", PR_DISPLAY_CC_W},
	{"bcc", PR_DISPLAY_BCC_W},
	{"date", PR_MESSAGE_DELIVERY_TIME},
	{"sent", PR_CLIENT_SUBMIT_TIME},
	{"created", PR_CREATION_TIME},
	{"modified", PR_LAST_MODIFICATION_TIME},
	{"size", PR_MESSAGE_SIZE},
	{"class", PR_MESSAGE_CLASS_W},
	{"flags", PR_MESSAGE_FLAGS},
	{"importance", PR_IMPORTANCE},
	{"sensitivity", PR_SENSITIVITY},
	{"body", PR_BODY_W},
	{"name", PR_DISPLAY_NAME_W},
	{"messageid", PR_INTERNET_MESSAGE_ID_W},
	{"entryid", PR_ENTRYID},
	{"hasattach", PR_HASATTACH},
};

static const cli_flag_word flag_words[] = {
	{"read", MSGFLAG_READ, BMR_NEZ},
	{"unread", MSGFLAG_READ, BMR_EQZ},
	{"unsent", MSGFLAG_UNSENT, BMR_NEZ},
	{"hasattach", MSGFLAG_HASATTACH, BMR_NEZ},
};

static int same_word(const char *word, const char *s, size_t len)
{
	return strlen(word) == len && strncasecmp(word, s, len) == 0;
}

const cli_flag_word *cli_flag_lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof flag_words / sizeof flag_words[0]; i++)
		if (same_word(flag_words[i].name, name, len))
			return &flag_words[i];
	return NULL;
}

ULONG cli_prop_lookup(const char *name, size_t len)
{
	char buf[128];
	if (!name || !len || len >= sizeof buf)
		return PR_NULL;
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		if (same_word(aliases[i].alias, name, len))
			return aliases[i].tag;
	if (len == 10 && name[0] == '0' && (name[1] == 'x' || name[1] == 'X')) {
		ULONG tag = 0;
		for (size_t i = 2; i < len; i++) {
			int c = (unsigned char)name[i];
			if (!isxdigit(c))
				return PR_NULL;
			tag = (tag << 4) | (ULONG)(isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
		}
		return tag;
	}
	memcpy(buf, name, len);
	buf[len] = 0;
	return mapix_prop_tag_from_name(buf);
}

const char *cli_prop_alias(ULONG tag)
{
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		if (aliases[i].tag == tag)
			return aliases[i].alias;
	return NULL;
}
