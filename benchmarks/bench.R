#!/usr/bin/env Rscript
# R survival timings for benchmarks/run.py (same data, read from raw binary files).
# Usage: Rscript benchmarks/bench.R DATA_DIR REPEAT TASK [TASK ...]
# Prints one JSON object: {"<task>_<n>_<variant>": seconds (best of REPEAT)}.
suppressPackageStartupMessages({ library(survival); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; repeat_n <- as.integer(args[2]); tasks <- args[-(1:2)]
best <- function(f) {
  ts <- numeric(repeat_n)
  for (i in seq_len(repeat_n)) ts[i] <- system.time(f())[["elapsed"]]
  min(ts)
}
rd <- function(name, n) readBin(file.path(dir, name), what = "double", n = n)
meta <- fromJSON(file.path(dir, "meta.json"))
out <- list()
for (key in tasks) {
  parts <- strsplit(key, ":")[[1]]  # task:n:variant
  task <- parts[1]; n <- as.integer(parts[2]); variant <- parts[3]
  stem <- paste0(n, "_", variant)
  time <- rd(paste0(stem, "_time.bin"), n)
  event <- rd(paste0(stem, "_event.bin"), n)
  group <- rd(paste0(stem, "_group.bin"), n)
  if (task == "cox") {
    p <- meta$p
    X <- matrix(rd(paste0(stem, "_X.bin"), n * p), nrow = n, ncol = p)
    out[[paste(task, n, variant, sep = "_")]] <- best(function()
      coxph(Surv(time, event) ~ X, ties = "efron"))
  } else if (task == "km") {
    out[[paste(task, n, variant, sep = "_")]] <- best(function() {
      fit <- survfit(Surv(time, event) ~ group, conf.type = "log")
      s <- summary(fit, censored = TRUE)
      m <- summary(fit)$table[, c("median", "0.95LCL", "0.95UCL")]
    })
  } else if (task == "logrank") {
    out[[paste(task, n, variant, sep = "_")]] <- best(function()
      survdiff(Surv(time, event) ~ group))
  }
}
cat(toJSON(out, auto_unbox = TRUE, digits = NA))
