// Package cpu generates single-threaded C for a network: one module
// simulating a batch of variants, exporting the gennctl ABI.
//
// Layout: every state array is variant-major ([variant][element]); runtime
// parameters are read per variant from ctx->rt; the time step is
//
//	synapse update (spikes emitted delay_steps+1 steps ago reach inSyn)
//	neuron update  (postsynaptic input and decay, current sources, sim code,
//	                threshold, reset, spike recording)
//
// as in GeNN 4's stepTime.
package cpu

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/modelspec"
)

// Random stream ids: the high byte says which kind of use site.
const (
	streamNeuron       = 0x01000000
	streamVarInit      = 0x02000000
	streamConnectivity = 0x03000000
)

// ModuleFile is the name of the generated C file.
const ModuleFile = "module.c"

type gen struct {
	net     *modelspec.Network
	opts    codegen.Options
	rtIndex map[string]int
	prec    string
	w       *codegen.Writer
	slots   map[*modelspec.Population]int // spike delay slots
	maxRow  map[*modelspec.SynapseGroup]int
	indiv   map[*modelspec.SynapseGroup]bool
	vars    []varEntry // accessible variables, in gn_describe order
	initID  uint32     // next var-init stream id
}

type varEntry struct {
	desc  codegen.VarDesc
	field string // ctx field
	ctype string
}

// Generate returns the C source of the module.
func Generate(net *modelspec.Network, opts codegen.Options) (codegen.Files, error) {
	g := &gen{net: net, opts: opts, rtIndex: opts.RuntimeIndex(), prec: net.Sim.Precision, w: &codegen.Writer{},
		slots: map[*modelspec.Population]int{}, maxRow: map[*modelspec.SynapseGroup]int{}, indiv: map[*modelspec.SynapseGroup]bool{}}
	if err := g.prepare(); err != nil {
		return nil, err
	}
	if err := g.emit(); err != nil {
		return nil, err
	}
	return codegen.Files{
		"gn_abi.h":     codegen.ABIHeader,
		"gn_runtime.h": codegen.RuntimeHeader,
		ModuleFile:     g.w.String(),
	}, nil
}

func (g *gen) prepare() error {
	for _, p := range g.net.Populations {
		g.slots[p] = 1
	}
	for _, s := range g.net.Synapses {
		if s.DelaySteps+1 > g.slots[s.Source] {
			g.slots[s.Source] = s.DelaySteps + 1
		}
		g.indiv[s] = codegen.IndividualWeights(s)
		wu := s.WeightUpdate.Model
		for field, code := range map[string]string{"event_code": wu.EventCode, "event_threshold_condition_code": wu.EventThresholdConditionCode,
			"learn_post_code": wu.LearnPostCode, "synapse_dynamics_code": wu.SynapseDynamicsCode} {
			if strings.TrimSpace(code) != "" {
				return fmt.Errorf("%s: synapses.%s.weight_update: model %s uses %s, which this version of gennctl does not generate yet", s.Pos, s.Name, wu.Name, field)
			}
		}
		if s.Matrix == modelspec.MatrixSparse {
			n, err := g.rowLength(s)
			if err != nil {
				return err
			}
			g.maxRow[s] = n
		}
	}
	return nil
}

// rowLength is the row stride of a sparse group.
func (g *gen) rowLength(s *modelspec.SynapseGroup) (int, error) {
	if n, ok := g.opts.MaxRowLength[s.Name]; ok {
		return n, nil
	}
	return codegen.MaxRowLength(s)
}

// ---- names and values ----

func (g *gen) scalarT() string { return "scalar" }

// value is the C expression of a number: a literal, or the variant's
// runtime slot when the value differs across the structure group.
func (g *gen) value(v modelspec.Value) string {
	if k, ok := g.rtIndex[v.Path]; ok {
		return fmt.Sprintf("((scalar)rt[%d])", k)
	}
	return codegen.Literal(v.V, g.prec)
}

// bindParams adds params and derived params to a scope.
func (g *gen) bindParams(sc *codegen.Scope, names []string, ps modelspec.Params, dps []modelspec.DerivedParam, ds modelspec.Params) {
	for _, n := range names {
		if v, ok := ps[n]; ok {
			sc.Vars[n] = g.value(v)
		}
	}
	for _, dp := range dps {
		if v, ok := ds[dp.Name]; ok {
			sc.Vars[dp.Name] = g.value(v)
		}
	}
}

func (g *gen) usesRuntime() bool { return len(g.opts.Runtime) > 0 }

