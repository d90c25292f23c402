# Response, toxicity and paired / small-sample comparisons (base R stats only):
# binom.test (Clopper-Pearson) and prop.test (Wilson, with and without continuity
# correction) CIs; two-sample prop.test CIs of a difference and Newcombe's hybrid score
# interval computed by hand from the Wilson limits; chisq.test with and without Yates'
# correction and fisher.test on response and adverse-event tables; wilcox.test(paired = TRUE)
# in the exact and the normal-approximation regime (ties, zeros, n >= 50); mcnemar.test
# (2 x 2 with and without correction; 3 x 3 = Bowker); exact McNemar by binom.test; the
# likelihood-ratio G-test computed by hand.
#
# Sourced by generate_r.R, which provides write_json_ref() and write_data().
# Writes tests/reference/data/{response,toxicity,paired}_*.csv and
# tests/reference/json/{response,toxicity,paired}_*.json.

set.seed(60)

# --- binomial CIs -----------------------------------------------------------------------
cases <- data.frame(x = c(0, 1, 5, 10, 21, 25, 9, 17, 3, 15, 20, 24),
                    n = c(10, 10, 10, 10, 47, 47, 47, 47, 7, 42, 29, 48))
ci_rows <- list()
for (conf in c(0.95, 0.9)) {
  for (i in seq_len(nrow(cases))) {
    x <- cases$x[i]; n <- cases$n[i]
    cp <- binom.test(x, n, conf.level = conf)$conf.int
    w <- suppressWarnings(prop.test(x, n, correct = FALSE, conf.level = conf))$conf.int
    wc <- suppressWarnings(prop.test(x, n, correct = TRUE, conf.level = conf))$conf.int
    ci_rows[[length(ci_rows) + 1]] <- list(
      x = x, n = n, conf = conf, cp = as.numeric(cp), wilson = as.numeric(w),
      wilson_cc = as.numeric(wc))
  }
}
write_json_ref(ci_rows, "response_binom_ci")

# --- difference of two proportions: group (first) minus reference (second) ---------------
wilson <- function(x, n) as.numeric(suppressWarnings(prop.test(x, n, correct = FALSE))$conf.int)
diff_rows <- list()
pairs <- list(c(20, 29, 15, 42), c(26, 29, 24, 42), c(3, 10, 7, 11), c(0, 12, 4, 13),
              c(9, 9, 5, 8))
for (p in pairs) {
  x1 <- p[1]; n1 <- p[2]; x0 <- p[3]; n0 <- p[4]
  w <- suppressWarnings(prop.test(c(x1, x0), c(n1, n0), correct = FALSE))$conf.int
  wc <- suppressWarnings(prop.test(c(x1, x0), c(n1, n0), correct = TRUE))$conf.int
  p1 <- x1 / n1; p0 <- x0 / n0; d <- p1 - p0
  l1 <- wilson(x1, n1); l0 <- wilson(x0, n0)
  newc <- c(d - sqrt((p1 - l1[1])^2 + (l0[2] - p0)^2),
            d + sqrt((l1[2] - p1)^2 + (p0 - l0[1])^2))
  diff_rows[[length(diff_rows) + 1]] <- list(
    x1 = x1, n1 = n1, x0 = x0, n0 = n0, diff = d, wald = as.numeric(w),
    wald_cc = as.numeric(wc), newcombe = newc)
}
write_json_ref(diff_rows, "response_diff_ci")

# --- a response data set by arm -------------------------------------------------------
n <- 71
arm <- c(rep("IO_T", 42), rep("RT_IO_T", 29))
resp <- ifelse(arm == "IO_T",
               sample(c("CR", "PR", "SD", "PD", "NE"), n, TRUE, c(0.05, 0.3, 0.25, 0.35, 0.05)),
               sample(c("CR", "PR", "SD", "PD", "NE"), n, TRUE, c(0.1, 0.55, 0.2, 0.1, 0.05)))
change <- round(ifelse(resp %in% c("CR", "PR"), runif(n, -100, -30),
                       ifelse(resp == "SD", runif(n, -29, 19), runif(n, 20, 80))), 1)
change[resp == "NE"] <- NA
resp[c(5, 60)] <- NA  # not assessed: excluded and counted
response_sim <- data.frame(arm = arm, response = resp, change = change)
write_data(response_sim, "response_sim")

