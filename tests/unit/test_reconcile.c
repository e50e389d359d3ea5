/*
 * test_reconcile.c: the one find-adopt-create-settle path
 * (provision/reconcile.c), driven by fake lookups and creates, then a
 * customer's onboarding against a scripted server that answers what a
 * well-behaved service never does: {} and {"id":42}, an empty 200, a 500
 * that committed nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "provision/provision.h"
#include "provision/reconcile.h"
#include "testsrv.h"

#define G1	"11111111-2222-4333-8444-555555555555"
#define G2	"66666666-7777-4888-9999-aaaaaaaaaaaa"

/*
 * A fake service: each call takes the next answer of its script (the
 * last repeats).  An answer is JSON text, "" for an empty 2xx body,
 * "!NNN" for an HTTP error status NNN, or "!net" for a lost answer.
 */
struct fake {
	const char	*finds[8];
	size_t		 nfinds;
	const char	*creates[8];
	size_t		 ncreates;
	size_t		 found, created;	/* calls made */
};

static const struct pbi_err *
answer(const char *a, struct json_object **out)
{
	struct pbi_err	*e;

	*out = NULL;
	if (strcmp(a, "!net") == 0)
		return pbi_err(PBI_ERR_NET, "connection closed");
	if (a[0] == '!') {
		e = pbi_err_slot();
		e->code = PBI_ERR_HTTP;
		e->status = atol(a + 1);
		snprintf(e->msg, sizeof(e->msg), "HTTP %ld", e->status);
		return e;
	}
	if (a[0] != '\0')
		assert_non_null(*out = pj_parse(a, strlen(a)));
	return NULL;
}

static const struct pbi_err *
fake_find(struct pbi_prov *p, const void *arg, struct json_object **out)
{
	struct fake	*f = (struct fake *)arg;
	size_t		 i = f->found < f->nfinds ? f->found : f->nfinds - 1;

	(void)p;
	f->found++;
	return answer(f->finds[i], out);
}

static const struct pbi_err *
fake_create(struct pbi_prov *p, const void *arg, struct json_object **out)
{
	struct fake	*f = (struct fake *)arg;
	size_t		 i = f->created < f->ncreates ? f->created :
			    f->ncreates - 1;

	(void)p;
	f->created++;
	return answer(f->creates[i], out);
}

struct state {
	char			 path[64];
	struct pbi_ledger	*l;
	struct pbi_prov		 p;
	struct fake		 f;
	struct prov_object	 o;
};

static int
setup(void **state)
{
	struct state	*s = calloc(1, sizeof(*s));
	int		 fd;

	assert_non_null(s);
	snprintf(s->path, sizeof(s->path), "/tmp/pbictl-recon-XXXXXX");
	assert_true((fd = mkstemp(s->path)) >= 0);
	close(fd);
	unlink(s->path);
	assert_null(pbi_ledger_open(s->path, PBI_LEDGER_CREATE, &s->l));
	pbi_prov_init(&s->p, NULL, s->l, 0);
	s->o.what = "workspace 'cust-x'";
	s->o.step = "workspace.create";
	s->o.target = "cust-x";
	s->o.flags = PROV_GUID;
	s->o.resends = 2;
	s->o.find = fake_find;
	s->o.create = fake_create;
	s->o.arg = &s->f;
	*state = s;
	return 0;
}

