package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/gennctl/gennctl/plot"
	"github.com/spf13/cobra"
	gplot "gonum.org/v1/plot"
)

func newPlotCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plot",
		Short: "Draw figures of a sweep's results (spike raster, state traces, rate vs parameter)",
		Long: `plot draws standard figures from a sweep output directory (out/<name>/). It
reads only the Arrow files there, so it also works on a copied or partially
complete directory. The format follows the -o file's extension: .png, .svg,
.pdf, .eps, .jpg or .tif. Legends sit to the right of the data; a variant's
swept values are in the title.`,
	}
	cmd.AddCommand(newPlotRasterCmd(stdout), newPlotStateCmd(stdout), newPlotRatesCmd(stdout))
	return cmd
}

// plotOptions are the settings every plot command has: the image file and
// its size.
type plotOptions struct {
	out           string
	width, height int
}

func addPlotFlags(c *cobra.Command, out string) {
	c.Flags().StringP("output", "o", out, "image file to write; its extension names the format: "+strings.Join(plot.Formats, ", "))
	c.Flags().Int("width", plot.DefaultWidth, "image width in pixels (vector formats: at 96 per inch)")
	c.Flags().Int("height", plot.DefaultHeight, "image height in pixels")
}

func plotFlags(c *cobra.Command) plotOptions {
	var o plotOptions
	o.out, _ = c.Flags().GetString("output")
	o.width, _ = c.Flags().GetInt("width")
	o.height, _ = c.Flags().GetInt("height")
	return o
}

// check refuses a bad size or image format before anything is read.
func (o plotOptions) check() error {
	if o.width <= 0 || o.height <= 0 || o.width > 20000 || o.height > 20000 {
		return badInput{fmt.Errorf("--width and --height must be 1..20000 pixels (got %dx%d)", o.width, o.height)}
	}
	if _, err := plot.Format(o.out); err != nil {
		return badInput{err}
	}
	return nil
}

// save writes a figure, or says why it could not be drawn (a missing
// variant, column or population is bad input).
func (o plotOptions) save(dir string, p *gplot.Plot, err error) error {
	if errors.Is(err, plot.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
		return badInput{err}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	return plot.Save(p, o.width, o.height, o.out)
}

// rasterOptions are the settings of one plot raster command.
type rasterOptions struct {
	plotOptions
	dir string
	plot.RasterOptions
	toGiven bool
}

func newPlotRasterCmd(stdout io.Writer) *cobra.Command {
	c := &cobra.Command{
		Use:   "raster DIR --variant ID [--from MS] [--to MS] [-o raster.png]",
		Short: "Spike raster of one variant: time against neuron, populations stacked",
		Long: `raster draws the spikes of one variant (DIR/spikes/variant-<ID>.arrow): time in ms
on x, neuron on y, populations stacked in network order, each in its own colour,
named on the y axis with a line at each boundary. gennctl variants DIR lists the
variant ids.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o := rasterOptions{plotOptions: plotFlags(c), dir: args[0], toGiven: c.Flags().Changed("to")}
			o.Variant, _ = c.Flags().GetUint64("variant")
			o.From, _ = c.Flags().GetFloat64("from")
			o.To, _ = c.Flags().GetFloat64("to")
			return runPlotRaster(o, stdout)
		},
	}
	c.Flags().Uint64("variant", 0, "variant id (required)")
	c.Flags().Float64("from", 0, "start of the time window, ms")
	c.Flags().Float64("to", 0, "end of the time window, ms (default: the simulation's duration)")
	_ = c.MarkFlagRequired("variant")
	addPlotFlags(c, "raster.png")
	return c
}

func runPlotRaster(o rasterOptions, stdout io.Writer) error {
	if err := o.check(); err != nil {
		return err
	}
	if o.From < 0 || (o.toGiven && o.To <= o.From) {
		return badInput{fmt.Errorf("need 0 <= --from < --to (got %g, %g)", o.From, o.To)}
	}
	p, info, err := plot.Raster(o.dir, o.RasterOptions)
	if err := o.save(o.dir, p, err); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: variant %d, %d spikes\n", o.out, o.Variant, info.Spikes)
	return nil
}

// plotStateOptions are the settings of one plot state command.
type plotStateOptions struct {
	plotOptions
	dir     string
	neurons string // comma-separated indices ("": the first plot.MaxStateLines recorded)
	plot.StateOptions
}

func newPlotStateCmd(stdout io.Writer) *cobra.Command {
	c := &cobra.Command{
		Use:   "state DIR --variant ID --var OWNER.VAR [--neurons 0,5] [--from MS] [--to MS] [-o state.png]",
		Short: "Sampled state of one variant: a recorded variable against time, one line per neuron",
		Long: `state draws the samples of one recorded variable (record: {vars: ...}) of one
variant (DIR/state/variant-<ID>.arrow) against time in ms, one line per neuron,
each in its own colour: --var names the population, synapse group or current
source and the variable, e.g. E.V or EE.inSyn. Without --neurons, the first 20
recorded neurons are drawn.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o := plotStateOptions{plotOptions: plotFlags(c), dir: args[0]}
			o.Variant, _ = c.Flags().GetUint64("variant")
			o.Var, _ = c.Flags().GetString("var")
			o.neurons, _ = c.Flags().GetString("neurons")
			o.From, _ = c.Flags().GetFloat64("from")
			o.To, _ = c.Flags().GetFloat64("to")
			return runPlotState(o, stdout)
		},
	}
	c.Flags().Uint64("variant", 0, "variant id (required)")
	c.Flags().String("var", "", "recorded variable as OWNER.VAR, e.g. E.V (required)")
	c.Flags().String("neurons", "", "comma-separated neuron indices to draw (default: the first 20 recorded)")
	c.Flags().Float64("from", 0, "start of the time window, ms")
	c.Flags().Float64("to", 0, "end of the time window, ms (default: the simulation's duration)")
	_ = c.MarkFlagRequired("variant")
	_ = c.MarkFlagRequired("var")
	addPlotFlags(c, "state.png")
	return c
}

