/*
 * runas_pam.c — the PAM steps of a session, run by the monitor (root, its
 * own process, so PAM modules act on the monitor and never on the broker):
 * account check, credentials, session open — the LoadUserProfile step — and,
 * at the end, session close, credential deletion and pam_end — the
 * UnloadUserProfile step. There is no authentication: the broker is trusted
 * to pick the user, as cron or su from root are.
 */
#include "runas.h"

#include <errno.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct runas_pam {
	pam_handle_t *h;
	char last_msg[256];
};

/* Nobody can answer prompts: any question fails the conversation, while
 * informational and error texts are kept for the refusal message. */
static int runas_pam_conv(int n, const struct pam_message **msg, struct pam_response **resp,
                          void *data)
{
	struct runas_pam *p = data;
	*resp = NULL;
	for (int i = 0; i < n; i++) {
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			return PAM_CONV_ERR;
		if (msg[i]->msg && msg[i]->msg_style == PAM_ERROR_MSG)
			snprintf(p->last_msg, sizeof(p->last_msg), "%s", msg[i]->msg);
	}
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	*resp = r;
	return PAM_SUCCESS;
}

static void describe(char *msg, size_t msgsz, const char *user, const char *what,
                     struct runas_pam *p, int rc)
{
	snprintf(msg, msgsz, "runas: PAM %s for %s failed: %s%s%s", what, user,
	         pam_strerror(p->h, rc), p->last_msg[0] ? ": " : "", p->last_msg);
}

int runas_pam_open(const char *service, const char *confdir, const char *user,
                   struct runas_pam **out, char *msg, size_t msgsz, int *err)
{
	*out = NULL;
	struct runas_pam *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(msg, msgsz, "runas: out of memory");
		*err = ENOMEM;
		return -1;
	}
	struct pam_conv conv = {.conv = runas_pam_conv, .appdata_ptr = p};
	int rc = confdir ? pam_start_confdir(service, user, &conv, confdir, &p->h)
	                 : pam_start(service, user, &conv, &p->h);
	if (rc != PAM_SUCCESS) {
		snprintf(msg, msgsz, "runas: pam_start(%s) failed: %s", service, pam_strerror(p->h, rc));
		*err = EACCES;
		if (p->h)
			pam_end(p->h, rc);
		free(p);
		return -1;
	}
	rc = pam_acct_mgmt(p->h, PAM_SILENT);
	if (rc == PAM_NEW_AUTHTOK_REQD) {
		snprintf(msg, msgsz, "runas: refused: the password of %s has expired and must be "
		         "changed first", user);
		*err = EKEYEXPIRED;
	} else if (rc == PAM_ACCT_EXPIRED) {
		snprintf(msg, msgsz, "runas: refused: the account %s has expired", user);
		*err = EKEYEXPIRED;
	} else if (rc != PAM_SUCCESS) {
		describe(msg, msgsz, user, "account check", p, rc);
		*err = EACCES;
	}
	if (rc != PAM_SUCCESS) {
		pam_end(p->h, rc);
		free(p);
		return -1;
	}
	rc = pam_setcred(p->h, PAM_ESTABLISH_CRED | PAM_SILENT);
	if (rc != PAM_SUCCESS) {
		describe(msg, msgsz, user, "setcred", p, rc);
		*err = EACCES;
		pam_end(p->h, rc);
		free(p);
		return -1;
	}
	rc = pam_open_session(p->h, PAM_SILENT);
	if (rc != PAM_SUCCESS) {
		describe(msg, msgsz, user, "session open", p, rc);
		*err = EACCES;
		pam_setcred(p->h, PAM_DELETE_CRED | PAM_SILENT);
		pam_end(p->h, rc);
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

char **runas_pam_env(struct runas_pam *p)
{
	return p ? pam_getenvlist(p->h) : NULL;
}

void runas_pam_close(struct runas_pam *p)
{
	if (!p)
		return;
	int rc = pam_close_session(p->h, PAM_SILENT);
	int rc2 = pam_setcred(p->h, PAM_DELETE_CRED | PAM_SILENT);
	pam_end(p->h, rc != PAM_SUCCESS ? rc : rc2);
	free(p);
}