static int
teardown(void **state)
{
	struct state	*s = *state;
	char		 p[80];

	pbi_ledger_close(s->l);
	unlink(s->path);
	snprintf(p, sizeof(p), "%s-wal", s->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", s->path);
	unlink(p);
	free(s);
	return 0;
}

/* Script the fake: finds and creates, NULL-terminated lists. */
static void
script(struct fake *f, const char *const *finds, const char *const *creates)
{
	memset(f, 0, sizeof(*f));
	for (; finds[f->nfinds] != NULL; f->nfinds++)
		f->finds[f->nfinds] = finds[f->nfinds];
	for (; creates[f->ncreates] != NULL; f->ncreates++)
		f->creates[f->ncreates] = creates[f->ncreates];
}

/* The journal's states for the step, oldest first, joined by ','. */
static const char *
journal(struct state *s, char *buf, size_t len)
{
	struct json_object	*log = NULL;
	size_t			 i, n;

	buf[0] = '\0';
	assert_null(pbi_ledger_log(s->l, NULL, 0, &log));
	for (i = 0; i < pj_len(log); i++) {
		n = strlen(buf);
		snprintf(buf + n, len - n, "%s%s", n ? "," : "",
		    pj_str(pj_idx(log, i), "state"));
	}
	json_object_put(log);
	return buf;
}

static void
garbled_answers_are_looked_up(void **state)
{
	static const char *const bad[] = { "{}", "{\"id\":42}",
	    "{\"id\":\"not-a-guid\"}", "{\"id\":\"../../etc\"}",
	    "{\"id\":\"00000000-0000-0000-0000-000000000000\"}", NULL };
	struct state		*s = *state;
	struct json_object	*obj;
	enum prov_how		 how;
	char			 j[256];
	size_t			 i;

	for (i = 0; bad[i] != NULL; i++) {
		const char *finds[] = { "", "{\"id\":\"" G1 "\"}", NULL };
		const char *creates[] = { bad[i], NULL };

		script(&s->f, finds, creates);
		assert_null(prov_reconcile(&s->p, &s->o, &obj, &how));
		assert_int_equal(how, PROV_RECOVERED);
		assert_string_equal(prov_object_id(&s->o, obj), G1);
		assert_int_equal(s->f.created, 1);
		json_object_put(obj);
	}
	assert_string_equal(journal(s, j, sizeof(j)),
	    "adopted,adopted,adopted,adopted,adopted");
}

static void
empty_answer_is_never_stored(void **state)
{
	struct state		*s = *state;
	struct json_object	*obj;
	enum prov_how		 how;
	const char		*finds[] = { "", NULL };
	const char		*creates[] = { "", "{\"id\":\"" G2 "\"}", NULL };

	/* Nothing shows after the empty 200: sent again, once. */
	script(&s->f, finds, creates);
	assert_null(prov_reconcile(&s->p, &s->o, &obj, &how));
	assert_int_equal(how, PROV_CREATED);
	assert_non_null(obj);
	assert_string_equal(prov_object_id(&s->o, obj), G2);
	assert_int_equal(s->f.created, 2);
	json_object_put(obj);
}

static void
a_500_proven_absent_is_sent_again(void **state)
{
	struct state		*s = *state;
	struct json_object	*obj = NULL;
	const struct pbi_err	*err;
	enum prov_how		 how;
	char			 j[256];
	const char		*finds[] = { "", NULL };
	const char		*ok[] = { "!500", "!net",
	    "{\"id\":\"" G2 "\"}", NULL };
	const char		*never[] = { "!500", NULL };

	script(&s->f, finds, ok);
	assert_null(prov_reconcile(&s->p, &s->o, &obj, &how));
	assert_int_equal(how, PROV_CREATED);
	assert_int_equal(s->f.created, 3);
	assert_int_equal(s->f.found, 3);	/* first look, two lookups */
	json_object_put(obj);
	/* Bounded: the first send and two more. */
	script(&s->f, finds, never);
	err = prov_reconcile(&s->p, &s->o, &obj, &how);
	assert_non_null(err);
	assert_null(obj);
	assert_int_equal(err->status, 500);
	assert_non_null(strstr(err->msg, "cannot create workspace 'cust-x'"));
	assert_int_equal(s->f.created, 3);
	assert_string_equal(journal(s, j, sizeof(j)), "ok,failed");
	/* A name that is not unique is never sent twice. */
	s->o.resends = 0;
	script(&s->f, finds, never);
	assert_non_null(prov_reconcile(&s->p, &s->o, &obj, &how));
	assert_int_equal(s->f.created, 1);
}

static void
ids_from_lookups_are_checked(void **state)
{
	struct state		*s = *state;
	struct json_object	*obj = NULL;
	const struct pbi_err	*err;
	enum prov_how		 how;
	const char		*bad[] = { "{\"id\":\"../../etc\"}", NULL };
	const char		*after[] = { "", "{\"name\":\"cust-x\"}", NULL };
	const char		*creates[] = { "!503", NULL };

	script(&s->f, bad, creates);
	err = prov_reconcile(&s->p, &s->o, &obj, &how);
	assert_non_null(err);
	assert_int_equal(err->code, PBI_ERR_PROTO);
	assert_non_null(strstr(err->msg, "invalid id '../../etc'"));
	assert_int_equal(s->f.created, 0);
	script(&s->f, after, creates);
	err = prov_reconcile(&s->p, &s->o, &obj, &how);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "without an id"));
	assert_null(obj);
}

