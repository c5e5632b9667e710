/*
 * exchform.h — the Exchange client's form verbs, with the values of
 * Microsoft's exchform.h: what PR_LAST_VERB_EXECUTED (PidTagLastVerbExecuted)
 * records when a message was replied to or forwarded.
 */
#ifndef MAPIX_EXCHFORM_H
#define MAPIX_EXCHFORM_H

#define EXCHIVERB_OPEN 0
#define EXCHIVERB_RESERVED_COMPOSE 100
#define EXCHIVERB_RESERVED_OPEN 101
#define EXCHIVERB_REPLYTOSENDER 102
#define EXCHIVERB_REPLYTOALL 103
#define EXCHIVERB_FORWARD 104
#define EXCHIVERB_PRINT 105
#define EXCHIVERB_SAVEAS 106
#define EXCHIVERB_RESERVED_DELIVERY 107
#define EXCHIVERB_REPLYTOFOLDER 108

#endif /* MAPIX_EXCHFORM_H */