func runPlotState(o plotStateOptions, stdout io.Writer) error {
	if err := o.check(); err != nil {
		return err
	}
	if o.neurons != "" {
		for _, f := range strings.Split(o.neurons, ",") {
			n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 32)
			if err != nil {
				return badInput{fmt.Errorf("--neurons %q: want comma-separated neuron indices, e.g. 0,5,10", o.neurons)}
			}
			o.Neurons = append(o.Neurons, uint32(n))
		}
	}
	p, info, err := plot.State(o.dir, o.StateOptions)
	if err := o.save(o.dir, p, err); err != nil {
		return err
	}
	more := ""
	if info.More > 0 {
		more = fmt.Sprintf(" (%d more recorded: choose with --neurons)", info.More)
	}
	fmt.Fprintf(stdout, "wrote %s: variant %d, %s of %d neuron(s)%s\n", o.out, o.Variant, o.Var, len(info.Neurons), more)
	return nil
}

// ratesOptions are the settings of one plot rates command.
type ratesOptions struct {
	plotOptions
	dir string
	plot.RatesOptions
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
			o := ratesOptions{plotOptions: plotFlags(c), dir: args[0]}
			o.X, _ = c.Flags().GetString("x")
			o.Population, _ = c.Flags().GetString("population")
			return runPlotRates(o, stdout)
		},
	}
	c.Flags().String("x", "", "swept config path for the x axis, e.g. synapses.EE.weight_update.vars.g (required)")
	c.Flags().String("population", "", "population to draw (default: all)")
	_ = c.MarkFlagRequired("x")
	addPlotFlags(c, "rates.png")
	return c
}

func runPlotRates(o ratesOptions, stdout io.Writer) error {
	if err := o.check(); err != nil {
		return err
	}
	p, series, err := plot.Rates(o.dir, o.RatesOptions)
	if err := o.save(o.dir, p, err); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d line(s)\n", o.out, len(series))
	return nil
}
