package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/gennctl/gennctl/modelspec"
	"github.com/spf13/cobra"
)

// modelEntry is one catalogue entry as `gennctl models --json` prints it.
type modelEntry struct {
	Kind          string   `json:"kind"`
	Name          string   `json:"name"`
	Params        []string `json:"params"`
	DerivedParams []string `json:"derived_params,omitempty"`
	Vars          []string `json:"vars,omitempty"` // name:type
	PreVars       []string `json:"pre_vars,omitempty"`
	PostVars      []string `json:"post_vars,omitempty"`
	EGPs          []string `json:"extra_global_params,omitempty"`
	// VarRefs are a custom update model's variable references
	// (name:type:access mode, the mode READ_WRITE when the model gives none).
	VarRefs []string `json:"var_refs,omitempty"`
}

func varList(vs []modelspec.Var) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Name+":"+v.Type)
	}
	return out
}

func varRefList(rs []modelspec.VarRef) []string {
	var out []string
	for _, r := range rs {
		mode := r.Access
		if mode == "" {
			mode = modelspec.ModeReadWrite
		}
		out = append(out, r.Name+":"+r.Type+":"+mode)
	}
	return out
}

func egpList(es []modelspec.EGP) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name+":"+e.Type)
	}
	return out
}

func derivedList(ds []modelspec.DerivedParam) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Name)
	}
	return out
}

// catalogueEntries lists the built-in catalogue, kinds in document order and
// names sorted within each kind.
func catalogueEntries() []modelEntry {
	c := modelspec.Builtins()
	names := c.Names()
	var out []modelEntry
	add := func(e modelEntry) {
		if e.Params == nil {
			e.Params = []string{}
		}
		out = append(out, e)
	}
	for _, n := range names[modelspec.KindNeurons] {
		m := c.Neurons[n]
		add(modelEntry{Kind: modelspec.KindNeurons, Name: n, Params: m.Params, DerivedParams: derivedList(m.DerivedParams),
			Vars: varList(m.Vars), EGPs: egpList(m.ExtraGlobalParams)})
	}
	for _, n := range names[modelspec.KindPostsynaptic] {
		m := c.Postsynaptic[n]
		add(modelEntry{Kind: modelspec.KindPostsynaptic, Name: n, Params: m.Params, DerivedParams: derivedList(m.DerivedParams), Vars: varList(m.Vars)})
	}
	for _, n := range names[modelspec.KindWeightUpdates] {
		m := c.WeightUpdates[n]
		add(modelEntry{Kind: modelspec.KindWeightUpdates, Name: n, Params: m.Params, DerivedParams: derivedList(m.DerivedParams),
			Vars: varList(m.Vars), PreVars: varList(m.PreVars), PostVars: varList(m.PostVars), EGPs: egpList(m.ExtraGlobalParams)})
	}
	for _, n := range names[modelspec.KindCurrentSources] {
		m := c.CurrentSources[n]
		add(modelEntry{Kind: modelspec.KindCurrentSources, Name: n, Params: m.Params, DerivedParams: derivedList(m.DerivedParams),
			Vars: varList(m.Vars), EGPs: egpList(m.ExtraGlobalParams)})
	}
	for _, n := range names[modelspec.KindVarInits] {
		m := c.VarInits[n]
		add(modelEntry{Kind: modelspec.KindVarInits, Name: n, Params: m.Params, DerivedParams: derivedList(m.DerivedParams), EGPs: egpList(m.ExtraGlobalParams)})
	}
	for _, n := range names[modelspec.KindConnectivity] {
		m := c.Connectivity[n]
		add(modelEntry{Kind: modelspec.KindConnectivity, Name: n, Params: m.Params, DerivedParams: derivedList(m.DerivedParams), EGPs: egpList(m.ExtraGlobalParams)})
	}
	for _, n := range names[modelspec.KindToeplitz] {
		m := c.Toeplitz[n]
		add(modelEntry{Kind: modelspec.KindToeplitz, Name: n, Params: m.Params, DerivedParams: derivedList(m.DerivedParams), EGPs: egpList(m.ExtraGlobalParams)})
	}
	for _, n := range names[modelspec.KindCustomUpdates] {
		m := c.CustomUpdates[n]
		add(modelEntry{Kind: modelspec.KindCustomUpdates, Name: n, Params: m.Params, DerivedParams: derivedList(m.DerivedParams),
			Vars: varList(m.Vars), EGPs: egpList(m.ExtraGlobalParams), VarRefs: varRefList(m.VarRefs)})
	}
	return out
}

func newModelsCmd(stdout io.Writer) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "models",
		Short: "List the built-in GeNN 4.9 models and snippets with their parameters and variables",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			entries := catalogueEntries()
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(entries)
			}
			kind := ""
			for _, e := range entries {
				if e.Kind != kind {
					if kind != "" {
						fmt.Fprintln(stdout)
					}
					kind = e.Kind
					fmt.Fprintf(stdout, "%s:\n", kind)
				}
				fmt.Fprintf(stdout, "  %s\n", e.Name)
				line := func(label string, items []string) {
					if len(items) > 0 {
						fmt.Fprintf(stdout, "    %-20s %s\n", label, strings.Join(items, ", "))
					}
				}
				line("params:", e.Params)
				line("derived params:", e.DerivedParams)
				line("vars:", e.Vars)
				line("pre vars:", e.PreVars)
				line("post vars:", e.PostVars)
				line("extra global params:", e.EGPs)
				line("var refs:", e.VarRefs)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of {kind, name, params, derived_params, vars, ...}")
	return cmd
}
