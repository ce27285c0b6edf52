/*  gy_metrics — counters, gauges and histograms rendered in the Prometheus
 *  text format for /metrics.
 *
 *  A series is a metric name plus its label set written the way Prometheus
 *  prints it (`route="clues",status="201"`, or "" for none).  Series are
 *  created on first use.  Not thread-safe: use it from the loop thread.
 *  Histograms use fixed buckets in seconds: 0.001 0.0025 0.005 0.01 0.025
 *  0.05 0.1 0.25 0.5 1 2.5 5 10 +Inf.
 */
#ifndef GY_METRICS_H
#define GY_METRICS_H

#include <stdint.h>

typedef struct gy_metrics gy_metrics_t;

gy_metrics_t *gy_metrics_new(void);
void gy_metrics_destroy(gy_metrics_t **self_p);

/*  Sets the # HELP and # TYPE lines of a metric ("counter", "gauge",
 *  "histogram").  Optional but expected for every metric a service exports. */
void gy_metrics_describe(gy_metrics_t *self, const char *name, const char *type, const char *help);

void gy_metrics_count(gy_metrics_t *self, const char *name, const char *labels, uint64_t n);
void gy_metrics_set(gy_metrics_t *self, const char *name, const char *labels, double value);
void gy_metrics_observe(gy_metrics_t *self, const char *name, const char *labels, double seconds);

/*  Current value of a counter or gauge series (0 if absent); for tests. */
double gy_metrics_value(gy_metrics_t *self, const char *name, const char *labels);

/*  The whole exposition; the caller frees it. */
char *gy_metrics_render(gy_metrics_t *self);

#endif
