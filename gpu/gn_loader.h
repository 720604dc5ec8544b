/* Loader side of the gennctl module ABI (codegen.ABIHeader): function
   pointer types for every exported symbol, and trampolines that call them.
   TestLoaderPrototypesMatchABIHeader checks these types against the header. */
#ifndef GN_LOADER_H
#define GN_LOADER_H

#include <stddef.h>
#include <stdint.h>

typedef struct gn_ctx gn_ctx;

#define GN_ALL_VARIANTS_LOADER 0xffffffffu /* GN_ALL_VARIANTS of the ABI header */

typedef const char *(*gn_describe_fn)(void);
typedef gn_ctx *(*gn_create_fn)(uint32_t batch, const uint64_t *seeds, const double *runtime, char *err, size_t errlen);
typedef int (*gn_init_fn)(gn_ctx *ctx);
typedef int (*gn_step_fn)(gn_ctx *ctx, uint32_t n);
typedef int (*gn_set_threads_fn)(gn_ctx *ctx, uint32_t n);
typedef uint64_t (*gn_timestep_fn)(gn_ctx *ctx);
typedef size_t (*gn_spikes_pending_fn)(gn_ctx *ctx);
typedef size_t (*gn_drain_spikes_fn)(gn_ctx *ctx, uint32_t *pop, uint32_t *variant, uint32_t *neuron, uint32_t *step, size_t cap);
typedef int (*gn_get_var_fn)(gn_ctx *ctx, uint32_t var, uint32_t variant, double *out);
typedef int (*gn_set_var_fn)(gn_ctx *ctx, uint32_t var, uint32_t variant, const double *in);
typedef int (*gn_set_egp_fn)(gn_ctx *ctx, uint32_t egp, uint32_t variant, const double *values, size_t n);
typedef int (*gn_get_egp_fn)(gn_ctx *ctx, uint32_t egp, uint32_t variant, double *out, size_t cap, size_t *n);
typedef int (*gn_find_nonfinite_fn)(gn_ctx *ctx, uint32_t *first);
typedef int (*gn_custom_update_fn)(gn_ctx *ctx, uint32_t group, uint32_t variant);
typedef int (*gn_set_runtime_fn)(gn_ctx *ctx, uint32_t slot, uint32_t variant, double value);
typedef int (*gn_current_spikes_fn)(gn_ctx *ctx, uint32_t pop, uint32_t variant, uint32_t *out, size_t cap, size_t *n);
typedef int (*gn_set_current_spikes_fn)(gn_ctx *ctx, uint32_t pop, uint32_t variant, const uint32_t *in, size_t n);
typedef const char *(*gn_error_fn)(gn_ctx *ctx);
typedef void (*gn_destroy_fn)(gn_ctx *ctx);

#endif
