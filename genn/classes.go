package genn

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/gennctl/gennctl/modelspec"
)

// The seed's class helpers (pygenn's create_custom_*_class, create_dpf_class,
// create_cmlf_class, create_custom_model_class): each takes the class name
// and the keyword arguments as a struct with the same fields, and returns
// the model definition (a modelspec type) for AddNeuronPopulation,
// AddSynapsePopulation, AddCurrentSource, AddCustomUpdate, InitVar and
// InitConnectivity. CustomBody, pygenn's dictionary of further class
// members, maps the same keyword names (e.g. "sim_code") to values of the
// fields' types; an unknown name or a value of the wrong type panics, as a
// definition the program cannot build.

// DPF is a derived-parameter function (pygenn's create_dpf_class): the
// model's parameters in the order of its ParamNames, and dt. It is
// evaluated per variant, like an expression.
type DPF func(pars []float64, dt float64) float64

// CreateDPFClass returns f as a derived-parameter function.
func CreateDPFClass(f func(pars []float64, dt float64) float64) DPF { return DPF(f) }

// CMLF computes a maximum row or column length of sparse connectivity
// (pygenn's create_cmlf_class) from the population sizes and the snippet's
// parameters in the order of its ParamNames.
type CMLF func(numPre, numPost uint32, pars []float64) uint32

// CreateCMLFClass returns f as a length function.
func CreateCMLFClass(f func(numPre, numPost uint32, pars []float64) uint32) CMLF { return CMLF(f) }

// DerivedParam is a derived parameter of a class (pygenn's (name, DPF)
// pairs): DPF, or else Expr, an expression of the parameters and DT as in
// an experiment document. A model with a DPF cannot be written as an
// experiment document (Model.YAML reports it); Build uses it directly.
type DerivedParam struct {
	Name string
	DPF  DPF
	Expr string
}

// derivedParams converts a class's derived parameters, binding each DPF to
// the parameter order.
func derivedParams(paramNames []string, dps []DerivedParam) []modelspec.DerivedParam {
	var out []modelspec.DerivedParam
	for _, d := range dps {
		dp := modelspec.DerivedParam{Name: d.Name, Expr: d.Expr}
		if f := d.DPF; f != nil {
			names := slices.Clone(paramNames)
			dp.Func = func(params map[string]float64, dt float64) float64 {
				pars := make([]float64, len(names))
				for i, n := range names {
					pars[i] = params[n]
				}
				return f(pars, dt)
			}
		}
		out = append(out, dp)
	}
	return out
}

// lengthFunc binds a CMLF to the parameter order.
func lengthFunc(paramNames []string, f CMLF) func(numPre, numPost int, params map[string]float64) int {
	if f == nil {
		return nil
	}
	names := slices.Clone(paramNames)
	return func(numPre, numPost int, params map[string]float64) int {
		pars := make([]float64, len(names))
		for i, n := range names {
			pars[i] = params[n]
		}
		return int(f(uint32(numPre), uint32(numPost), pars))
	}
}

// NeuronClass mirrors the arguments of create_custom_neuron_class. It
// exists because modelspec.NeuronModel's zero AutoRefractoryRequired is
// false while GeNN's default is true.
type NeuronClass struct {
	ParamNames             []string
	VarNameTypes           []modelspec.Var
	DerivedParams          []DerivedParam
	SimCode                string
	ThresholdConditionCode string
	ResetCode              string
	SupportCode            string
	ExtraGlobalParams      []modelspec.EGP
	AdditionalInputVars    []modelspec.AdditionalInput
	// NoAutoRefractory is is_auto_refractory_required=False.
	NoAutoRefractory bool
	CustomBody       map[string]any
}

// CreateCustomNeuronClass returns a custom neuron model
// (create_custom_neuron_class).
func CreateCustomNeuronClass(className string, c NeuronClass) *modelspec.NeuronModel {
	m := &modelspec.NeuronModel{Name: className, Params: c.ParamNames, Vars: c.VarNameTypes,
		DerivedParams: derivedParams(c.ParamNames, c.DerivedParams),
		SimCode:       c.SimCode, ThresholdConditionCode: c.ThresholdConditionCode, ResetCode: c.ResetCode,
		SupportCode: c.SupportCode, ExtraGlobalParams: c.ExtraGlobalParams, AdditionalInputVars: c.AdditionalInputVars,
		AutoRefractoryRequired: !c.NoAutoRefractory}
	mustBody("CreateCustomNeuronClass", m, c.CustomBody)
	return m
}

