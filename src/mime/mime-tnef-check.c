/*
 * mime-tnef-check.c — a structural check of a TNEF stream (MS-OXTNEF 2.1)
 * before libytnef sees it. libytnef trusts lengths in places and ends the
 * process on a property type it does not know; mail is untrusted input, so
 * only streams whose every attribute and MAPI property stays inside its
 * bounds, uses a known type and has a correct checksum are handed over,
 * and of those only the attributes mapix uses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime/mime-tnef.h"

#define TNEF_SIGNATURE 0x223E9F78u
#define ATT_MAPI_PROPS 0x00069003u
#define ATT_ATTACHMENT 0x00069005u
#define ATT_ATTACH_RENDDATA 0x00069002u

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Size of one value of a fixed-size type, 0 for variable types, -1 unknown. */
static int fixed_size(uint32_t type)
{
	switch (type) {
	case 0x0002: /* PT_I2 */
	case 0x0003: /* PT_LONG */
	case 0x0004: /* PT_R4 */
	case 0x000A: /* PT_ERROR */
	case 0x000B: /* PT_BOOLEAN */
		return 4;
	case 0x0005: /* PT_DOUBLE */
	case 0x0006: /* PT_CURRENCY */
	case 0x0007: /* PT_APPTIME */
	case 0x0014: /* PT_I8 */
	case 0x0040: /* PT_SYSTIME */
		return 8;
	case 0x0048: /* PT_CLSID */
		return 16;
	case 0x000D: /* PT_OBJECT */
	case 0x001E: /* PT_STRING8 */
	case 0x001F: /* PT_UNICODE */
	case 0x0102: /* PT_BINARY */
		return 0;
	}
	return -1;
}

static int check_props(const uint8_t *p, size_t len)
{
	size_t pos = 4;
	if (len < 4)
		return -1;
	uint32_t count = le32(p);
	if (count > len / 4)
		return -1;
	for (uint32_t i = 0; i < count; i++) {
		if (len - pos < 4)
			return -1;
		uint32_t tag = le32(p + pos);
		pos += 4;
		uint32_t type = tag & 0xFFFF, id = tag >> 16;
		if (id >= 0x8000) {
			if (len - pos < 20)
				return -1;
			uint32_t kind = le32(p + pos + 16);
			pos += 20;
			if (kind == 0) {
				if (len - pos < 4)
					return -1;
				pos += 4;
			} else if (kind == 1) {
				if (len - pos < 4)
					return -1;
				size_t n = le32(p + pos);
				pos += 4;
				if (n > len - pos || pad4(n) > len - pos)
					return -1;
				pos += pad4(n);
			} else {
				return -1;
			}
		}
		uint32_t values = 1;
		if (type & 0x1000) {
			type &= ~0x1000u;
			if (len - pos < 4)
				return -1;
			values = le32(p + pos);
			pos += 4;
			if (values == 0 || values > len)
				return -1;
		}
		int fs = fixed_size(type);
		if (fs < 0)
			return -1;
		if (fs > 0) {
			if ((size_t)fs * values > len - pos)
				return -1;
			pos += (size_t)fs * values;
			continue;
		}
		if (!(tag & 0x1000)) {
			/* single-valued variable types carry a value count first */
			if (len - pos < 4)
				return -1;
			pos += 4;
		}
		for (uint32_t v = 0; v < values; v++) {
			if (len - pos < 4)
				return -1;
			size_t n = le32(p + pos);
			pos += 4;
			if (n > 0x7FFFFFF0u || n > len - pos || pad4(n) > len - pos)
				return -1;
			pos += pad4(n);
		}
	}
	/* libytnef refuses a block with bytes left over (and says so). */
	return pos == len ? 0 : -1;
}

/* Attribute ids seen at the current level; libytnef overwrites (and leaks)
 * what a repeated attribute set before, so a repeat is refused. */
typedef struct seen_ids {
	uint32_t id[64];
	int n;
} seen_ids;

static int seen_before(seen_ids *s, uint32_t id)
{
	for (int i = 0; i < s->n; i++)
		if (s->id[i] == id)
			return 1;
	if (s->n < 64)
		s->id[s->n++] = id;
	return 0;
}

/* The attributes libytnef stores in the current attachment. */
static int attachment_attr(uint32_t id)
{
	switch (id) {
	case 0x0006800Fu: /* attAttachData */
	case 0x00018010u: /* attAttachTitle */
	case 0x00068011u: /* attAttachMetaFile */
	case 0x00038012u: /* attAttachCreateDate */
	case 0x00038013u: /* attAttachModifyDate */
	case 0x00069001u: /* attAttachTransportFilename */
	case ATT_ATTACH_RENDDATA:
	case ATT_ATTACHMENT:
		return 1;
	}
	return 0;
}

/* The attributes mapix uses, with the sizes libytnef's handlers accept;
 * everything else (down-level dates, senders, recipient tables...) is left
 * out of the copy libytnef parses. */
static int wanted(uint32_t id, size_t n)
{
	switch (id) {
	case ATT_MAPI_PROPS:
	case ATT_ATTACHMENT:
	case 0x0006800Fu: /* attAttachData */
	case 0x0002800Cu: /* attBody */
		return n >= 1;
	case ATT_ATTACH_RENDDATA:
		return n == 14;
	case 0x00018010u: /* attAttachTitle */
		return n >= 1 && n <= 255;
	case 0x00078008u: /* attMessageClass: a 50-byte field in libytnef */
		return n >= 1 && n < 50;
	}
	return 0;
}

uint8_t *mapix_tnef_sanitize(const uint8_t *data, size_t len, size_t *outlen)
{
	seen_ids message = {.n = 0}, attachment = {.n = 0};
	size_t pos = 6, o = 6;
	uint8_t *out;

	if (len < 6 || le32(data) != TNEF_SIGNATURE)
		return NULL;
	out = malloc(len);
	if (!out)
		return NULL;
	memcpy(out, data, 6);
	while (pos < len) {
		if (len - pos < 9)
			goto bad;
		uint8_t level = data[pos];
		uint32_t id = le32(data + pos + 1);
		size_t n = le32(data + pos + 5);
		if ((level != 1 && level != 2) || n > len - pos - 9 || len - pos - 9 - n < 2)
			goto bad;
		const uint8_t *body = data + pos + 9;
		/* libytnef reports a bad checksum on stdout; refuse it here. */
		uint32_t sum = 0;
		for (size_t i = 0; i < n; i++)
			sum += body[i];
		if ((sum & 0xFFFF) != (uint32_t)(body[n] | body[n + 1] << 8))
			goto bad;
		if (wanted(id, n)) {
			if (id == ATT_ATTACH_RENDDATA)
				attachment.n = 0; /* a new attachment starts */
			/* libytnef files attributes by id, whatever their level,
			 * and leaks what a repeated one set before. */
			if (seen_before(attachment_attr(id) ? &attachment : &message, id))
				goto bad;
			if ((id == ATT_MAPI_PROPS || id == ATT_ATTACHMENT) && check_props(body, n) != 0)
				goto bad;
			memcpy(out + o, data + pos, 9 + n + 2);
			o += 9 + n + 2;
		}
		pos += 9 + n + 2;
	}
	*outlen = o;
	return out;
bad:
	free(out);
	return NULL;
}
