/* A hand-written module implementing the whole gennctl module ABI for the
   gpu package tests. One population "P" of N neurons; in variant b, neuron i
   spikes at every time step t with (t + 1) % (i + 1 + offset_b) == 0.

   Runtime slots per variant (row-major, 4 per variant):
     0 "P.offset"  added to every neuron's period
     1 "sleep_us"  microseconds to sleep per time step (max over variants)
     2 "fault"     at time step 5: 1 abort(), 2 SIGSEGV (null write),
                   3 printf() on every step and in init, 4 gn_step error
     3 "unused"

   Variables: "count" (N per variant, spikes so far) and "seed" (1 per
   variant, the variant's seed modulo 2^20).

   Extra global parameters: 0 "table" (scalar*, per variant, initially
   {1, 2}, resizable) and 1 "gain" (scalar, per variant, initially 0.5). */
#define _DEFAULT_SOURCE
#include "gn_abi.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 10
#define NRT 4

struct gn_ctx {
	uint32_t batch;
	double *runtime;
	double *count; /* batch * N */
	double *seed;  /* batch */
	uint64_t *seeds;
	uint64_t t;
	int fault;
	unsigned sleep_us;
	/* spike queue (FIFO) */
	uint32_t *q; /* 4 columns interleaved */
	size_t qhead, qlen, qcap;
	double **table; /* batch arrays */
	size_t *table_n;
	double *gain; /* batch */
	char err[256];
};

static const char desc[] =
    "{\"abi\":5,\"name\":\"toy\",\"backend\":\"cpu\",\"precision\":\"double\",\"dt\":0.1,"
    "\"populations\":[{\"name\":\"P\",\"size\":10,\"record_spikes\":true}],"
    "\"vars\":[{\"owner\":\"P\",\"kind\":\"neuron\",\"name\":\"count\",\"type\":\"scalar\",\"count\":10},"
    "{\"owner\":\"P\",\"kind\":\"neuron\",\"name\":\"seed\",\"type\":\"scalar\",\"count\":1}],"
    "\"runtime\":[\"P.offset\",\"sleep_us\",\"fault\",\"unused\"],"
    "\"synapses\":[],"
    "\"egps\":[{\"owner\":\"P\",\"kind\":\"neuron\",\"name\":\"table\",\"type\":\"scalar*\",\"count\":2,\"path\":\"populations.P.extra_global_params.table\"},"
    "{\"owner\":\"P\",\"kind\":\"neuron\",\"name\":\"gain\",\"type\":\"scalar\",\"count\":1,\"path\":\"populations.P.extra_global_params.gain\"}]}";

const char *gn_describe(void) { return desc; }

gn_ctx *gn_create(uint32_t batch, const uint64_t *seeds, const double *runtime, char *err, size_t errlen) {
	if (batch == 0) {
		snprintf(err, errlen, "toy: batch must be positive");
		return NULL;
	}
	for (uint32_t b = 0; b < batch; b++) {
		if (runtime[b * NRT + 0] < 0) {
			snprintf(err, errlen, "toy: variant %u: negative offset", b);
			return NULL;
		}
	}
	gn_ctx *c = calloc(1, sizeof *c);
	c->batch = batch;
	c->runtime = malloc(sizeof(double) * batch * NRT);
	memcpy(c->runtime, runtime, sizeof(double) * batch * NRT);
	c->seeds = malloc(sizeof(uint64_t) * batch);
	memcpy(c->seeds, seeds, sizeof(uint64_t) * batch);
	c->count = calloc((size_t)batch * N, sizeof(double));
	c->seed = calloc(batch, sizeof(double));
	c->table = calloc(batch, sizeof(double *));
	c->table_n = calloc(batch, sizeof(size_t));
	c->gain = calloc(batch, sizeof(double));
	for (uint32_t b = 0; b < batch; b++) {
		static const double table0[2] = {1, 2};
		c->table[b] = malloc(2 * sizeof(double));
		memcpy(c->table[b], table0, sizeof table0);
		c->table_n[b] = 2;
		c->gain[b] = 0.5;
	}
	for (uint32_t b = 0; b < batch; b++) {
		if ((int)runtime[b * NRT + 2] > c->fault) c->fault = (int)runtime[b * NRT + 2];
		if ((unsigned)runtime[b * NRT + 1] > c->sleep_us) c->sleep_us = (unsigned)runtime[b * NRT + 1];
	}
	return c;
}