// PostsynapticClass mirrors the arguments of
// create_custom_postsynaptic_class.
type PostsynapticClass struct {
	ParamNames        []string
	VarNameTypes      []modelspec.Var
	DerivedParams     []DerivedParam
	DecayCode         string
	ApplyInputCode    string
	SupportCode       string
	ExtraGlobalParams []modelspec.EGP
	CustomBody        map[string]any
}

// CreateCustomPostsynapticClass returns a custom postsynaptic model
// (create_custom_postsynaptic_class).
func CreateCustomPostsynapticClass(className string, c PostsynapticClass) *modelspec.PostsynapticModel {
	m := &modelspec.PostsynapticModel{Name: className, Params: c.ParamNames, Vars: c.VarNameTypes,
		DerivedParams: derivedParams(c.ParamNames, c.DerivedParams), DecayCode: c.DecayCode,
		ApplyInputCode: c.ApplyInputCode, SupportCode: c.SupportCode, ExtraGlobalParams: c.ExtraGlobalParams}
	mustBody("CreateCustomPostsynapticClass", m, c.CustomBody)
	return m
}

// WeightUpdateClass mirrors the arguments of
// create_custom_weight_update_class (the seed's and GeNN 4.9's).
type WeightUpdateClass struct {
	ParamNames                  []string
	VarNameTypes                []modelspec.Var
	PreVarNameTypes             []modelspec.Var
	PostVarNameTypes            []modelspec.Var
	DerivedParams               []DerivedParam
	SimCode                     string
	EventCode                   string
	LearnPostCode               string
	SynapseDynamicsCode         string
	EventThresholdConditionCode string
	PreSpikeCode                string
	PostSpikeCode               string
	PreDynamicsCode             string
	PostDynamicsCode            string
	SimSupportCode              string
	LearnPostSupportCode        string
	// SynapseDynamicsSupportCode is the seed's
	// synapse_dynamics_suppport_code.
	SynapseDynamicsSupportCode      string
	ExtraGlobalParams               []modelspec.EGP
	IsPreSpikeTimeRequired          bool
	IsPostSpikeTimeRequired         bool
	IsPreSpikeEventTimeRequired     bool
	IsPrevPreSpikeTimeRequired      bool
	IsPrevPostSpikeTimeRequired     bool
	IsPrevPreSpikeEventTimeRequired bool
	CustomBody                      map[string]any
}

// CreateCustomWeightUpdateClass returns a custom weight-update model
// (create_custom_weight_update_class).
func CreateCustomWeightUpdateClass(className string, c WeightUpdateClass) *modelspec.WeightUpdateModel {
	m := &modelspec.WeightUpdateModel{Name: className, Params: c.ParamNames, Vars: c.VarNameTypes,
		PreVars: c.PreVarNameTypes, PostVars: c.PostVarNameTypes, DerivedParams: derivedParams(c.ParamNames, c.DerivedParams),
		SimCode: c.SimCode, EventCode: c.EventCode, LearnPostCode: c.LearnPostCode, SynapseDynamicsCode: c.SynapseDynamicsCode,
		EventThresholdConditionCode: c.EventThresholdConditionCode, PreSpikeCode: c.PreSpikeCode, PostSpikeCode: c.PostSpikeCode,
		PreDynamicsCode: c.PreDynamicsCode, PostDynamicsCode: c.PostDynamicsCode, SimSupportCode: c.SimSupportCode,
		LearnPostSupportCode: c.LearnPostSupportCode, SynapseDynamicsSupportCode: c.SynapseDynamicsSupportCode,
		ExtraGlobalParams: c.ExtraGlobalParams, PreSpikeTimeRequired: c.IsPreSpikeTimeRequired,
		PostSpikeTimeRequired: c.IsPostSpikeTimeRequired, PreSpikeEventTimeRequired: c.IsPreSpikeEventTimeRequired,
		PrevPreSpikeTimeRequired: c.IsPrevPreSpikeTimeRequired, PrevPostSpikeTimeRequired: c.IsPrevPostSpikeTimeRequired,
		PrevPreSpikeEventTimeRequired: c.IsPrevPreSpikeEventTimeRequired}
	mustBody("CreateCustomWeightUpdateClass", m, c.CustomBody)
	return m
}