static void
found_is_ours_only_if_journalled(void **state)
{
	struct state		*s = *state;
	struct json_object	*obj = NULL;
	const struct pbi_err	*err;
	enum prov_how		 how;
	int64_t			 id;
	const char		*finds[] = { "{\"id\":\"" G1 "\"}", NULL };
	const char		*creates[] = { "!500", NULL };

	script(&s->f, finds, creates);
	err = prov_reconcile(&s->p, &s->o, &obj, &how);
	assert_non_null(err);
	assert_int_equal(err->code, PBI_ERR_REFUSED);
	assert_non_null(strstr(err->msg, "did not create it"));
	/* A killed run's intent: adopted, and settled. */
	assert_null(pbi_ledger_intent(s->l, "old", 0, "workspace.create",
	    "cust-x", &id));
	script(&s->f, finds, creates);
	assert_null(prov_reconcile(&s->p, &s->o, &obj, &how));
	assert_int_equal(how, PROV_FOUND);
	assert_int_equal(s->f.created, 0);
	json_object_put(obj);
	/* A unique key needs no journal. */
	teardown(state);
	setup(state);
	s = *state;
	s->o.flags |= PROV_ADOPT_ANY;
	script(&s->f, finds, creates);
	assert_null(prov_reconcile(&s->p, &s->o, &obj, &how));
	assert_int_equal(how, PROV_FOUND);
	json_object_put(obj);
}

static void
a_409_alone_is_no_evidence(void **state)
{
	struct state		*s = *state;
	struct json_object	*obj = NULL;
	const struct pbi_err	*err;
	enum prov_how		 how;
	int			 yes;
	const char		*finds[] = { "", "{\"id\":\"" G1 "\"}", NULL };
	const char		*none[] = { "", NULL };
	const char		*conflict[] = { "!409", NULL };
	const char		*after500[] = { "!500", "!409", NULL };

	/* It appeared between the look and the create: someone else's. */
	script(&s->f, finds, conflict);
	err = prov_reconcile(&s->p, &s->o, &obj, &how);
	assert_non_null(err);
	assert_int_equal(err->status, 409);
	assert_non_null(strstr(err->msg, "someone else's"));
	assert_null(pbi_ledger_journaled(s->l, "workspace.create", "cust-x",
	    0, &yes));
	assert_false(yes);
	/* Taken, and not visible: refused, the 409 kept. */
	script(&s->f, none, conflict);
	err = prov_reconcile(&s->p, &s->o, &obj, &how);
	assert_non_null(err);
	assert_int_equal(err->status, 409);
	assert_non_null(strstr(err->msg, "does not show to this principal"));
	assert_int_equal(s->f.created, 1);
	/* After our own 500, a 409 is our first create landing late. */
	{
		const char *f3[] = { "", "", "{\"id\":\"" G1 "\"}", NULL };

		script(&s->f, f3, after500);
	}
	assert_null(prov_reconcile(&s->p, &s->o, &obj, &how));
	assert_int_equal(how, PROV_RECOVERED);
	assert_int_equal(s->f.created, 2);
	json_object_put(obj);
	/* With a unique key, what the lookup shows after a 409 is ours. */
	s->o.target = "cust-y";
	s->o.flags |= PROV_ADOPT_ANY;
	script(&s->f, finds, conflict);
	assert_null(prov_reconcile(&s->p, &s->o, &obj, &how));
	assert_int_equal(how, PROV_RECOVERED);
	json_object_put(obj);
}

/*
 * A unique key never tried: the create goes without a lookup first; a
 * 500 on it is looked up (and sent again only when proven absent); an
 * object of the key made by someone else answers 409, is looked up and
 * refused; once tried, a re-run looks first.
 */
