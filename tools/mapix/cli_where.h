/*
 * cli_where.h — naming properties on the command line and the --where
 * language of `mapix store ls` (docs/cli.md, "Restrictions"). Kept apart
 * from the rest of the CLI (no printing, no mailbox) so that the fuzz target
 * tests/fuzz/fuzz_cli_where.c can compile exactly these two files:
 * cli_propname.c and cli_where.c.
 */
#ifndef MAPIX_CLI_WHERE_H
#define MAPIX_CLI_WHERE_H

#include <stddef.h>

#include <mapix/mapix.h>

/*
 * The tag named by the len bytes at name: a short alias ("subject", "from",
 * "date", "size"...; the table is in cli_propname.c and docs/cli.md), a PR_
 * name or MS-OXPROPS canonical name (mapix_prop_tag_from_name; string
 * properties come as PT_UNICODE), or a hex tag "0x0037001F". All but hex
 * compare without regard to case. PR_NULL when unknown.
 */
ULONG cli_prop_lookup(const char *name, size_t len);

/* The short alias of tag (same property id and type), or NULL. */
const char *cli_prop_alias(ULONG tag);

/* The flag words of --where ("read", "unread", "unsent", "hasattach"): tests
 * of PR_MESSAGE_FLAGS bits. */
typedef struct cli_flag_word {
	const char *name;
	ULONG mask;
	ULONG relBMR; /* BMR_NEZ: the bit is set; BMR_EQZ: it is clear */
} cli_flag_word;
const cli_flag_word *cli_flag_lookup(const char *name, size_t len);

/* Nesting deeper than this (parentheses and "not") is refused, well inside
 * MAPIX_RESTRICTION_MAX_DEPTH. */
#define CLI_WHERE_MAX_DEPTH 32

/*
 * Parses a --where expression into an SRestriction in one MAPIAllocateBuffer
 * root (free with MAPIFreeBuffer). On a syntax or type error returns
 * MAPI_E_INVALID_PARAMETER and writes "column N: <reason>" into err (N counts
 * bytes from 1); MAPI_E_NOT_ENOUGH_MEMORY when allocation fails. Never
 * prints.
 */
HRESULT cli_where_parse(const char *text, LPSRestriction *lppRes, char *err, size_t errlen);

#endif
