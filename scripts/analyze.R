#!/usr/bin/env Rscript
# Firing rates of a gennctl sweep, from its spike files, against a swept parameter.
#
# Reads a sweep directory (out/<name>/) with the arrow and dplyr packages only:
#   * spikes/*.arrow as one dataset: spikes are counted per variant and population
#     inside Arrow (only the counts are collected into R);
#   * variants.arrow: the swept values of each variant, joined on variant_id.
# The rate of a population in a variant is spikes / neurons / duration. The duration comes
# from the spike files' metadata; population sizes from their `population_sizes` metadata,
# from the SIZES argument (E=3200,I=800), or else from the variants table
# (spikes_<pop> / rate_<pop>).
#
# Writes a PNG (ggplot2) of the mean rate over repeats against X, one line per population and
# per combination of the other swept parameters.
#
#   install.packages(c("arrow", "dplyr", "ggplot2"))
#   Rscript scripts/analyze.R out/cuba_sweep synapses.EE.weight_update.vars.g [POPULATION|all] [OUT.png] [SIZES]

suppressPackageStartupMessages({
  library(arrow)
  library(dplyr)
  library(ggplot2)
})

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 2) {
  stop("usage: Rscript analyze.R SWEEP_DIR X_PATH [POPULATION|all] [OUT.png] [SIZES]")
}
sweep_dir <- args[[1]]
x <- args[[2]]
population <- if (length(args) >= 3 && args[[3]] != "all") args[[3]] else NULL
out <- if (length(args) >= 4) args[[4]] else "rates.png"
sizes_arg <- if (length(args) >= 5) args[[5]] else ""

parse_sizes <- function(text) {
  if (is.null(text) || !nzchar(text)) return(c())
  parts <- strsplit(strsplit(text, ",")[[1]], "=")
  setNames(as.numeric(vapply(parts, `[`, "", 2)), vapply(parts, `[`, "", 1))
}

variants_tbl <- read_feather(file.path(sweep_dir, "variants.arrow"), as_data_frame = FALSE)
variants <- as.data.frame(variants_tbl)
axes_meta <- variants_tbl$schema$metadata$axes
axes <- if (!is.null(axes_meta) && nzchar(axes_meta)) strsplit(axes_meta, "\n")[[1]] else grep(".", names(variants), fixed = TRUE, value = TRUE)
if (!(x %in% axes)) stop(sprintf("%s is not a swept parameter (swept: %s)", x, paste(axes, collapse = ", ")))
others <- setdiff(axes, x)
done <- if ("status" %in% names(variants)) filter(variants, status == "done") else variants

spikes <- open_dataset(file.path(sweep_dir, "spikes"), format = "arrow")
meta <- spikes$schema$metadata # dt, duration, units, ...: the same in every spike file
duration_ms <- as.numeric(meta$duration)

counts <- spikes %>%
  select(variant_id, population) %>%
  mutate(population = as.character(population)) %>%
  group_by(variant_id, population) %>%
  summarise(spikes = n()) %>%
  collect() %>%
  ungroup()

pops <- sub("^rate_", "", grep("^rate_", names(variants), value = TRUE))
if (length(pops) == 0) pops <- sort(unique(counts$population))
sizes <- parse_sizes(meta$population_sizes)
if (length(sizes) == 0) sizes <- parse_sizes(sizes_arg)
for (p in setdiff(pops, names(sizes))) {
  r <- done[!is.na(done[[paste0("rate_", p)]]) & done[[paste0("rate_", p)]] > 0, ]
  if (nrow(r) == 0) stop(sprintf("size of population %s unknown: pass SIZES as %s=N", p, p))
  sizes[p] <- round(r[[paste0("spikes_", p)]][1] / (r[[paste0("rate_", p)]][1] * duration_ms / 1000))
}

# Every completed variant x population, 0 spikes where none were recorded.
grid <- merge(done[, c("variant_id", axes), drop = FALSE], data.frame(population = pops), by = NULL)
rates <- grid %>%
  left_join(counts, by = c("variant_id", "population")) %>%
  mutate(
    spikes = coalesce(as.numeric(spikes), 0),
    size = unname(sizes[population]),
    rate_hz = spikes / size / (duration_ms / 1000)
  )
if (!is.null(population)) rates <- filter(rates, population == !!population)

label_of <- function(df) {
  lab <- as.character(df$population)
  for (a in others) lab <- paste0(lab, ", ", sub(".*\\.", "", a), "=", df[[a]])
  lab
}
rates$line <- label_of(rates)
summary <- rates %>%
  group_by(line, xval = .data[[x]]) %>%
  summarise(mean = mean(rate_hz), sem = if (n() > 1) sd(rate_hz) / sqrt(n()) else 0, n = n(), .groups = "drop")

g <- ggplot(summary, aes(x = xval, y = mean, colour = line)) +
  geom_line() +
  geom_point() +
  geom_errorbar(aes(ymin = mean - sem, ymax = mean + sem), width = 0) +
  expand_limits(y = 0) +
  labs(x = x, y = "rate (Hz)", colour = NULL)
ggsave(out, g, width = 8, height = 5, dpi = 100)
cat(sprintf("wrote %s: %d variant-population rates, %d points\n", out, nrow(rates), nrow(summary)))