static void
a_unique_key_never_tried_is_created_without_a_lookup(void **state)
{
	struct state		*s = *state;
	struct json_object	*obj = NULL;
	const struct pbi_err	*err;
	enum prov_how		 how;
	char			 j[256];
	const char		*none[] = { "", NULL };
	const char		*theirs[] = { "{\"id\":\"" G1 "\"}", NULL };
	const char		*ok[] = { "{\"id\":\"" G2 "\"}", NULL };
	const char		*e500[] = { "!500", "{\"id\":\"" G2 "\"}",
	    NULL };
	const char		*e409[] = { "!409", NULL };

	s->o.flags |= PROV_UNIQUE;
	script(&s->f, none, ok);
	assert_null(prov_reconcile(&s->p, &s->o, &obj, &how));
	assert_int_equal(how, PROV_CREATED);
	assert_int_equal(s->f.found, 0);
	assert_int_equal(s->f.created, 1);
	json_object_put(obj);
	/* Tried now: the same key is looked up first, and adopted. */
	script(&s->f, ok, ok);
	assert_null(prov_reconcile(&s->p, &s->o, &obj, &how));
	assert_int_equal(how, PROV_FOUND);
	assert_int_equal(s->f.found, 1);
	assert_int_equal(s->f.created, 0);
	json_object_put(obj);

	/* A 500 on a first create: looked up, absent, sent again. */
	s->o.target = "cust-500";
	script(&s->f, none, e500);
	assert_null(prov_reconcile(&s->p, &s->o, &obj, &how));
	assert_int_equal(how, PROV_CREATED);
	assert_int_equal(s->f.found, 1);
	assert_int_equal(s->f.created, 2);
	json_object_put(obj);

	/* Someone else's: 409, looked up, refused; nothing adopted. */
	s->o.target = "cust-theirs";
	script(&s->f, theirs, e409);
	err = prov_reconcile(&s->p, &s->o, &obj, &how);
	assert_non_null(err);
	assert_null(obj);
	assert_int_equal(err->status, 409);
	assert_non_null(strstr(err->msg, "someone else's"));
	assert_int_equal(s->f.found, 1);
	assert_int_equal(s->f.created, 1);
	/* Its re-run looks first and still refuses, sending no create. */
	script(&s->f, theirs, e409);
	assert_non_null(prov_reconcile(&s->p, &s->o, &obj, &how));
	assert_int_equal(s->f.found, 1);
	assert_int_equal(s->f.created, 0);
	assert_string_equal(journal(s, j, sizeof(j)), "ok,ok,failed");
}

static void
a_dry_run_creates_nothing(void **state)
{
	struct state		*s = *state;
	struct json_object	*obj = NULL;
	enum prov_how		 how;
	char			 j[64];
	const char		*finds[] = { "", NULL };
	const char		*creates[] = { "", NULL };

	s->p.dry_run = 1;
	script(&s->f, finds, creates);
	assert_null(prov_reconcile(&s->p, &s->o, &obj, &how));
	assert_int_equal(how, PROV_CREATED);
	assert_null(obj);
	assert_int_equal(s->f.created, 1);
	assert_string_equal(journal(s, j, sizeof(j)), "");
}

/*
 * The same through a customer's onboarding, on the wire: a scripted
 * server plays Entra ID and Power BI.
 */
#define TOKEN	{ 200, NULL, "{\"token_type\":\"Bearer\",\"expires_in\":3599," \
		  "\"access_token\":\"t\"}", 0 }
#define NONE	{ 200, NULL, "{\"value\":[]}", 0 }
#define PROFILE	{ 200, NULL, "{\"value\":[{\"id\":\"" G1 "\"," \
		  "\"displayName\":\"cust-acme\"}]}", 0 }
#define GROUP	{ 200, NULL, "{\"value\":[{\"id\":\"" G2 "\"," \
		  "\"name\":\"cust-acme\"}]}", 0 }

/* Onboard customer acme against script; *status its outcome. */
static void
onboard(const struct ts_resp *script_, size_t n, struct testsrv *ts,
    struct pbi_customer *c, int *ok)
{
	struct pbi_authconf	 ac;
	struct pbi_cust_opts	 o;
	struct pbi_svc		*svc = NULL;
	struct pbi_ledger	*l = NULL;
	struct pbi_prov		 p;
	struct json_object	*res = json_object_new_object();
	char			 path[64];
	int			 fd, found;

	assert_int_equal(ts_start(ts, script_, n), 0);
	setenv("PBICTL_LOGIN_URL", ts_url(ts, ""), 1);
	setenv("PBICTL_POWERBI_URL", ts_url(ts, ""), 1);
	setenv("PBICTL_GRAPH_URL", ts_url(ts, ""), 1);
	setenv("AZURE_CLIENT_SECRET", "s", 1);
	memset(&ac, 0, sizeof(ac));
	ac.tenant = "contoso.onmicrosoft.com";
	ac.client_id = G1;
	assert_null(pbi_svc_new(NULL, &ac, 0, 0, &svc));
	snprintf(path, sizeof(path), "/tmp/pbictl-recon-XXXXXX");
	assert_true((fd = mkstemp(path)) >= 0);
	close(fd);
	unlink(path);
	assert_null(pbi_ledger_open(path, PBI_LEDGER_CREATE, &l));
	pbi_prov_init(&p, svc, l, 0);
	assert_null(pbi_prov_load(&p));
	memset(&o, 0, sizeof(o));
	*ok = pbi_customer_onboard(&p, "acme", &o, res) == NULL;
	assert_null(pbi_ledger_customer(l, "acme", c, &found));
	assert_true(found);
	json_object_put(res);
	pbi_prov_release(&p);
	pbi_ledger_close(l);
	pbi_svc_free(svc);
	unlink(path);
	{
		char	 side[80];

		snprintf(side, sizeof(side), "%s-wal", path);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", path);
		unlink(side);
	}
	ts_stop(ts);
}