tests_2xk <- function(tab) {
  list(chisq = suppressWarnings(chisq.test(tab, correct = FALSE))$p.value,
       chisq_yates = suppressWarnings(chisq.test(tab, correct = TRUE))$p.value,
       fisher = fisher.test(tab)$p.value,
       expected_min = min(suppressWarnings(chisq.test(tab))$expected))
}
resp_json <- function(d, cats, denominator) {
  d <- d[!is.na(d$response), ]
  if (denominator == "evaluable") d <- d[d$response != "NE", ]
  out <- list(n = as.list(table(d$arm)))
  for (cat in cats) {
    out[[cat]] <- c(list(x = as.list(tapply(d$response == cat, d$arm, sum))),
                    tests_2xk(table(factor(d$response == cat, c(TRUE, FALSE)), d$arm)))
  }
  for (m in list(list("ORR", c("CR", "PR")), list("DCR", c("CR", "PR", "SD")))) {
    hit <- d$response %in% m[[2]]
    xs <- tapply(hit, d$arm, sum); ns <- table(d$arm)
    cis <- lapply(names(xs), function(g) as.numeric(binom.test(xs[[g]], ns[[g]])$conf.int))
    names(cis) <- names(xs)
    out[[m[[1]]]] <- c(list(x = as.list(xs), ci = cis),
                       tests_2xk(table(factor(hit, c(TRUE, FALSE)), d$arm)))
  }
  full <- table(factor(d$response, cats), d$arm)
  full <- full[rowSums(full) > 0, ]
  out$distribution <- list(chisq = suppressWarnings(chisq.test(full))$p.value,
                           fisher = fisher.test(full)$p.value)
  out
}
write_json_ref(list(all = resp_json(response_sim, c("CR", "PR", "SD", "PD", "NE"), "all"),
                    evaluable = resp_json(response_sim, c("CR", "PR", "SD", "PD"), "evaluable")),
               "response_sim")

# seed 004 Table 3 counts (PR 15/42 vs 20/29; DCR 24/42 vs 26/29; PD 18/42 vs 3/29)
t3 <- function(a, b) suppressWarnings(chisq.test(matrix(c(a, 42 - a, b, 29 - b), 2),
                                                 correct = FALSE))$p.value
write_json_ref(list(pr = t3(15, 20), dcr = t3(24, 26), pd = t3(18, 3), sd = t3(9, 6)),
               "response_seed004")

# --- adverse events: wide worst-grade columns ------------------------------------------
n <- 60
arm <- rep(c("A", "B"), c(34, 26))
g <- function(p) sample(0:4, n, TRUE, p)
tox <- data.frame(arm = arm,
                  ae_diarrhoea = g(c(0.5, 0.25, 0.15, 0.08, 0.02)),
                  ae_fatigue = g(c(0.3, 0.4, 0.2, 0.1, 0)),
                  ae_platelet_count_decreased = ifelse(arm == "B", g(c(0.2, 0.2, 0.2, 0.3, 0.1)),
                                                       g(c(0.6, 0.2, 0.15, 0.05, 0))),
                  ae_rash = g(c(0.85, 0.1, 0.05, 0, 0)))
tox$ae_fatigue[c(3, 40)] <- NA  # not assessed
write_data(tox, "toxicity_sim")
tox_json <- list()
for (term in grep("^ae_", names(tox), value = TRUE)) {
  v <- tox[[term]]; ok <- !is.na(v)
  res <- list(n = as.list(table(tox$arm[ok])))
  for (thr in list(list("any", 1), list("ge3", 3))) {
    hit <- v[ok] >= thr[[2]]
    tab <- table(factor(hit, c(TRUE, FALSE)), tox$arm[ok])
    tab <- tab[rowSums(tab) > 0, , drop = FALSE]
    r <- list(x = as.list(tapply(hit, tox$arm[ok], sum)))
    if (nrow(tab) == 2) r <- c(r, tests_2xk(tab))
    res[[thr[[1]]]] <- r
  }
  tox_json[[term]] <- res
}
worst <- apply(tox[, -1], 1, max, na.rm = TRUE)
for (thr in list(list("worst_any", 1), list("worst_ge3", 3))) {
  hit <- worst >= thr[[2]]
  tox_json[[thr[[1]]]] <- c(list(x = as.list(tapply(hit, tox$arm, sum))),
                            tests_2xk(table(factor(hit, c(TRUE, FALSE)), tox$arm)))
}
write_json_ref(tox_json, "toxicity_sim")
# seed 004 Table 4: all AEs any grade 40/42 vs 29/29 (Fisher 0.51); G3-4 thrombocytopenia
# 1/42 vs 7/29 (Fisher 0.007); AST any grade 15/42 vs 22/29 (chi-square < 0.001)
write_json_ref(list(
  all_any = fisher.test(matrix(c(40, 2, 29, 0), 2))$p.value,
  plt_ge3 = fisher.test(matrix(c(1, 41, 7, 22), 2))$p.value,
  ast_any = chisq.test(matrix(c(15, 27, 22, 7), 2), correct = FALSE)$p.value),
  "toxicity_seed004")

