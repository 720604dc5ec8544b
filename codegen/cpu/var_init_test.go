package cpu_test

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
)

// GeNN 4.9's var_init: the built-in variable-initialisation snippets
// Uniform(0, 1), Normal(0, 1), Exponential(1), Gamma(4, 1) and
// Binomial(20, 0.5), and snippets returning $(num), $(num_batch),
// $(num_pre) and $(num_post), initialise every kind of variable: neuron,
// current source, postsynaptic, weight-update pre and post, per-synapse
// (dense 1 × n, sparse one-to-one n × n, Toeplitz kernel 3 × 3 × 25 × 25)
// and custom-update variables of each kind. Each sample passes a
// one-sample Kolmogorov–Smirnov test at GeNN's significance level 0.00034
// (D < 2.08/sqrt(n); for the discrete Binomial, D over its support). GeNN
// uses n = 50000 neurons; here n = 10000.
func TestVarInit(t *testing.T) {
	const n = 10000
	cases := []struct {
		name string
		doc  string
		// owners lists (owner, variable prefix, count, num or
		// num_pre/num_post)
		owners []varInitOwner
	}{
		{"models", varInitModelsDoc(n), []varInitOwner{
			{"Pop", "", n, []int{n}},
			{"CurrSource", "", n, []int{n}},
			{"Dense", "p", n, []int{n}},
			{"Dense", "", n, []int{1, n}},
			{"Sparse", "", n, []int{n, n}},
			{"Sparse", "pre_", n, []int{n}},
			{"Sparse", "post_", n, []int{n}},
		}},
		{"kernel_and_custom_updates", varInitModelsDoc(n) + varInitCustomDoc, []varInitOwner{
			{"Kernel", "", 3 * 3 * 25 * 25, []int{n, n}},
			{"NeuronCustomUpdate", "", n, []int{n}},
			{"CurrentSourceCustomUpdate", "", n, []int{n}},
			{"PSMCustomUpdate", "", n, []int{n}},
			{"WUPreCustomUpdate", "", n, []int{n}},
			{"WUPostCustomUpdate", "", n, []int{n}},
			{"WUDenseCustomUpdate", "", n, []int{1, n}},
			{"WUSparseCustomUpdate", "", n, []int{n, n}},
			{"WUKernelCustomUpdate", "", 3 * 3 * 25 * 25, []int{n, n}},
		}},
	}
	binomial := make([]float64, 21) // the CDF of Binomial(20, 0.5)
	acc := 0.0
	for k := range binomial {
		lc, _ := math.Lgamma(21)
		l1, _ := math.Lgamma(float64(k + 1))
		l2, _ := math.Lgamma(float64(21 - k))
		acc += math.Exp(lc - l1 - l2 + 20*math.Log(0.5))
		binomial[k] = acc
	}
	dists := []struct {
		name string
		cdf  func(float64) float64
	}{
		{"uniform", func(x float64) float64 { return math.Min(1, math.Max(0, x)) }},
		{"normal", func(x float64) float64 { return normalCDF(x, 0, 1) }},
		{"exponential", func(x float64) float64 { return 1 - math.Exp(-x) }},
		{"gamma", func(x float64) float64 { return gammaP(4, x) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newSim(t, c.doc, codegen.Options{}, []uint64{2346679}, nil)
			for _, o := range c.owners {
				critical := 2.08 / math.Sqrt(float64(o.count))
				names := []string{"num"}
				if len(o.num) == 2 {
					names = []string{"num_pre", "num_post"}
				}
				for i, name := range names {
					assert.Equal(t, constant(o.count, float64(o.num[i])), s.get(o.owner, o.prefix+name, 0), "%s.%s%s", o.owner, o.prefix, name)
				}
				assert.Equal(t, constant(o.count, 1), s.get(o.owner, o.prefix+"num_batch", 0), "%s.%snum_batch", o.owner, o.prefix)
				for _, d := range dists {
					vals := s.get(o.owner, o.prefix+d.name, 0)
					assert.Len(t, vals, o.count)
					assert.Less(t, ksD(vals, d.cdf), critical, "%s.%s%s: KS statistic", o.owner, o.prefix, d.name)
				}
				vals := s.get(o.owner, o.prefix+"binomial", 0)
				assert.Less(t, ksDiscrete(vals, binomial), critical, "%s.%sbinomial: KS statistic", o.owner, o.prefix)
			}
		})
	}
}

type varInitOwner struct {
	owner, prefix string
	count         int
	num           []int
}