/* How many requests of ts were method on a path starting with prefix. */
static int
sent(const struct testsrv *ts, const char *method, const char *prefix)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < ts->nreqs; i++)
		if (strcmp(ts->reqs[i].method, method) == 0 &&
		    strncmp(ts->reqs[i].url, prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

static void
onboard_survives_answers_without_an_id(void **state)
{
	static const struct ts_resp script_[] = {
		TOKEN,
		/* A new customer: no lookup before the creates. */
		{ 200, NULL, "{}", 0 },			/* POST /profiles */
		PROFILE,				/* did it land? */
		{ 200, NULL, "{\"id\":42}", 0 },	/* POST /groups */
		GROUP,					/* did it land? */
	};
	struct testsrv		 ts;
	struct pbi_customer	 c;
	int			 ok;

	(void)state;
	onboard(script_, sizeof(script_) / sizeof(script_[0]), &ts, &c, &ok);
	assert_true(ok);
	assert_string_equal(c.profile_id, G1);
	assert_string_equal(c.workspace_id, G2);
	assert_int_equal(sent(&ts, "POST", "/v1.0/myorg/profiles"), 1);
	assert_int_equal(sent(&ts, "POST", "/v1.0/myorg/groups"), 1);
	/* One lookup each, after the answer without an id. */
	assert_int_equal(sent(&ts, "GET", "/v1.0/myorg/profiles"), 1);
	assert_int_equal(sent(&ts, "GET", "/v1.0/myorg/groups"), 1);
}

static void
onboard_never_stores_an_empty_answer(void **state)
{
	static const struct ts_resp script_[] = {
		TOKEN,
		{ 200, NULL, NULL, 0 },			/* POST /profiles */
		PROFILE,
		{ 201, NULL, NULL, 0 },			/* POST /groups */
		GROUP,
	};
	struct testsrv		 ts;
	struct pbi_customer	 c;
	int			 ok;

	(void)state;
	onboard(script_, sizeof(script_) / sizeof(script_[0]), &ts, &c, &ok);
	assert_true(ok);
	assert_string_equal(c.profile_id, G1);
	assert_string_equal(c.workspace_id, G2);
}

static void
onboard_resends_a_create_that_did_not_land(void **state)
{
	static const struct ts_resp script_[] = {
		TOKEN,
		{ 500, NULL, "{\"error\":{\"code\":\"X\"}}", 0 },
		NONE,					/* not created */
		{ 200, NULL, "{\"id\":\"" G1 "\"}", 0 },	/* again */
		{ 502, NULL, NULL, 0 },			/* POST /groups */
		NONE,					/* not created */
		{ 200, NULL, "{\"id\":\"" G2 "\"}", 0 },	/* again */
	};
	struct testsrv		 ts;
	struct pbi_customer	 c;
	int			 ok;

	(void)state;
	onboard(script_, sizeof(script_) / sizeof(script_[0]), &ts, &c, &ok);
	assert_true(ok);
	assert_string_equal(c.status, "active");
	assert_string_equal(c.profile_id, G1);
	assert_string_equal(c.workspace_id, G2);
	assert_int_equal(sent(&ts, "POST", "/v1.0/myorg/profiles"), 2);
	assert_int_equal(sent(&ts, "POST", "/v1.0/myorg/groups"), 2);
	/* The lookup after each 5xx, none before the first create. */
	assert_int_equal(sent(&ts, "GET", "/v1.0/myorg/profiles"), 1);
	assert_int_equal(sent(&ts, "GET", "/v1.0/myorg/groups"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(garbled_answers_are_looked_up,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(empty_answer_is_never_stored,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    a_500_proven_absent_is_sent_again, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    a_unique_key_never_tried_is_created_without_a_lookup,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(ids_from_lookups_are_checked,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    found_is_ours_only_if_journalled, setup, teardown),
		cmocka_unit_test_setup_teardown(a_409_alone_is_no_evidence,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(a_dry_run_creates_nothing,
		    setup, teardown),
		cmocka_unit_test(onboard_survives_answers_without_an_id),
		cmocka_unit_test(onboard_never_stores_an_empty_answer),
		cmocka_unit_test(onboard_resends_a_create_that_did_not_land),
	};

	return cmocka_run_group_tests_name("reconcile", tests, NULL, NULL);
}