int gn_init(gn_ctx *c) {
	c->t = 0;
	c->qhead = c->qlen = 0;
	for (size_t k = 0; k < (size_t)c->batch * N; k++) c->count[k] = 0;
	for (uint32_t b = 0; b < c->batch; b++) c->seed[b] = (double)(c->seeds[b] % (1u << 20));
	if (c->fault == 3) printf("toy: init says hello\n");
	return 0;
}

static void push(gn_ctx *c, uint32_t pop, uint32_t variant, uint32_t neuron, uint32_t step) {
	if (c->qlen == c->qcap) {
		size_t ncap = c->qcap ? 2 * c->qcap : 1024;
		uint32_t *nq = malloc(sizeof(uint32_t) * 4 * ncap);
		for (size_t k = 0; k < c->qlen; k++) {
			size_t src = (c->qhead + k) % (c->qcap ? c->qcap : 1);
			memcpy(nq + 4 * k, c->q + 4 * src, 4 * sizeof(uint32_t));
		}
		free(c->q);
		c->q = nq;
		c->qcap = ncap;
		c->qhead = 0;
	}
	size_t at = (c->qhead + c->qlen) % c->qcap;
	c->q[4 * at + 0] = pop;
	c->q[4 * at + 1] = variant;
	c->q[4 * at + 2] = neuron;
	c->q[4 * at + 3] = step;
	c->qlen++;
}

int gn_step(gn_ctx *c, uint32_t n) {
	for (uint32_t k = 0; k < n; k++) {
		if (c->t == 5) {
			switch (c->fault) {
			case 1: abort();
			case 2: raise(SIGSEGV); break;
			case 4: snprintf(c->err, sizeof c->err, "toy: fault 4 at step %llu", (unsigned long long)c->t); return 1;
			}
		}
		if (c->fault == 3) printf("toy: step %llu\n", (unsigned long long)c->t);
		if (c->sleep_us) usleep(c->sleep_us);
		for (uint32_t b = 0; b < c->batch; b++) {
			uint64_t off = (uint64_t)c->runtime[b * NRT + 0];
			for (uint32_t i = 0; i < N; i++) {
				uint64_t period = i + 1 + off;
				if ((c->t + 1) % period == 0) {
					c->count[(size_t)b * N + i] += 1;
					push(c, 0, b, i, (uint32_t)c->t);
				}
			}
		}
		c->t++;
	}
	return 0;
}

/* The toy steps on one thread whatever it is given. */
int gn_set_threads(gn_ctx *c, uint32_t n) { (void)c; (void)n; return 0; }

uint64_t gn_timestep(gn_ctx *c) { return c->t; }

size_t gn_spikes_pending(gn_ctx *c) { return c->qlen; }

size_t gn_drain_spikes(gn_ctx *c, uint32_t *pop, uint32_t *variant, uint32_t *neuron, uint32_t *step, size_t cap) {
	size_t n = c->qlen < cap ? c->qlen : cap;
	for (size_t k = 0; k < n; k++) {
		size_t at = (c->qhead + k) % c->qcap;
		pop[k] = c->q[4 * at + 0];
		variant[k] = c->q[4 * at + 1];
		neuron[k] = c->q[4 * at + 2];
		step[k] = c->q[4 * at + 3];
	}
	if (n) c->qhead = (c->qhead + n) % c->qcap;
	c->qlen -= n;
	return n;
}

int gn_get_var(gn_ctx *c, uint32_t var, uint32_t variant, double *out) {
	if (variant >= c->batch) { snprintf(c->err, sizeof c->err, "toy: bad variant %u", variant); return 1; }
	switch (var) {
	case 0: memcpy(out, c->count + (size_t)variant * N, N * sizeof(double)); return 0;
	case 1: out[0] = c->seed[variant]; return 0;
	}
	snprintf(c->err, sizeof c->err, "toy: bad var %u", var);
	return 1;
}

