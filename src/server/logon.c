/*
 * logon.c — password logons over TCP (MPX_OP_LOGON_PASSWORD).
 *
 * A TCP connection has no peer credential: after the TLS handshake and
 * HELLO, its first request must be this logon, with an account name and
 * password checked against the directory's argon2id hash. Success makes
 * the connection's identity "account:NAME" (owner of that account's
 * mailbox; grants and [rights] administrators may name it). A failure is
 * MAPI_E_LOGON_FAILED, one audit line, a count for the rate limiter
 * (throttle.c), and the end of the connection after the reply.
 *
 * Cost. argon2id is deliberately heavy (libsodium's interactive limits:
 * 64 MiB and a fraction of a second of CPU per check). Checks run in the
 * connection's own thread — mapixd serves each connection in a thread of
 * its own, and the accept loop never waits for one — and at most
 * [tcp] max_hashing run at once (a semaphore), so a flood of logons takes
 * a bounded share of CPU and memory and store requests of logged-on
 * clients keep running. A logon that cannot get a slot before the logon
 * deadline ([tcp] handshake_timeout from accept) fails with MAPI_E_BUSY.
 * Locked-out addresses and accounts are refused before any hashing.
 *
 * Unknown accounts and accounts without a password are checked against a
 * dummy hash, so the answer takes as long as for a wrong password and does
 * not tell which names exist. Passwords are never logged and are wiped
 * from memory after the check.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "server.h"

HRESULT srv_logon_init(srv_server *s)
{
	if (sodium_init() < 0)
		return mapix_error(MAPI_E_CALL_FAILED, "mapixd: libsodium failed to initialize");
	if (sem_init(&s->hashing, 0, s->cfg.max_hashing) != 0)
		return mapix_error(MAPI_E_CALL_FAILED, "mapixd: semaphore: %s", strerror(errno));
	BYTE random[32];
	char pw[65];
	randombytes_buf(random, sizeof random);
	sodium_bin2hex(pw, sizeof pw, random, sizeof random);
	if (crypto_pwhash_str(s->dummy_hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapixd: cannot prepare password checking");
	sodium_memzero(pw, sizeof pw);
	return srv_throttle_new(&s->cfg, &s->throttle);
}

void srv_logon_free(srv_server *s)
{
	if (!s->throttle)
		return;
	srv_throttle_free(s->throttle);
	s->throttle = NULL;
	sem_destroy(&s->hashing);
}

/* Waits for a hashing slot until the connection's logon deadline. */
static BOOL take_slot(srv_conn *c)
{
	int64_t deadline = c->logon_deadline;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t left = deadline - srv_now_ms();
	if (left < 0)
		left = 0;
	ts.tv_sec += left / 1000;
	ts.tv_nsec += (left % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	for (;;) {
		if (sem_timedwait(&c->srv->hashing, &ts) == 0)
			return TRUE;
		if (errno != EINTR)
			return FALSE;
	}
}

/* The audit line of a failed logon: who tried is the address, the mailbox
 * is the account named (never the password). */
static void audit_failure(srv_conn *c, const char *account, const char *what)
{
	srv_audit_log(c->srv->audit, &c->id, account, what, MAPI_E_LOGON_FAILED);
}

HRESULT srv_op_logon_password(srv_req *r)
{
	srv_conn *c = r->conn;
	srv_server *s = c->srv;
	char *account, *password;
	SRV_ARG(r, mapix_proto_get_logon(&r->in, &r->arena, &account, &password));
	size_t pwlen = strlen(password);
	HRESULT hr;
	if (!c->tcp) {
		sodium_memzero(password, pwlen);
		return mapix_error(MAPI_E_NO_SUPPORT, "mapixd: password logons are for TCP connections; the UNIX socket "
		                                      "identifies its peers by their credentials");
	}
	if (c->authenticated) {
		sodium_memzero(password, pwlen);
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapixd: this connection is already logged on as %s",
		                   c->id.name);
	}
	/* Every path below ends the connection after the reply, except success. */
	c->close_after_reply = TRUE;
	uint32_t wait = srv_throttle_wait(s->throttle, c->id.address, account);
	if (wait) {
		sodium_memzero(password, pwlen);
		audit_failure(c, account, "Logon(password; locked out)");
		return mapix_error(MAPI_E_LOGON_FAILED, "mapixd: too many failed logons for account %s or from %s; try "
		                                        "again in %u s",
		                   account, c->id.address, (unsigned)((wait + 999) / 1000));
	}
	srv_account a;
	char hash[SRV_HASH_MAX];
	hr = srv_dir_password_hash(s->dir, account, &a, hash);
	if (FAILED(hr) && hr != MAPI_E_NOT_FOUND) {
		sodium_memzero(password, pwlen);
		return hr;
	}
	BOOL known = SUCCEEDED(hr) && hash[0];
	if (!take_slot(c)) {
		sodium_memzero(password, pwlen);
		return mapix_error(MAPI_E_BUSY, "mapixd: too many logons in progress; try again");
	}
	int bad = crypto_pwhash_str_verify(known ? hash : s->dummy_hash, password, pwlen);
	sem_post(&s->hashing);
	sodium_memzero(password, pwlen);
	sodium_memzero(hash, sizeof hash);
	mapix_error_clear();
	if (!known || bad) {
		uint32_t lock = srv_throttle_failure(s->throttle, c->id.address, account);
		audit_failure(c, account, lock ? "Logon(password; now locked out)" : "Logon(password)");
		/* One text for every reason: it must not tell which names exist. */
		return mapix_error(MAPI_E_LOGON_FAILED, "mapixd: logon failed: unknown account or wrong password");
	}
	srv_throttle_success(s->throttle, a.name);
	snprintf(c->id.account, sizeof c->id.account, "%s", a.name);
	snprintf(c->id.name, sizeof c->id.name, "%s%s", SRV_ACCOUNT_PREFIX, a.name);
	c->id.admin = srv_identity_is_admin(&s->cfg, &c->id);
	c->authenticated = TRUE;
	c->close_after_reply = FALSE;
	if (c->pending) {
		c->pending = FALSE;
		atomic_fetch_sub(&s->tcp_pending, 1);
	}
	SRV_OUT(mapix_proto_put_str(&r->out, c->id.name));
	SRV_OUT(mapix_wire_put_u8(&r->out, (BYTE)c->id.admin));
	return S_OK;
}
