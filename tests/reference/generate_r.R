#!/usr/bin/env Rscript
# Reference values from R for the hccstudy test suite.
#
# Run from the repository root:  Rscript tests/reference/generate_r.R [script.R ...]
# Needs: r-base-core r-cran-survival r-cran-jsonlite (Debian packages).
# Writes the input data sets to tests/reference/data/*.csv and the R results to
# tests/reference/json/*.json. The tests read only those files, so CI needs no R.
# Every script below is seeded; re-running it reproduces the committed files
# byte for byte (with the same R and survival versions, recorded in meta.json).

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})

ref_dir <- "tests/reference"
data_dir <- file.path(ref_dir, "data")
json_dir <- file.path(ref_dir, "json")
dir.create(data_dir, showWarnings = FALSE, recursive = TRUE)
dir.create(json_dir, showWarnings = FALSE, recursive = TRUE)

write_json_ref <- function(x, name) {
  # digits = NA: full double precision (17 significant digits)
  writeLines(toJSON(x, digits = NA, auto_unbox = TRUE, null = "null", na = "null",
                    pretty = TRUE),
             file.path(json_dir, paste0(name, ".json")))
}
write_data <- function(df, name) {
  write.csv(df, file.path(data_dir, paste0(name, ".csv")), row.names = FALSE, na = "")
}

write_json_ref(list(R = R.version.string,
                    survival = as.character(packageVersion("survival"))), "meta")

# Optional arguments: run only the named scripts, e.g. `Rscript generate_r.R 50_models.R`.
only <- commandArgs(trailingOnly = TRUE)
for (f in sort(list.files(file.path(ref_dir, "r"), pattern = "\\.R$", full.names = TRUE))) {
  if (length(only) > 0 && !(basename(f) %in% only)) next
  message("running ", f)
  source(f, local = new.env())
}
