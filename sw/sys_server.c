/* The system model's own thread (sys_server.h): requests are handed over
 * through one slot guarded by a mutex; the caller waits on a condition
 * variable until the thread has run its network. */
#include "sys_server.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sys_net.h"

typedef struct request {
  const ts_sys_opts *opts;
  const ts_qnet *q;
  const ts_net *net;
  const uint8_t *img;
  int n;
  const int *sparse;
  ts_sys_report *rep;
  int64_t *logits;
  ts_error err;
  ts_status st;
} request;

struct ts_sys_server {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  ts_sys_opts opts;
  ts_sys *sys;
  ts_error start_err;
  ts_status start_st;
  int started, stop, busy; /* busy: a caller owns the slot */
  request *req;            /* pending request, NULL when none */
  int served;              /* bumped when a request is done */
};

static int same_opts(const ts_sys_opts *a, const ts_sys_opts *b) {
  return a->dram_bytes_per_cycle == b->dram_bytes_per_cycle &&
         a->dram_latency == b->dram_latency && a->clock_mhz == b->clock_mhz &&
         a->bank_bytes == b->bank_bytes && a->dram_bytes == b->dram_bytes &&
         a->max_cycles == b->max_cycles && a->trace_vcd == b->trace_vcd;
}

static void serve(ts_sys_server *s, request *r) {
  if (r->opts && !same_opts(r->opts, &s->opts)) {
    ts_sys_destroy(s->sys);
    s->sys = NULL;
    s->opts = *r->opts;
    if ((r->st = ts_sys_create(&s->opts, &s->sys, &r->err))) return;
  }
  if (!s->sys) {  /* an earlier request's options failed */
    if ((r->st = ts_sys_create(&s->opts, &s->sys, &r->err))) return;
  }
  ts_sys_net sn = {.sys = s->sys, .net = r->net, .q = r->q, .prefetch = 1};
  memcpy(sn.sparse, r->sparse, sizeof sn.sparse);
  r->st = ts_qnet_run(r->q, r->img, r->n, ts_sys_net_exec, &sn, r->logits, &r->err);
  memcpy(r->rep, sn.rep, sizeof sn.rep);
}

static void *server_main(void *arg) {
  ts_sys_server *s = arg;
  ts_error err = {0};
  ts_status st = ts_sys_create(&s->opts, &s->sys, &err);
  pthread_mutex_lock(&s->mu);
  s->start_st = st, s->start_err = err, s->started = 1;
  pthread_cond_broadcast(&s->cv);
  while (!st) {
    while (!s->req && !s->stop) pthread_cond_wait(&s->cv, &s->mu);
    if (!s->req) break;
    request *r = s->req;
    pthread_mutex_unlock(&s->mu);
    serve(s, r);
    pthread_mutex_lock(&s->mu);
    s->req = NULL;
    s->served++;
    pthread_cond_broadcast(&s->cv);
  }
  pthread_mutex_unlock(&s->mu);
  ts_sys_destroy(s->sys);
  return NULL;
}

ts_status ts_sys_server_start(const ts_sys_opts *opts, ts_sys_server **out, ts_error *err) {
  *out = NULL;
  ts_sys_server *s = calloc(1, sizeof *s);
  if (!s) return ts_fail(err, TS_E_NOMEM, "sys server: out of memory");
  if (opts)
    s->opts = *opts;
  else
    ts_sys_opts_default(&s->opts);
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  /* SystemC threads run on their own stacks; this thread only needs room
   * for the kernel's scheduler and the caller's network. */
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setstacksize(&at, 64u << 20);
  const int e = pthread_create(&s->thread, &at, server_main, s);
  pthread_attr_destroy(&at);
  if (e) {
    free(s);
    return ts_fail(err, TS_E_NOMEM, "sys server: cannot start a thread (error %d)", e);
  }
  pthread_mutex_lock(&s->mu);
  while (!s->started) pthread_cond_wait(&s->cv, &s->mu);
  pthread_mutex_unlock(&s->mu);
  if (s->start_st) {
    pthread_join(s->thread, NULL);
    if (err) *err = s->start_err;
    const ts_status st = s->start_st;
    free(s);
    return st;
  }
  *out = s;
  return TS_OK;
}

ts_status ts_sys_server_run(ts_sys_server *s, const ts_sys_opts *opts, const ts_qnet *q,
                            const ts_net *net, const uint8_t *img, int n,
                            const int sparse[TS_NUM_LAYERS],
                            ts_sys_report rep[TS_NUM_LAYERS], int64_t *logits, ts_error *err) {
  request r = {opts, q, net, img, n, sparse, rep, logits, {0}, TS_OK};
  pthread_mutex_lock(&s->mu);
  while (s->busy) pthread_cond_wait(&s->cv, &s->mu);
  s->busy = 1;
  s->req = &r;
  const int ticket = s->served + 1;
  pthread_cond_broadcast(&s->cv);
  while (s->served < ticket) pthread_cond_wait(&s->cv, &s->mu);
  s->busy = 0;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  if (r.st && err) *err = r.err;
  return r.st;
}

void ts_sys_server_stop(ts_sys_server *s) {
  if (!s) return;
  pthread_mutex_lock(&s->mu);
  s->stop = 1;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  pthread_join(s->thread, NULL);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  free(s);
}
