/* A dataset against the architecture of a network (ts_dataset.h). */
#include "ts_dataset.h"

ts_status ts_dataset_check_arch(const ts_dataset *ds, const ts_arch *a,
                                ts_error *err) {
  if (!ds || !a) return ts_fail(err, TS_E_ARG, "dataset check: NULL argument");
  if (ds->c != a->in_c || ds->h != a->in_h || ds->w != a->in_w)
    return ts_fail(err, TS_E_SHAPE,
                   "the data has %dx%dx%d images but the model expects "
                   "%dx%dx%d", ds->c, ds->h, ds->w, a->in_c, a->in_h, a->in_w);
  if (ds->classes != a->classes)
    return ts_fail(err, TS_E_SHAPE,
                   "the data has %d classes but the model has %d outputs",
                   ds->classes, a->classes);
  return TS_OK;
}
