package modelspec_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gennctl/gennctl/modelspec"
)

// FuzzDecode checks that Parse+Decode never panics and that a document either
// decodes to a network or yields diagnostics that all point into the file.
// Seeds: the example configs, every bad case of TestDecodeBad and the
// positive documents of decode_test.go; crashers found by the fuzzer live in
// testdata/fuzz/FuzzDecode (with the inputs of issue 18: tabs, bad indentation,
// an alias bomb, a long name, a duration that is no whole number of steps).
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob("../configs/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, c := range badCases {
		f.Add([]byte(c.doc))
	}
	f.Add([]byte(customNeuronDoc))
	f.Add([]byte(structureBase))

	const file = "fuzz.yaml"
	f.Fuzz(func(t *testing.T, data []byte) {
		net, err := decodeBytes(file, data)
		if err == nil {
			if net == nil {
				t.Fatal("nil network and nil error")
			}
			if len(net.Populations) == 0 {
				t.Fatal("a network without populations decoded")
			}
			for _, v := range net.Values() {
				if v.Path == "" {
					t.Fatalf("value %v has no path", v)
				}
			}
			if len(net.StructureDigest()) != 64 {
				t.Fatal("bad structure digest")
			}
			return
		}
		if net != nil {
			t.Fatalf("network and error both returned: %v", err)
		}
		var ds modelspec.Diagnostics
		if !errors.As(err, &ds) {
			t.Fatalf("error is %T, not Diagnostics: %v", err, err)
		}
		if len(ds) == 0 {
			t.Fatal("empty Diagnostics returned as an error")
		}
		for _, d := range ds {
			if d.Pos.File != file || d.Pos.Line < 1 || d.Pos.Col < 1 {
				t.Fatalf("diagnostic without a position in %s: %q", file, d.Error())
			}
			if d.Msg == "" {
				t.Fatalf("diagnostic without a message: %q", d.Error())
			}
		}
	})
}

func decodeBytes(file string, data []byte) (*modelspec.Network, error) {
	root, err := modelspec.Parse(file, data)
	if err != nil {
		return nil, err
	}
	return modelspec.Decode(file, data, root)
}