// rngFuncs adds the $(gennrand_*) functions drawing from rng.
func (g *gen) rngFuncs(sc *codegen.Scope, rng string) {
	cast := func(e string) string { return "((scalar)" + e + ")" }
	sc.Funcs["gennrand_uniform"] = codegen.Func{Arity: 0, Expand: func([]string) string { return cast("gn_uniform(" + rng + ")") }}
	sc.Funcs["gennrand_normal"] = codegen.Func{Arity: 0, Expand: func([]string) string { return cast("gn_normal(" + rng + ")") }}
	sc.Funcs["gennrand_exponential"] = codegen.Func{Arity: 0, Expand: func([]string) string { return cast("gn_exponential(" + rng + ")") }}
	sc.Funcs["gennrand_log_normal"] = codegen.Func{Arity: 2, Expand: func(a []string) string {
		return cast(fmt.Sprintf("gn_log_normal(%s, %s, %s)", rng, a[0], a[1]))
	}}
	sc.Funcs["gennrand_gamma"] = codegen.Func{Arity: 1, Expand: func(a []string) string { return cast(fmt.Sprintf("gn_gamma(%s, %s)", rng, a[0])) }}
	sc.Funcs["gennrand_binomial"] = codegen.Func{Arity: 2, Expand: func(a []string) string {
		return fmt.Sprintf("gn_binomial(%s, (unsigned int)(%s), %s)", rng, a[0], a[1])
	}}
}

// site describes a code string for diagnostics.
func site(kind, group, path, model, field string, cp modelspec.CodePos, groupPos modelspec.Pos) codegen.Site {
	s := codegen.Site{Group: kind + " " + group, Model: model, Field: field, Path: path, Pos: groupPos}
	if p, ok := cp[field]; ok {
		s.Pos, s.Exact = p, true
	}
	return s
}

// code substitutes a code string and writes it, with #line directives for
// user code so C compiler errors point at the YAML file.
func (g *gen) code(code string, sc *codegen.Scope, st codegen.Site) error {
	if strings.TrimSpace(code) == "" {
		return nil
	}
	out, err := codegen.Substitute(code, sc, st)
	if err != nil {
		return err
	}
	out = codegen.EnsureFloatLiterals(out, g.prec)
	if st.Exact {
		g.w.LineDirective(st.Pos.Line, st.Pos.File)
		g.w.Code(out)
		g.w.RestoreLines(ModuleFile)
		return nil
	}
	g.w.Code(out)
	return nil
}

// expr substitutes a code expression (threshold condition) into a string.
func (g *gen) expr(code string, sc *codegen.Scope, st codegen.Site) (string, error) {
	out, err := codegen.Substitute(strings.TrimSpace(code), sc, st)
	if err != nil {
		return "", err
	}
	return codegen.EnsureFloatLiterals(out, g.prec), nil
}

// body runs fn with output going to a fresh writer and returns the text, so
// that declarations can be chosen by what the body uses.
func (g *gen) body(fn func() error) (string, error) {
	outer := g.w
	g.w = outer.Sub()
	err := fn()
	text := g.w.Text()
	g.w = outer
	return text, err
}

// declareUsed writes the pointer declarations among cands that text uses,
// then the text.
func (g *gen) declareUsed(cands []varEntry, text string) {
	for _, v := range cands {
		if identRE(v.field).MatchString(text) {
			g.arrayPtr(v)
		}
	}
	g.w.Raw(text)
}

func identRE(name string) *regexp.Regexp {
	return regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `\b`)
}

func popField(p *modelspec.Population, v string) string { return p.Name + "_" + v }

func quoteC(s string) string { return strconv.Quote(s) }

// describe builds the module's JSON description.
func (g *gen) describe() string {
	d := codegen.Description{ABI: codegen.ABIVersion, Name: g.net.Name, Backend: "cpu", Precision: g.prec, DT: g.net.Sim.DT,
		Runtime: append([]string{}, g.opts.Runtime...)}
	if d.Runtime == nil {
		d.Runtime = []string{}
	}
	for _, p := range g.net.Populations {
		d.Populations = append(d.Populations, codegen.PopDesc{Name: p.Name, Size: p.Size, RecordSpikes: p.RecordSpikes})
	}
	for _, s := range g.net.Synapses {
		d.Synapses = append(d.Synapses, codegen.SynapseDesc{Name: s.Name, Source: s.Source.Name, Target: s.Target.Name,
			Matrix: s.Matrix, MaxRowLength: g.maxRow[s]})
	}
	for _, v := range g.vars {
		d.Vars = append(d.Vars, v.desc)
	}
	b, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	return string(b)
}
