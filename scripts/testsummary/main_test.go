package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The summary prints package results and failing tests' output, and groups
// skips by their reason.
func TestSummarize(t *testing.T) {
	in := `{"Action":"start","Package":"github.com/gennctl/gennctl/gpu"}
{"Action":"run","Package":"github.com/gennctl/gennctl/gpu","Test":"TestA"}
{"Action":"output","Package":"github.com/gennctl/gennctl/gpu","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"output","Package":"github.com/gennctl/gennctl/gpu","Test":"TestA","Output":"    a_test.go:10: no GPU visible\n"}
{"Action":"output","Package":"github.com/gennctl/gennctl/gpu","Test":"TestA","Output":"--- SKIP: TestA (0.00s)\n"}
{"Action":"skip","Package":"github.com/gennctl/gennctl/gpu","Test":"TestA"}
{"Action":"output","Package":"github.com/gennctl/gennctl/gpu","Test":"TestB","Output":"    b_test.go:3: no GPU visible\n"}
{"Action":"skip","Package":"github.com/gennctl/gennctl/gpu","Test":"TestB"}
{"Action":"output","Package":"github.com/gennctl/gennctl/gpu","Test":"TestC","Output":"    c_test.go:3: got 1, want 2\n"}
{"Action":"fail","Package":"github.com/gennctl/gennctl/gpu","Test":"TestC"}
{"Action":"output","Package":"github.com/gennctl/gennctl/gpu","Test":"TestD","Output":"    d_test.go:3: quiet\n"}
{"Action":"pass","Package":"github.com/gennctl/gennctl/gpu","Test":"TestD"}
{"Action":"output","Package":"github.com/gennctl/gennctl/sweep","Test":"TestE","Output":"    e_test.go:9: skipped with -short\n"}
{"Action":"skip","Package":"github.com/gennctl/gennctl/sweep","Test":"TestE"}
{"Action":"output","Package":"github.com/gennctl/gennctl/gpu","Output":"FAIL\tgithub.com/gennctl/gennctl/gpu\t0.1s\n"}
{"Action":"fail","Package":"github.com/gennctl/gennctl/gpu"}
`
	var out strings.Builder
	failed, err := summarize(strings.NewReader(in), &out)
	require.NoError(t, err)
	assert.True(t, failed)
	assert.Equal(t, "    c_test.go:3: got 1, want 2\n"+
		"FAIL\tgithub.com/gennctl/gennctl/gpu\t0.1s\n"+
		"skipped: 3 test(s), by reason:\n"+
		"     2  no GPU visible (gpu.TestA, gpu.TestB)\n"+
		"     1  skipped with -short (sweep.TestE)\n", out.String())

	out.Reset()
	failed, err = summarize(strings.NewReader(`{"Action":"pass","Package":"p"}`+"\n"), &out)
	require.NoError(t, err)
	assert.False(t, failed)
	assert.Equal(t, "skipped: none\n", out.String())
}
