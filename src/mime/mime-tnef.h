/*
 * mime-tnef.h — the boundary between libytnef and mapix. libytnef's own
 * headers define BYTE, ULONG, PT_* and PROP_TAG as macros that clash with
 * the MAPI headers, so mime-tnef-ytnef.c (the only file that includes them)
 * turns a parsed TNEF stream into these plain structures, and mime-tnef.c
 * (which includes only mapix headers) turns those into MAPI properties.
 */
#ifndef MAPIX_MIME_TNEF_H
#define MAPIX_MIME_TNEF_H

#include <stddef.h>
#include <stdint.h>

typedef struct mapix_tnef_value {
	const uint8_t *data;
	size_t size;
} mapix_tnef_value;

typedef struct mapix_tnef_prop {
	uint32_t tag;         /* PROP_TAG(type, id); id >= 0x8000 for named ones */
	int named;            /* a named property: guid with lid or name */
	uint8_t guid[16];
	uint32_t lid;         /* MNID_ID when name is NULL */
	const uint8_t *name;  /* MNID_STRING: UTF-16LE, NUL-terminated, or NULL */
	size_t name_size;
	uint32_t count;       /* values (1 for single-valued types) */
	mapix_tnef_value *values;
} mapix_tnef_prop;

typedef struct mapix_tnef_attach {
	mapix_tnef_prop *props;
	size_t nprops;
	mapix_tnef_value title; /* attAttachTitle (8-bit file name) */
	mapix_tnef_value data;  /* attAttachData */
} mapix_tnef_attach;

typedef struct mapix_tnef {
	void *opaque; /* the library's parse tree: every pointer above points into it */
	mapix_tnef_prop *props;
	size_t nprops;
	mapix_tnef_attach *attachments;
	size_t nattachments;
	char message_class[64]; /* attMessageClass, "" when absent */
	mapix_tnef_value subject;
	mapix_tnef_value body; /* attBody (8-bit text) */
} mapix_tnef;

/* A malloc'd copy of the stream with only the attributes mapix uses, when
 * all of the stream is well-formed enough for libytnef
 * (mime-tnef-check.c); NULL otherwise. */
uint8_t *mapix_tnef_sanitize(const uint8_t *data, size_t len, size_t *outlen);
/* Parses TNEF (through mapix_tnef_sanitize); returns 0, or -1 when the data is not a valid TNEF stream. */
int mapix_tnef_parse(const uint8_t *data, size_t len, mapix_tnef *out);
void mapix_tnef_free(mapix_tnef *t);

#endif
