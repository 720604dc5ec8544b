package codegen

import "strings"

// The module ABI: every backend's generated module exports exactly these C
// symbols. All state hangs off a gn_ctx, so one process may hold several
// instances. A context simulates Batch variants at once (variant-major
// state); per-variant runtime parameters are passed as a Batch x NumRuntime
// row-major array of doubles in the order Description.Runtime lists.
//
// Errors: functions returning int return 0 on success and non-zero on
// failure, with a message available from gn_error(ctx).

// ABIVersion changes whenever the exported symbols or their meaning change.
const ABIVersion = 5

// ABIHeader is the C declaration of the module ABI. Generated modules include
// it verbatim; the loader in package gpu declares the same prototypes.
const ABIHeader = `/* gennctl module ABI v5 */
#include <stddef.h>
#include <stdint.h>

typedef struct gn_ctx gn_ctx;

/* JSON Description of the module (populations, variables, runtime slots). */
const char *gn_describe(void);
/* Create a context for batch variants; seeds has batch entries, runtime has
   batch*num_runtime doubles (may be NULL when num_runtime is 0). On failure
   returns NULL and writes a message into err. */
gn_ctx *gn_create(uint32_t batch, const uint64_t *seeds, const double *runtime, char *err, size_t errlen);
/* Initialise variables and connectivity of every variant; time step 0. */
int gn_init(gn_ctx *ctx);
/* Advance n time steps. */
int gn_step(gn_ctx *ctx, uint32_t n);
/* Threads gn_step may use (0 or 1: one, the default). The results are the
   same bits for every n; a backend without threads inside a step accepts n
   and runs as before. */
int gn_set_threads(gn_ctx *ctx, uint32_t n);
/* Number of time steps simulated so far. */
uint64_t gn_timestep(gn_ctx *ctx);
/* Recorded spikes not yet drained. */
size_t gn_spikes_pending(gn_ctx *ctx);
/* Move up to cap recorded spikes out, oldest first; returns how many. pop is
   the index into Description.Populations, step the time step of the spike;
   a recorded spike-like event of population p has pop = the number of
   populations + p. */
size_t gn_drain_spikes(gn_ctx *ctx, uint32_t *pop, uint32_t *variant, uint32_t *neuron, uint32_t *step, size_t cap);
/* Copy variable var (index into Description.Vars) of one variant to/from
   out, converting to double; Description.Vars[var].Count elements. */
int gn_get_var(gn_ctx *ctx, uint32_t var, uint32_t variant, double *out);
int gn_set_var(gn_ctx *ctx, uint32_t var, uint32_t variant, const double *in);
/* Extra global parameter egp (index into Description.EGPs) of one variant.
   Every variant holds its own copy, initialised by gn_create from the values
   the module was generated with. gn_set_egp replaces it with n values
   (converted to the parameter's type): a pointer (array) parameter takes any
   n and is resized, a scalar one takes n == 1. gn_get_egp sets *n to the
   number of values held and copies min(*n, cap) of them into out (out may be
   NULL when cap is 0). Values used by initialisation (var-init snippets,
   connectivity) take effect at the next gn_init. */
int gn_set_egp(gn_ctx *ctx, uint32_t egp, uint32_t variant, const double *values, size_t n);
int gn_get_egp(gn_ctx *ctx, uint32_t egp, uint32_t variant, double *out, size_t cap, size_t *n);
/* For each variant b, the first non-finite value among the variables that
   FiniteChecked selects, in description order: first[2*b] is its variable
   (index into Description.Vars), first[2*b+1] its element; both are
   UINT32_MAX when every value is finite. first has 2*batch entries. */
int gn_find_nonfinite(gn_ctx *ctx, uint32_t *first);
/* Run the custom updates of update group number group (index into
   Description.CustomUpdateGroups) for one variant, or for every variant with
   GN_ALL_VARIANTS. */
#define GN_ALL_VARIANTS 0xffffffffu
int gn_custom_update(gn_ctx *ctx, uint32_t group, uint32_t variant);
/* Set runtime parameter number slot (index into Description.Runtime) of one
   variant; the next step uses it. Description.SetRuntime says whether the
   module's backend supports it. */
int gn_set_runtime(gn_ctx *ctx, uint32_t slot, uint32_t variant, double value);
/* The spikes of population pop (index into Description.Populations) in the
   last time step of one variant: sets *n to their number and copies min(*n,
   cap) neuron indices into out, in increasing order. gn_set_current_spikes
   replaces them (the synapse updates of the next step deliver them, as
   GeNN's push_current_spikes_to_device). Description.CurrentSpikes says
   whether the backend supports them. */
int gn_current_spikes(gn_ctx *ctx, uint32_t pop, uint32_t variant, uint32_t *out, size_t cap, size_t *n);
int gn_set_current_spikes(gn_ctx *ctx, uint32_t pop, uint32_t variant, const uint32_t *in, size_t n);
/* Last error message of ctx. */
const char *gn_error(gn_ctx *ctx);
void gn_destroy(gn_ctx *ctx);
`