// CurrentSourceClass mirrors the arguments of
// create_custom_current_source_class.
type CurrentSourceClass struct {
	ParamNames        []string
	VarNameTypes      []modelspec.Var
	DerivedParams     []DerivedParam
	InjectionCode     string
	ExtraGlobalParams []modelspec.EGP
	CustomBody        map[string]any
}

// CreateCustomCurrentSourceClass returns a custom current source model
// (create_custom_current_source_class).
func CreateCustomCurrentSourceClass(className string, c CurrentSourceClass) *modelspec.CurrentSourceModel {
	m := &modelspec.CurrentSourceModel{Name: className, Params: c.ParamNames, Vars: c.VarNameTypes,
		DerivedParams: derivedParams(c.ParamNames, c.DerivedParams), InjectionCode: c.InjectionCode,
		ExtraGlobalParams: c.ExtraGlobalParams}
	mustBody("CreateCustomCurrentSourceClass", m, c.CustomBody)
	return m
}

// InitVarSnippetClass mirrors the arguments of
// create_custom_init_var_snippet_class.
type InitVarSnippetClass struct {
	ParamNames        []string
	DerivedParams     []DerivedParam
	VarInitCode       string
	ExtraGlobalParams []modelspec.EGP
	CustomBody        map[string]any
}

// CreateCustomInitVarSnippetClass returns a custom variable-initialisation
// snippet (create_custom_init_var_snippet_class).
func CreateCustomInitVarSnippetClass(className string, c InitVarSnippetClass) *modelspec.VarInitSnippet {
	m := &modelspec.VarInitSnippet{Name: className, Params: c.ParamNames, DerivedParams: derivedParams(c.ParamNames, c.DerivedParams),
		Code: c.VarInitCode, ExtraGlobalParams: c.ExtraGlobalParams}
	mustBody("CreateCustomInitVarSnippetClass", m, c.CustomBody)
	return m
}

// SparseConnectInitSnippetClass mirrors the arguments of
// create_custom_sparse_connect_init_snippet_class (the seed's and GeNN
// 4.9's). A maximum length is CalcMaxRowLenFunc (a CMLF) or MaxRowLength,
// an expression of num_pre, num_post and the parameters.
type SparseConnectInitSnippetClass struct {
	ParamNames         []string
	DerivedParams      []DerivedParam
	RowBuildCode       string
	RowBuildStateVars  []modelspec.StateVar
	ColBuildCode       string
	ColBuildStateVars  []modelspec.StateVar
	CalcMaxRowLenFunc  CMLF
	CalcMaxColLenFunc  CMLF
	MaxRowLength       string
	MaxColLength       string
	CalcKernelSizeFunc []string // expressions of the parameters, one per dimension
	HostInitCode       string
	ExtraGlobalParams  []modelspec.EGP
	CustomBody         map[string]any
}

// CreateCustomSparseConnectInitSnippetClass returns a custom connectivity
// snippet (create_custom_sparse_connect_init_snippet_class).
func CreateCustomSparseConnectInitSnippetClass(className string, c SparseConnectInitSnippetClass) *modelspec.ConnectivitySnippet {
	m := &modelspec.ConnectivitySnippet{Name: className, Params: c.ParamNames, DerivedParams: derivedParams(c.ParamNames, c.DerivedParams),
		RowBuildCode: c.RowBuildCode, RowBuildStateVars: c.RowBuildStateVars, ColBuildCode: c.ColBuildCode,
		ColBuildStateVars: c.ColBuildStateVars, MaxRowLength: c.MaxRowLength, MaxColLength: c.MaxColLength,
		MaxRowLengthFunc: lengthFunc(c.ParamNames, c.CalcMaxRowLenFunc), MaxColLengthFunc: lengthFunc(c.ParamNames, c.CalcMaxColLenFunc),
		KernelSize: c.CalcKernelSizeFunc, HostInitCode: c.HostInitCode, ExtraGlobalParams: c.ExtraGlobalParams}
	mustBody("CreateCustomSparseConnectInitSnippetClass", m, c.CustomBody)
	return m
}

