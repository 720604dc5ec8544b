package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gennctl/gennctl/plot"
	"github.com/spf13/cobra"
)

func newPlotCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plot",
		Short: "Draw figures of a sweep's results as PNG (spike raster, rate vs parameter)",
		Long: `plot draws standard figures from a sweep output directory (out/<name>/) as PNG
images. It reads only the Arrow files there, so it also works on a copied or
partially complete directory.`,
	}
	cmd.AddCommand(newPlotRasterCmd(stdout), newPlotRatesCmd(stdout))
	return cmd
}

// plotErr marks a missing variant, column or population as bad input.
func plotErr(dir string, err error) error {
	if errors.Is(err, plot.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
		return badInput{err}
	}
	return fmt.Errorf("%s: %w", dir, err)
}

func addSizeFlags(c *cobra.Command, out string) {
	c.Flags().StringP("output", "o", out, "PNG file to write")
	c.Flags().Int("width", plot.DefaultWidth, "image width in pixels")
	c.Flags().Int("height", plot.DefaultHeight, "image height in pixels")
}

func sizeFlags(c *cobra.Command) (out string, w, h int, err error) {
	out, _ = c.Flags().GetString("output")
	w, _ = c.Flags().GetInt("width")
	h, _ = c.Flags().GetInt("height")
	if w <= 0 || h <= 0 || w > 20000 || h > 20000 {
		return "", 0, 0, badInput{fmt.Errorf("--width and --height must be 1..20000 pixels (got %dx%d)", w, h)}
	}
	return out, w, h, nil
}

func newPlotRasterCmd(stdout io.Writer) *cobra.Command {
	c := &cobra.Command{
		Use:   "raster DIR --variant ID [--from MS] [--to MS] [-o raster.png]",
		Short: "Spike raster of one variant: time against neuron, populations stacked",
		Long: `raster draws the spikes of one variant (DIR/spikes/variant-<ID>.arrow): time in ms
on x, neuron on y, one colour per population, populations stacked in network
order. Variant ids are in the variant_id column of DIR/variants.arrow.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			out, w, h, err := sizeFlags(c)
			if err != nil {
				return err
			}
			id, _ := c.Flags().GetUint64("variant")
			from, _ := c.Flags().GetFloat64("from")
			to, _ := c.Flags().GetFloat64("to")
			if from < 0 || (c.Flags().Changed("to") && to <= from) {
				return badInput{fmt.Errorf("need 0 <= --from < --to (got %g, %g)", from, to)}
			}
			p, info, err := plot.Raster(args[0], plot.RasterOptions{Variant: id, From: from, To: to})
			if err != nil {
				return plotErr(args[0], err)
			}
			if err := plot.SavePNG(p, w, h, out); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "wrote %s: variant %d, %d spikes\n", out, id, info.Spikes)
			return nil
		},
	}
	c.Flags().Uint64("variant", 0, "variant id (required)")
	c.Flags().Float64("from", 0, "start of the time window, ms")
	c.Flags().Float64("to", 0, "end of the time window, ms (default: the simulation's duration)")
	_ = c.MarkFlagRequired("variant")
	addSizeFlags(c, "raster.png")
	return c
}

func newPlotRatesCmd(stdout io.Writer) *cobra.Command {
	c := &cobra.Command{
		Use:   "rates DIR --x PATH [--population P] [-o rates.png]",
		Short: "Mean firing rate against a swept parameter, one line per value of the other axes",
		Long: `rates draws the mean firing rate (Hz, the rate_<population> columns of
DIR/variants.arrow) of completed variants against the swept config path given
with --x, averaged over repeats with standard-error bars. There is one line per
population and per combination of the values of the other swept paths.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			out, w, h, err := sizeFlags(c)
			if err != nil {
				return err
			}
			x, _ := c.Flags().GetString("x")
			pop, _ := c.Flags().GetString("population")
			p, series, err := plot.Rates(args[0], plot.RatesOptions{X: x, Population: pop})
			if err != nil {
				return plotErr(args[0], err)
			}
			if err := plot.SavePNG(p, w, h, out); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "wrote %s: %d line(s)\n", out, len(series))
			return nil
		},
	}
	c.Flags().String("x", "", "swept config path for the x axis, e.g. synapses.EE.weight_update.vars.g (required)")
	c.Flags().String("population", "", "population to draw (default: all)")
	_ = c.MarkFlagRequired("x")
	addSizeFlags(c, "rates.png")
	return c
}