// Description is what gn_describe returns (as JSON).
type Description struct {
	ABI         int           `json:"abi"`
	Backend     string        `json:"backend"`
	Precision   string        `json:"precision"`
	DT          float64       `json:"dt"`
	Populations []PopDesc     `json:"populations"`
	Vars        []VarDesc     `json:"vars"`
	Runtime     []string      `json:"runtime"` // config paths of the runtime parameter slots
	Synapses    []SynapseDesc `json:"synapses"`
	EGPs        []EGPDesc     `json:"egps"`
	// CustomUpdateGroups are the custom-update groups gn_custom_update
	// runs, by index.
	CustomUpdateGroups []string `json:"custom_update_groups,omitempty"`
	// SetRuntime: gn_set_runtime changes runtime parameters (false: the
	// backend does not support it yet and gn_set_runtime fails).
	SetRuntime bool `json:"set_runtime,omitempty"`
	// CurrentSpikes: gn_current_spikes and gn_set_current_spikes work
	// (false: the backend does not support them yet).
	CurrentSpikes bool `json:"current_spikes,omitempty"`
}

// EGPDesc describes one extra global parameter settable with gn_set_egp.
// Owner is the population, synapse group, current source or custom update;
// Kind says whose parameter it is: "neuron", "weight_update",
// "postsynaptic", "current_source", "custom_update" (the model's),
// "var_init" (the initialisation snippet of variable Var of Owner) or
// "connectivity" (the synapse group's connectivity snippet). Path is its
// config path (populations.E.extra_global_params.spikeTimes,
// synapses.S.weight_update.vars.g.extra_global_params.kernel, ...), unique
// in a module. Type is the declared type (e.g. "scalar*", "unsigned int");
// a pointer type holds an array per variant. Count is the number of values
// the module was generated with (1 for a scalar type).
type EGPDesc struct {
	Owner string `json:"owner"`
	Kind  string `json:"kind"`
	Var   string `json:"var,omitempty"`
	Name  string `json:"name"`
	Type  string `json:"type"`
	Count int    `json:"count"`
	Path  string `json:"path"`
}

// Pointer reports whether the parameter is an array (a pointer type).
func (e EGPDesc) Pointer() bool { return strings.HasSuffix(strings.TrimSpace(e.Type), "*") }

// PopDesc describes one population.
type PopDesc struct {
	Name         string `json:"name"`
	Size         int    `json:"size"`
	RecordSpikes bool   `json:"record_spikes"`
	// RecordSpikeEvents: the population's spike-like events are recorded;
	// gn_drain_spikes returns them with pop = the number of populations +
	// the population's index.
	RecordSpikeEvents bool `json:"record_spike_events,omitempty"`
}

// SynapseDesc describes one synapse group.
type SynapseDesc struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	Target string `json:"target"`
	Matrix string `json:"matrix"`
	// MaxRowLength is the row stride of sparse connectivity (0 for dense).
	MaxRowLength int `json:"max_row_length"`
	// SharedConnectivity: the network has simulation.connectivity_seed and
	// the group stores connectivity, so variants of an instance whose
	// connectivity inputs are equal share one copy of it (rowLength, ind,
	// gp, ...: writing one variant's through gn_set_var changes every
	// sharer's). The variable connectivityOwner (kind connectivity, one
	// value per variant, read-only) is the first variant of the batch whose
	// connectivity a variant uses (itself when it has its own).
	SharedConnectivity bool `json:"shared_connectivity,omitempty"`
}

// VarDesc describes one accessible variable: Owner is a population, synapse
// group or current source name; Kind says which (neuron, synapse, pre, post,
// postsynaptic, current_source, connectivity).
type VarDesc struct {
	Owner string `json:"owner"`
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	Type  string `json:"type"`
	Count int    `json:"count"` // elements per variant
}

// FiniteChecked reports whether gn_find_nonfinite checks a variable:
// floating-point per-neuron state (neuron, postsynaptic, pre, post and
// current-source variables). Per-synapse arrays are not checked (they can
// be large, and a non-finite weight shows up in the neuron state it feeds).
func FiniteChecked(v VarDesc) bool {
	switch v.Kind {
	case "neuron", "postsynaptic", "pre", "post", "current_source":
		return v.Type == "float" || v.Type == "double"
	}
	return false
}