# --- paired: Wilcoxon signed-rank ---------------------------------------------------------
m <- 60
pre_exact <- c(round(rnorm(15, 70, 25), 3), rep(NA, m - 15))
post_exact <- c(round(pre_exact[1:15] - rnorm(15, 8, 15), 3), rep(NA, m - 15))
pre_ties <- c(rep(c(3, 5, 2, 4, 4, 1, 2, 5, 3, 3), 2), rep(NA, m - 20))
post_ties <- c(c(2, 5, 1, 2, 4, 1, 1, 3, 2, 4, 1, 5, 2, 3, 4, 2, 1, 4, 3, 2), rep(NA, m - 20))
pre_large <- round(rlnorm(m, 7, 1.5), 4)
post_large <- round(pre_large * exp(rnorm(m, -0.8, 1)), 4)
pre_small <- c(5.1, 3.2, 8.8, 4.4, 6.0, 7.5, rep(NA, m - 6))  # exact, n = 6, no ties
post_small <- c(4.0, 3.9, 6.1, 2.0, 5.2, 7.1, rep(NA, m - 6))
post_exact[2] <- NA  # an incomplete pair: dropped
paired_sim <- data.frame(pre_exact, post_exact, pre_ties, post_ties, pre_large, post_large,
                         pre_small, post_small)
write_data(paired_sim, "paired_sim")
wx <- function(a, b) {
  w <- suppressWarnings(wilcox.test(a, b, paired = TRUE))
  list(p = w$p.value, V = unname(w$statistic))
}
write_json_ref(list(exact = wx(pre_exact, post_exact), ties = wx(pre_ties, post_ties),
                    large = wx(pre_large, post_large), small = wx(pre_small, post_small),
                    large_exact_forced = list(
                      p = wilcox.test(pre_large, post_large, paired = TRUE,
                                      exact = FALSE)$p.value)),
               "paired_wilcoxon")

# --- McNemar, exact McNemar, Bowker ----------------------------------------------------------
mc <- function(tab) {
  list(table = tab, corrected = mcnemar.test(tab, correct = TRUE)$p.value,
       uncorrected = mcnemar.test(tab, correct = FALSE)$p.value,
       stat = unname(mcnemar.test(tab, correct = TRUE)$statistic),
       exact = binom.test(tab[1, 2], tab[1, 2] + tab[2, 1])$p.value)
}
t1 <- matrix(c(20, 3, 11, 8), 2)   # rows before, columns after
t2 <- matrix(c(7, 0, 5, 6), 2)
t3m <- matrix(c(9, 4, 4, 9), 2)
write_json_ref(list(a = mc(t1), b = mc(t2), c = mc(t3m)), "paired_mcnemar")
bw <- matrix(c(10, 2, 1, 5, 8, 1, 3, 4, 6), 3)
write_json_ref(list(table = bw, p = mcnemar.test(bw)$p.value,
                    stat = unname(mcnemar.test(bw)$statistic)), "paired_bowker")

# --- G-test (likelihood-ratio chi-square) by hand, as JMP prints it ---------------------------
gtest <- function(tab) {
  tab <- tab[rowSums(tab) > 0, colSums(tab) > 0, drop = FALSE]
  e <- outer(rowSums(tab), colSums(tab)) / sum(tab)
  g <- 2 * sum(ifelse(tab > 0, tab * log(tab / e), 0))
  df <- (nrow(tab) - 1) * (ncol(tab) - 1)
  list(g = g, df = df, p = pchisq(g, df, lower.tail = FALSE))
}
# seed 003 Table I: pre vs post as two independent samples of 18 (columns: pre, post)
write_json_ref(list(
  child_pugh = gtest(matrix(c(18, 0, 16, 2), 2)),
  size_gt10 = gtest(matrix(c(5, 13, 0, 18), 2)),
  single = gtest(matrix(c(7, 11, 9, 9), 2)),
  t_stage = gtest(matrix(c(1, 7, 10, 4, 4, 10), 3)),
  # the printed vp / vv p-values (0.798, 0.462) are reproduced only among the patients with
  # macroscopic thrombus (levels vp2-vp4, vv2-vv3), not with the vp0 / vv0 rows included
  vp = gtest(matrix(c(3, 4, 2, 3, 5, 1), 3)),
  vv = gtest(matrix(c(1, 3, 2, 2), 2)),
  vp_with_vp0 = gtest(matrix(c(9, 3, 4, 2, 9, 3, 5, 1), 4))),
  "paired_gtest_seed003")