func constant(n int, v float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// ksDiscrete is the KS statistic of integer values against a discrete CDF
// (cdf[k] = P(X ≤ k)), compared at every point of the support.
func ksDiscrete(values []float64, cdf []float64) float64 {
	x := append([]float64(nil), values...)
	sort.Float64s(x)
	d, i := 0.0, 0
	for k, f := range cdf {
		for i < len(x) && x[i] <= float64(k) {
			i++
		}
		d = math.Max(d, math.Abs(float64(i)/float64(len(x))-f))
	}
	return d
}

// varInitVars is a mapping of the seven test variables (with a prefix)
// to their initialisation; synapse variables get num_pre and num_post
// instead of num.
func varInitVars(prefix string, synapse bool) string {
	num := prefix + "num: {init: Num}"
	if synapse {
		num = prefix + "num_pre: {init: NumPre}, " + prefix + "num_post: {init: NumPost}"
	}
	return "{" + num + ", " + prefix + "num_batch: {init: NumBatch}, " +
		prefix + "uniform: {init: Uniform, params: {min: 0.0, max: 1.0}}, " +
		prefix + "normal: {init: Normal, params: {mean: 0.0, sd: 1.0}}, " +
		prefix + "exponential: {init: Exponential, params: {lambda: 1.0}}, " +
		prefix + "gamma: {init: Gamma, params: {a: 4.0, b: 1.0}}, " +
		prefix + "binomial: {init: Binomial, params: {n: 20, p: 0.5}}}"
}

// varInitTypes is the var_name_types of the seven test variables.
func varInitTypes(prefix string, synapse bool) string {
	num := "[" + prefix + "num, unsigned int]"
	if synapse {
		num = "[" + prefix + "num_pre, unsigned int], [" + prefix + "num_post, unsigned int]"
	}
	return "[" + num + ", [" + prefix + "num_batch, unsigned int], [" + prefix + "uniform, scalar], [" + prefix + "normal, scalar], [" +
		prefix + "exponential, scalar], [" + prefix + "gamma, scalar], [" + prefix + "binomial, unsigned int]]"
}

func varInitModelsDoc(n int) string {
	r := strings.NewReplacer("NEURON", varInitTypes("", false), "PSM", varInitTypes("p", false),
		"SYN", varInitTypes("", true), "PRE", varInitTypes("pre_", false), "POST", varInitTypes("post_", false))
	v := strings.NewReplacer("NEURON", varInitVars("", false), "PSM", varInitVars("p", false),
		"SYN", varInitVars("", true), "PRE", varInitVars("pre_", false), "POST", varInitVars("post_", false))
	return r.Replace(`
simulation: {dt: 0.1, duration: 0, precision: float}
models:
  var_inits:
    Num: {var_init_code: "$(value) = $(num);"}
    NumBatch: {var_init_code: "$(value) = $(num_batch);"}
    NumPre: {var_init_code: "$(value) = $(num_pre);"}
    NumPost: {var_init_code: "$(value) = $(num_post);"}
  neurons:
    Neuron: {var_name_types: NEURON}
  current_sources:
    CurrentSrc: {var_name_types: NEURON}
  postsynaptic:
    PostsynapticModel: {var_name_types: PSM}
  weight_updates:
    WeightUpdateModel: {var_name_types: SYN, pre_var_name_types: PRE, post_var_name_types: POST}
    WeightUpdateModelNoPrePost: {var_name_types: SYN}
  custom_updates:
    NopCustomUpdateModel: {var_name_types: NEURON, var_refs: [[R, unsigned int, READ_WRITE]]}
    NopCustomUpdateModelWU: {var_name_types: SYN, var_refs: [[R, unsigned int, READ_WRITE]]}
`) + v.Replace(fmt.Sprintf(`populations:
  SpikeSource1: {size: 1, model: SpikeSource}
  SpikeSource2: {size: %d, model: SpikeSource}
  Pop: {size: %d, model: Neuron, vars: NEURON}
current_sources:
  CurrSource: {model: CurrentSrc, target: Pop, vars: NEURON}
synapses:
  Dense:
    source: SpikeSource1
    target: Pop
    matrix: dense
    weight_update: {model: WeightUpdateModel, vars: SYN, pre_vars: PRE, post_vars: POST}
    postsynaptic: {model: PostsynapticModel, vars: PSM}
  Sparse:
    source: SpikeSource2
    target: Pop
    matrix: sparse
    connectivity: {init: OneToOne}
    weight_update: {model: WeightUpdateModel, vars: SYN, pre_vars: PRE, post_vars: POST}
    postsynaptic: {model: PostsynapticModel, vars: PSM}
`, n, n))
}

// varInitCustomDoc adds the Toeplitz group (20 × 20 × 25 in and out) and
// the custom updates, each referencing a variable of one kind.
var varInitCustomDoc = strings.NewReplacer("NEURON", varInitVars("", false), "SYN", varInitVars("", true)).Replace(`  Kernel:
    source: SpikeSource2
    target: Pop
    matrix: toeplitz
    weights: kernel
    connectivity:
      init: Conv2D
      params: {conv_kh: 3, conv_kw: 3, conv_ih: 20, conv_iw: 20, conv_ic: 25, conv_oh: 20, conv_ow: 20, conv_oc: 25}
    weight_update: {model: WeightUpdateModelNoPrePost, vars: SYN}
    postsynaptic: {model: DeltaCurr}
custom_updates:
  NeuronCustomUpdate: {group: Test, model: NopCustomUpdateModel, vars: NEURON, var_refs: {R: Pop.num}}
  CurrentSourceCustomUpdate: {group: Test, model: NopCustomUpdateModel, vars: NEURON, var_refs: {R: CurrSource.num}}
  PSMCustomUpdate: {group: Test, model: NopCustomUpdateModel, vars: NEURON, var_refs: {R: Dense.pnum}}
  WUPreCustomUpdate: {group: Test, model: NopCustomUpdateModel, vars: NEURON, var_refs: {R: Sparse.pre_num}}
  WUPostCustomUpdate: {group: Test, model: NopCustomUpdateModel, vars: NEURON, var_refs: {R: Dense.post_num}}
  WUDenseCustomUpdate: {group: Test, model: NopCustomUpdateModelWU, vars: SYN, wu_var_refs: {R: Dense.num_pre}}
  WUSparseCustomUpdate: {group: Test, model: NopCustomUpdateModelWU, vars: SYN, wu_var_refs: {R: Sparse.num_pre}}
  WUKernelCustomUpdate: {group: Test, model: NopCustomUpdateModelWU, vars: SYN, wu_var_refs: {R: Kernel.num_pre}}
`)
