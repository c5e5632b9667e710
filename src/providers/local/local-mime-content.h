/*
 * local-mime-content.h — keeping PR_INTERNET_CONTENT true (local-mime-content.c).
 * Private to src/providers/local/.
 */
#ifndef MAPIX_LOCAL_MIME_CONTENT_H
#define MAPIX_LOCAL_MIME_CONTENT_H

#include "local-message.h"

/* Called by the save of a stored top-level message inside its write
 * transaction, before the staged content is written: when the staged
 * changes c[0..n) or s's recipients or attachments change what the
 * message's MIME form shows, deletes the stored PR_INTERNET_CONTENT of mid
 * (unless the same save sets or deletes it itself). */
HRESULT local_mime_content_on_save(local_db *db, uint64_t mid, const local_change *c, ULONG n,
                                   const local_msgstate *s);

#endif