int gn_set_var(gn_ctx *c, uint32_t var, uint32_t variant, const double *in) {
	if (variant >= c->batch) { snprintf(c->err, sizeof c->err, "toy: bad variant %u", variant); return 1; }
	switch (var) {
	case 0: memcpy(c->count + (size_t)variant * N, in, N * sizeof(double)); return 0;
	case 1: snprintf(c->err, sizeof c->err, "toy: seed is read-only"); return 1;
	}
	snprintf(c->err, sizeof c->err, "toy: bad var %u", var);
	return 1;
}

int gn_set_egp(gn_ctx *c, uint32_t egp, uint32_t variant, const double *values, size_t n) {
	if (variant >= c->batch) { snprintf(c->err, sizeof c->err, "toy: bad variant %u", variant); return 1; }
	switch (egp) {
	case 0: {
		double *p = realloc(c->table[variant], (n ? n : 1) * sizeof(double));
		if (!p) { snprintf(c->err, sizeof c->err, "toy: out of memory"); return 1; }
		if (n) memcpy(p, values, n * sizeof(double));
		c->table[variant] = p;
		c->table_n[variant] = n;
		return 0;
	}
	case 1:
		if (n != 1) { snprintf(c->err, sizeof c->err, "toy: gain is a scalar"); return 1; }
		c->gain[variant] = values[0];
		return 0;
	}
	snprintf(c->err, sizeof c->err, "toy: bad egp %u", egp);
	return 1;
}

int gn_get_egp(gn_ctx *c, uint32_t egp, uint32_t variant, double *out, size_t cap, size_t *n) {
	if (variant >= c->batch) { snprintf(c->err, sizeof c->err, "toy: bad variant %u", variant); return 1; }
	switch (egp) {
	case 0:
		if (n) *n = c->table_n[variant];
		for (size_t k = 0; k < c->table_n[variant] && k < cap; k++) out[k] = c->table[variant][k];
		return 0;
	case 1:
		if (n) *n = 1;
		if (cap) out[0] = c->gain[variant];
		return 0;
	}
	snprintf(c->err, sizeof c->err, "toy: bad egp %u", egp);
	return 1;
}

/* The toy's variables are counts: always finite. */
int gn_find_nonfinite(gn_ctx *c, uint32_t *first) {
	for (uint32_t b = 0; b < 2 * c->batch; b++) first[b] = UINT32_MAX;
	return 0;
}

/* The toy has no custom updates, no settable runtime parameters and no
   current-spike access (as a module of a backend without those features). */
int gn_custom_update(gn_ctx *c, uint32_t group, uint32_t variant) {
	(void)variant;
	snprintf(c->err, sizeof c->err, "toy: no custom update group %u", group);
	return 1;
}

int gn_set_runtime(gn_ctx *c, uint32_t slot, uint32_t variant, double value) {
	(void)slot; (void)variant; (void)value;
	snprintf(c->err, sizeof c->err, "toy: runtime parameters are fixed");
	return 1;
}

int gn_current_spikes(gn_ctx *c, uint32_t pop, uint32_t variant, uint32_t *out, size_t cap, size_t *n) {
	(void)pop; (void)variant; (void)out; (void)cap; (void)n;
	snprintf(c->err, sizeof c->err, "toy: no current spikes");
	return 1;
}

int gn_set_current_spikes(gn_ctx *c, uint32_t pop, uint32_t variant, const uint32_t *in, size_t n) {
	(void)pop; (void)variant; (void)in; (void)n;
	snprintf(c->err, sizeof c->err, "toy: no current spikes");
	return 1;
}

const char *gn_error(gn_ctx *c) { return c->err; }

void gn_destroy(gn_ctx *c) {
	if (!c) return;
	if (c->table)
		for (uint32_t b = 0; b < c->batch; b++) free(c->table[b]);
	free(c->table);
	free(c->table_n);
	free(c->gain);
	free(c->runtime);
	free(c->count);
	free(c->seed);
	free(c->seeds);
	free(c->q);
	free(c);
}