// ToeplitzConnectInitSnippetClass mirrors the arguments of GeNN 4.9's
// create_custom_toeplitz_connect_init_snippet_class.
type ToeplitzConnectInitSnippetClass struct {
	ParamNames             []string
	DerivedParams          []DerivedParam
	DiagonalBuildCode      string
	DiagonalBuildStateVars []modelspec.StateVar
	CalcMaxRowLenFunc      CMLF
	MaxRowLength           string
	CalcKernelSizeFunc     []string
	ExtraGlobalParams      []modelspec.EGP
	CustomBody             map[string]any
}

// CreateCustomToeplitzConnectInitSnippetClass returns a custom Toeplitz
// connectivity snippet.
func CreateCustomToeplitzConnectInitSnippetClass(className string, c ToeplitzConnectInitSnippetClass) *modelspec.ToeplitzSnippet {
	m := &modelspec.ToeplitzSnippet{Name: className, Params: c.ParamNames, DerivedParams: derivedParams(c.ParamNames, c.DerivedParams),
		DiagonalBuildCode: c.DiagonalBuildCode, DiagonalBuildStateVars: c.DiagonalBuildStateVars, MaxRowLength: c.MaxRowLength,
		MaxRowLengthFunc: lengthFunc(c.ParamNames, c.CalcMaxRowLenFunc), KernelSize: c.CalcKernelSizeFunc,
		ExtraGlobalParams: c.ExtraGlobalParams}
	mustBody("CreateCustomToeplitzConnectInitSnippetClass", m, c.CustomBody)
	return m
}

// CustomUpdateClass mirrors the arguments of GeNN 4.9's
// create_custom_custom_update_class.
type CustomUpdateClass struct {
	ParamNames           []string
	VarNameTypes         []modelspec.Var
	DerivedParams        []DerivedParam
	VarRefs              []modelspec.VarRef
	UpdateCode           string
	ExtraGlobalParams    []modelspec.EGP
	ExtraGlobalParamRefs []modelspec.EGP
	CustomBody           map[string]any
}

// CreateCustomCustomUpdateClass returns a custom update model.
func CreateCustomCustomUpdateClass(className string, c CustomUpdateClass) *modelspec.CustomUpdateModel {
	m := &modelspec.CustomUpdateModel{Name: className, Params: c.ParamNames, Vars: c.VarNameTypes,
		DerivedParams: derivedParams(c.ParamNames, c.DerivedParams), VarRefs: c.VarRefs, UpdateCode: c.UpdateCode,
		ExtraGlobalParams: c.ExtraGlobalParams, ExtraGlobalParamRefs: c.ExtraGlobalParamRefs}
	mustBody("CreateCustomCustomUpdateClass", m, c.CustomBody)
	return m
}

// CreateCustomModelClass completes a class from base (create_custom_model_class):
// a copy of base, a model definition of any kind (e.g. a built-in one from
// modelspec.Builtins(), or a zero one such as &modelspec.NeuronModel{}),
// named className, with the given parameter names, variables and derived
// parameters (when not nil) and the fields of customBody.
func CreateCustomModelClass(className string, base any, paramNames []string, varNameTypes []modelspec.Var,
	derived []DerivedParam, customBody map[string]any) (any, error) {
	v := reflect.ValueOf(base)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct || !v.Elem().FieldByName("Name").IsValid() {
		return nil, fmt.Errorf("genn: CreateCustomModelClass: base must be a model definition (a *modelspec type), got %T", base)
	}
	c := reflect.New(v.Elem().Type())
	c.Elem().Set(v.Elem())
	c.Elem().FieldByName("Name").SetString(className)
	set := func(field string, val any) error {
		f := c.Elem().FieldByName(field)
		if !f.IsValid() {
			return fmt.Errorf("genn: CreateCustomModelClass: a %T has no %s", base, field)
		}
		f.Set(reflect.ValueOf(val))
		return nil
	}
	if paramNames != nil {
		if err := set("Params", paramNames); err != nil {
			return nil, err
		}
	}
	if varNameTypes != nil {
		if err := set("Vars", varNameTypes); err != nil {
			return nil, err
		}
	}
	if derived != nil {
		names, _ := c.Elem().FieldByName("Params").Interface().([]string)
		if err := set("DerivedParams", derivedParams(names, derived)); err != nil {
			return nil, err
		}
	}
	if err := applyBody(c.Interface(), customBody); err != nil {
		return nil, fmt.Errorf("genn: CreateCustomModelClass: %w", err)
	}
	return c.Interface(), nil
}

