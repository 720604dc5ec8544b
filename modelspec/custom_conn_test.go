package modelspec_test

import (
	"testing"

	"github.com/gennctl/gennctl/modelspec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCustomConnectivityFields(t *testing.T) {
	doc := `simulation: {dt: 0.1, duration: 1}
models:
  connectivity:
    Both:
      row_build_code: "$(endRow);"
      col_build_code: "$(endCol);"
    Kern:
      params: [w]
      row_build_code: "$(endRow);"
      kernel_size: ["w", "w * 2"]
populations:
  A: {size: 3, model: SpikeSource}
`
	root, err := modelspec.Parse("c.yaml", []byte(doc))
	require.NoError(t, err)
	_, err = modelspec.Decode("c.yaml", []byte(doc), root)
	require.Error(t, err)
	assert.Equal(t, "c.yaml:5:7: models.connectivity.Both: give row_build_code or col_build_code, not both", err.Error())

	ok := `simulation: {dt: 0.1, duration: 1}
models:
  connectivity:
    Kern:
      params: [w]
      row_build_code: "$(endRow);"
      kernel_size: ["w", "w * 2"]
populations:
  A: {size: 3, model: SpikeSource}
`
	root, err = modelspec.Parse("c.yaml", []byte(ok))
	require.NoError(t, err)
	net, err := modelspec.Decode("c.yaml", []byte(ok), root)
	require.NoError(t, err)
	assert.Equal(t, []string{"w", "w * 2"}, net.Custom.Connectivity["Kern"].KernelSize)
}
