package cpu_test

import (
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
)

// Support code is emitted at file scope and callable from the model's code;
// SUPPORT_CODE_FUNC, as in GeNN, makes a function callable from kernels on
// the CUDA backend.
func TestSupportCode(t *testing.T) {
	t.Parallel()
	s := newSim(t, `
simulation: {dt: 0.1, duration: 1, precision: double}
models:
  neurons:
    Sq:
      params: [a]
      vars: {V: scalar}
      support_code: |
        SUPPORT_CODE_FUNC scalar sq(scalar x) { return x * x; }
      sim_code: "$(V) = sq($(a)) + $(id);"
populations:
  P: {size: 3, model: Sq, params: {a: 3.0}, vars: {V: 0.0}}
`, codegen.Options{}, []uint64{1}, nil)
	s.step(1)
	assert.Equal(t, []float64{9, 10, 11}, s.get("P", "V", 0))
}