// bodyFields maps the keyword names of custom_body (the YAML field names)
// to the fields of the model definitions.
var bodyFields = map[string]string{
	"param_names": "Params", "var_name_types": "Vars", "pre_var_name_types": "PreVars", "post_var_name_types": "PostVars",
	"derived_params": "DerivedParams", "sim_code": "SimCode", "threshold_condition_code": "ThresholdConditionCode",
	"reset_code": "ResetCode", "support_code": "SupportCode", "extra_global_params": "ExtraGlobalParams",
	"additional_input_vars": "AdditionalInputVars", "is_auto_refractory_required": "AutoRefractoryRequired",
	"decay_code": "DecayCode", "apply_input_code": "ApplyInputCode", "event_code": "EventCode",
	"event_threshold_condition_code": "EventThresholdConditionCode", "learn_post_code": "LearnPostCode",
	"synapse_dynamics_code": "SynapseDynamicsCode", "pre_spike_code": "PreSpikeCode", "post_spike_code": "PostSpikeCode",
	"pre_dynamics_code": "PreDynamicsCode", "post_dynamics_code": "PostDynamicsCode", "sim_support_code": "SimSupportCode",
	"learn_post_support_code": "LearnPostSupportCode", "synapse_dynamics_support_code": "SynapseDynamicsSupportCode",
	"synapse_dynamics_suppport_code": "SynapseDynamicsSupportCode", "is_pre_spike_time_required": "PreSpikeTimeRequired",
	"is_post_spike_time_required": "PostSpikeTimeRequired", "is_pre_spike_event_time_required": "PreSpikeEventTimeRequired",
	"is_prev_pre_spike_time_required": "PrevPreSpikeTimeRequired", "is_prev_post_spike_time_required": "PrevPostSpikeTimeRequired",
	"is_prev_pre_spike_event_time_required": "PrevPreSpikeEventTimeRequired", "injection_code": "InjectionCode",
	"var_init_code": "Code", "row_build_code": "RowBuildCode", "row_build_state_vars": "RowBuildStateVars",
	"col_build_code": "ColBuildCode", "col_build_state_vars": "ColBuildStateVars", "calc_max_row_len_func": "MaxRowLength",
	"calc_max_col_len_func": "MaxColLength", "calc_kernel_size_func": "KernelSize", "host_init_code": "HostInitCode",
	"diagonal_build_code": "DiagonalBuildCode", "diagonal_build_state_vars": "DiagonalBuildStateVars",
	"var_refs": "VarRefs", "update_code": "UpdateCode", "extra_global_param_refs": "ExtraGlobalParamRefs",
}

// applyBody sets the fields customBody names on model (a pointer to a
// model definition).
func applyBody(model any, body map[string]any) error {
	v := reflect.ValueOf(model).Elem()
	for _, key := range sortedKeys(body) {
		name, ok := bodyFields[key]
		f := v.FieldByName(name)
		if !ok || !f.IsValid() {
			return fmt.Errorf("custom_body: a %s has no field %q", v.Type().Name(), key)
		}
		val := reflect.ValueOf(body[key])
		if !val.IsValid() || !val.Type().AssignableTo(f.Type()) {
			return fmt.Errorf("custom_body: %q is a %s, got %T", key, f.Type(), body[key])
		}
		f.Set(val)
	}
	return nil
}

func mustBody(fn string, model any, body map[string]any) {
	if err := applyBody(model, body); err != nil {
		panic("genn: " + fn + ": " + err.Error())
	}
}
