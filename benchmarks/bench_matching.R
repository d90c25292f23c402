# glm + MatchIt's caliper-respecting nearest-neighbour kernel on the benchmark data.
# Usage: Rscript benchmarks/bench_matching.R data.csv out.json
suppressPackageStartupMessages({library(MatchIt); library(jsonlite)})
a <- commandArgs(TRUE)
d <- read.csv(a[1])
t0 <- proc.time()[["elapsed"]]
g <- glm(treat ~ age + size_cm + stage + t_stage + bclc + etiology + pvi, binomial, d)
t1 <- proc.time()[["elapsed"]]
dist <- unname(g$linear.predictors)
tr <- setNames(as.integer(d$treat), seq_len(nrow(d)))
n1 <- sum(tr == 1)
ord <- order(dist[tr == 1], decreasing = TRUE)
mm <- MatchIt:::nn_matchC(tr, ord, rep(1L, n1), rep(FALSE, nrow(d)), 1L, dist, NULL, NULL,
                          0.2 * sd(dist), NULL, NULL, NULL, NULL, NULL, FALSE)
t2 <- proc.time()[["elapsed"]]
m <- unname(mm[, 1]) - 1L
m[is.na(m)] <- -1L
writeLines(toJSON(list(glm_s = t1 - t0, match_s = t2 - t1, matches = m,
                  distance = sprintf("%.17g", dist)), digits = NA,
                  auto_unbox = TRUE), a[2])
