#include "ts_train.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ts_atomic.h"
#include "ts_eval.h"
#include "ts_file.h"
#include "ts_rng.h"
#include "ts_weights.h"

void ts_train_config_default(ts_train_config *c) {
  memset(c, 0, sizeof *c);
  c->epochs = 30;
  c->batch = 64;
  c->threads = 2;
  c->sgd.lr = 0.01f;
  c->sgd.momentum = 0.9f;
  c->sgd.weight_decay = 5e-4f;
  c->seed = 1;
  c->log_every = 200;
  c->val_subset = 2000;
}

float ts_train_lr(const ts_train_config *cfg, long long step,
                  long long steps_per_epoch) {
  if (cfg->lr_schedule != TS_LR_COSINE) return cfg->sgd.lr;
  const double T = (cfg->schedule_epochs > 0 ? cfg->schedule_epochs : cfg->epochs) *
                   (double)steps_per_epoch;
  if (step >= T) return 0.0f;
  return (float)(cfg->sgd.lr * 0.5 * (1.0 + cos(M_PI * (double)step / T)));
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* ---- the CSV log, kept in memory and rewritten whole ------------------- */

typedef struct train_log {
  ts_train_row *rows;
  int n, cap;
} train_log;

static ts_status log_push(train_log *lg, const ts_train_row *r, ts_error *err) {
  if (lg->n == lg->cap) {
    int cap = lg->cap ? 2 * lg->cap : 64;
    ts_train_row *p = realloc(lg->rows, sizeof *p * cap);
    if (!p) return ts_fail(err, TS_E_NOMEM, "cannot grow the training log");
    lg->rows = p;
    lg->cap = cap;
  }
  lg->rows[lg->n++] = *r;
  return TS_OK;
}

static ts_status log_write_rows(FILE *fp, void *user, ts_error *err) {
  (void)err;
  const train_log *lg = user;
  fprintf(fp, "iteration,epoch,train_loss,train_error,val_error,val_images\n");
  for (int i = 0; i < lg->n; i++) {
    const ts_train_row *r = &lg->rows[i];
    fprintf(fp, "%lld,%.4f,%.6f,%.6f,%.6f,%d\n", r->iteration, r->epoch,
            r->train_loss, r->train_error, r->val_error, r->val_images);
  }
  return TS_OK;
}

/* Keeps the rows of an earlier run up to `iteration` (those the checkpoint
 * covers); rows a killed run logged after its last checkpoint are dropped,
 * as the resumed run logs them again. */
static ts_status log_reload(train_log *lg, const char *path,
                            long long iteration, ts_error *err) {
  if (access(path, F_OK) != 0 && errno == ENOENT)
    return TS_OK; /* no earlier log: start a fresh one */
  FILE *fp;
  ts_status os = ts_file_open(path, "training log", &fp, err);
  if (os) return os;
  char line[512];
  ts_status s = TS_OK;
  int lineno = 0;
  while (!s && fgets(line, sizeof line, fp)) {
    if (++lineno == 1) continue; /* header */
    ts_train_row r;
    if (sscanf(line, "%lld,%lf,%lf,%lf,%lf,%d", &r.iteration, &r.epoch,
               &r.train_loss, &r.train_error, &r.val_error,
               &r.val_images) != 6) {
      s = ts_fail(err, TS_E_FORMAT,
                  "training log '%s' line %d is not a log row; move the file "
                  "away to resume without it", path, lineno);
      break;
    }
    if (r.iteration <= iteration) s = log_push(lg, &r, err);
  }
  /* fgets' NULL is also a read error: not the end of the log */
  if (!s && ferror(fp))
    s = ts_fail(err, TS_E_IO, "cannot read training log '%s' after line %d: %s",
                path, lineno, strerror(errno));
  fclose(fp);
  return s;
}

/* ---- training ------------------------------------------------------------ */

static ts_status validate(const ts_net *net, const ts_dataset *ds,
                          const ts_norm *nm, int count, int threads,
                          double *error, int *images, ts_error *err) {
  *error = -1.0;
  *images = 0;
  if (!ds) return TS_OK;
  double acc;
  ts_status s = ts_evaluate(net, ds, nm, count, threads, &acc, NULL, err);
  if (s) return s;
  *error = 1.0 - acc;
  *images = (count <= 0 || count > ds->n) ? ds->n : count;
  return TS_OK;
}

static ts_status check_config(const ts_train_config *c, ts_error *err) {
  if (c->epochs < 1)
    return ts_fail(err, TS_E_ARG, "epochs = %d; need at least 1", c->epochs);
  if (c->batch < 1)
    return ts_fail(err, TS_E_ARG, "batch = %d; need at least 1", c->batch);
  if (c->log_every < 0)
    return ts_fail(err, TS_E_ARG, "log interval %d is negative", c->log_every);
  if (c->lr_schedule != TS_LR_CONSTANT && c->lr_schedule != TS_LR_COSINE)
    return ts_fail(err, TS_E_ARG, "learning-rate schedule %d is unknown", c->lr_schedule);
  if (!(c->schedule_epochs >= 0))
    return ts_fail(err, TS_E_ARG, "schedule of %g epochs is negative or NaN (0 = the epochs)",
                   c->schedule_epochs);
  if (c->resume && !c->checkpoint_path)
    return ts_fail(err, TS_E_ARG, "resume needs a checkpoint path");
  return TS_OK;
}

ts_status ts_train(ts_net *net, const ts_dataset *train, const ts_dataset *val,
                   const ts_norm *nm, const ts_train_config *cfg,
                   ts_train_cb cb, void *user, ts_train_result *res,
                   ts_error *err) {
  ts_status s = check_config(cfg, err);
  if (s) return s;
  const ts_arch *a = ts_net_arch(net);
  if ((s = ts_dataset_check_arch(train, a, err))) return s;
  if (val && (s = ts_dataset_check_arch(val, a, err))) return s;
  const int n = train->n;
  const int batch = cfg->batch < n ? cfg->batch : n;
  const long img = (long)train->c * train->h * train->w;
  const long long steps_per_epoch = (n + batch - 1) / batch;

  ts_trainer *tr = NULL;
  float *x = malloc(sizeof(float) * img * batch); /* [batch][c][h][w] */
  int *y = malloc(sizeof(int) * batch);           /* [batch] */
  int *order = malloc(sizeof(int) * n);           /* [n] epoch permutation */
  train_log lg = {0};
  if (!x || !y || !order) {
    s = ts_fail(err, TS_E_NOMEM, "cannot allocate training buffers");
    goto done;
  }
  if ((s = ts_trainer_create(net, batch, cfg->threads, &tr, err))) goto done;

  ts_train_state st = {0};
  ts_rng rng;
  ts_rng_seed(&rng, cfg->seed);
  if (cfg->resume && access(cfg->checkpoint_path, F_OK) == 0) {
    s = ts_weights_load_checkpoint(cfg->checkpoint_path, a, ts_net_params(net),
                                   ts_trainer_momentum(tr),
                                   ts_net_num_params(net), &st, err);
    if (s) goto done;
    memcpy(rng.s, st.rng, sizeof rng.s);
    if (cfg->log_path && (s = log_reload(&lg, cfg->log_path, st.iteration, err)))
      goto done;
  }
  if (res) {
    memset(res, 0, sizeof *res);
    res->start_epoch = st.epoch;
    res->val_error = -1;
  }

  const double t0 = now_s();
  const long long total_steps = steps_per_epoch * cfg->epochs;
  long long step = st.iteration;
  double run_loss = 0, epoch_loss = 0;
  long long run_wrong = 0, run_images = 0, trained = 0;
  for (int epoch = st.epoch; epoch < cfg->epochs; epoch++) {
    for (int i = 0; i < n; i++) order[i] = i;
    ts_rng_shuffle(&rng, order, n);
    epoch_loss = 0;
    for (long long b = 0; b < steps_per_epoch; b++) {
      const int lo = (int)(b * batch);
      const int cnt = n - lo < batch ? n - lo : batch;
      double loss;
      int correct;
      ts_sgd sgd = cfg->sgd;
      sgd.lr = ts_train_lr(cfg, step, steps_per_epoch);
      if ((cfg->hook && (s = cfg->hook(net, tr, epoch, b, steps_per_epoch,
                                       cfg->hook_user, err))) ||
          (s = ts_dataset_batch(train, nm, order + lo, cnt, x, y, err)) ||
          (s = ts_trainer_step(tr, &sgd, x, y, cnt, &loss, &correct, err)))
        goto done;
      step++;
      trained += cnt;
      run_loss += loss * cnt;
      epoch_loss += loss * cnt;
      run_wrong += cnt - correct;
      run_images += cnt;
      const int epoch_end = b == steps_per_epoch - 1;
      ts_train_row row;
      const int log_now = epoch_end || (cfg->log_every && step % cfg->log_every == 0);
      if (log_now) {
        row.iteration = step;
        row.epoch = epoch + (double)(b + 1) / steps_per_epoch;
        row.train_loss = run_loss / run_images;
        row.train_error = (double)run_wrong / run_images;
        if ((s = validate(net, val, nm, epoch_end ? 0 : cfg->val_subset,
                          cfg->threads, &row.val_error, &row.val_images, err)) ||
            (s = log_push(&lg, &row, err)))
          goto done;
        if (cfg->log_path &&
            (s = ts_atomic_write(cfg->log_path, log_write_rows, &lg, err)))
          goto done;
        run_loss = 0;
        run_wrong = run_images = 0;
      }
      if (cb) {
        ts_train_progress p = {epoch + 1, cfg->epochs, step, total_steps,
                               now_s() - t0, log_now ? &row : NULL};
        cb(&p, user);
      }
      if (epoch_end && res) {
        res->val_error = row.val_error;
        res->train_loss = epoch_loss / n;
      }
    }
    st.epoch = epoch + 1;
    st.iteration = step;
    st.lr = cfg->sgd.lr;
    memcpy(st.rng, rng.s, sizeof st.rng);
    if (cfg->checkpoint_path &&
        (s = ts_weights_save_checkpoint(cfg->checkpoint_path, a,
                                        ts_net_params(net),
                                        ts_trainer_momentum(tr),
                                        ts_net_num_params(net), &st, cfg->meta,
                                        cfg->nmeta, err)))
      goto done;
  }
  if (res) {
    res->epochs_done = st.epoch;
    res->steps = step;
    res->seconds = now_s() - t0;
    res->images_per_s = res->seconds > 0 ? trained / res->seconds : 0;
  }
done:
  ts_trainer_destroy(tr);
  free(x);
  free(y);
  free(order);
  free(lg.rows);
  return s;
}
