/*
 * mime-tnef-ytnef.c — libytnef behind the plain structures of mime-tnef.h.
 * This is the only file that sees libytnef's headers (see mime-tnef.h for
 * why); it copies nothing, the structures point into libytnef's tree.
 */
#include <stdio.h> /* ytnef.h needs FILE */
#include <stdlib.h>
#include <string.h>

#include <ytnef.h>

#include "mime/mime-tnef.h"

static int convert_props(MAPIProps *in, mapix_tnef_prop **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (in->count == 0)
		return 0;
	mapix_tnef_prop *props = calloc(in->count, sizeof *props);
	if (!props)
		return -1;
	for (DWORD i = 0; i < in->count; i++) {
		MAPIProperty *p = &in->properties[i];
		mapix_tnef_prop *q = &props[i];
		q->tag = p->id;
		q->named = p->custom != 0;
		memcpy(q->guid, p->guid, 16);
		if (q->named && p->namedproperty > 0 && p->propnames && p->propnames[0].size > 0) {
			q->name = p->propnames[0].data;
			q->name_size = (size_t)p->propnames[0].size;
		}
		/* libytnef keeps the lid of an MNID_ID name in the property's
		 * id field's upper word when the property is custom. */
		q->lid = p->id >> 16;
		q->count = p->count;
		if (p->count > 0) {
			q->values = calloc(p->count, sizeof *q->values);
			if (!q->values) {
				for (DWORD k = 0; k < i; k++)
					free(props[k].values);
				free(props);
				return -1;
			}
			for (ULONG k = 0; k < p->count; k++) {
				q->values[k].data = p->data[k].data;
				q->values[k].size = p->data[k].size > 0 ? (size_t)p->data[k].size : 0;
			}
		}
	}
	*out = props;
	*n = in->count;
	return 0;
}

static void free_props(mapix_tnef_prop *props, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(props[i].values);
	free(props);
}

/* TNEFFree frees the attachment list but not the list head, which
 * libytnef fills when attachment attributes come before the first
 * attAttachRenddata. */
static void free_tree(TNEFStruct *t)
{
	TNEFFree(t);
	TNEFFreeAttachment(&t->starting_attach);
	free(t);
}

int mapix_tnef_parse(const uint8_t *data, size_t len, mapix_tnef *out)
{
	TNEFStruct *t;

	uint8_t *clean;
	size_t clean_len = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if (len < 6 || len > 0x7FFFFFFF || !(clean = mapix_tnef_sanitize(data, len, &clean_len)))
		return -1;
	t = calloc(1, sizeof *t);
	if (!t) {
		free(clean);
		return -1;
	}
	TNEFInitialize(t);
	t->Debug = 0;
	/* libytnef copies what it keeps, so the clean copy can go at once. */
	rc = TNEFParseMemory(clean, (long)clean_len, t);
	free(clean);
	if (rc != 0) {
		free_tree(t);
		return -1;
	}
	out->opaque = t;
	if (convert_props(&t->MapiProperties, &out->props, &out->nprops) != 0)
		goto fail;
	size_t n = 0;
	for (Attachment *a = t->starting_attach.next; a; a = a->next)
		n++;
	if (n) {
		out->attachments = calloc(n, sizeof *out->attachments);
		if (!out->attachments)
			goto fail;
	}
	for (Attachment *a = t->starting_attach.next; a; a = a->next) {
		mapix_tnef_attach *d = &out->attachments[out->nattachments++];
		if (convert_props(&a->MAPI, &d->props, &d->nprops) != 0)
			goto fail;
		d->title.data = a->Title.data;
		d->title.size = a->Title.size > 0 ? (size_t)a->Title.size : 0;
		d->data.data = a->FileData.data;
		d->data.size = a->FileData.size > 0 ? (size_t)a->FileData.size : 0;
	}
	memcpy(out->message_class, t->messageClass,
	       sizeof t->messageClass < sizeof out->message_class ? sizeof t->messageClass : sizeof out->message_class);
	out->message_class[sizeof out->message_class - 1] = 0;
	out->subject.data = t->subject.data;
	out->subject.size = t->subject.size > 0 ? (size_t)t->subject.size : 0;
	out->body.data = t->body.data;
	out->body.size = t->body.size > 0 ? (size_t)t->body.size : 0;
	return 0;
fail:
	mapix_tnef_free(out);
	return -1;
}

void mapix_tnef_free(mapix_tnef *out)
{
	free_props(out->props, out->nprops);
	for (size_t i = 0; i < out->nattachments; i++)
		free_props(out->attachments[i].props, out->attachments[i].nprops);
	free(out->attachments);
	if (out->opaque)
		free_tree(out->opaque);
	memset(out, 0, sizeof *out);
}
