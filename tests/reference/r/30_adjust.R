# Propensity scores, matching, balance (MatchIt 4.5.1) and Table 1 tests (base R).
# Sourced by generate_r.R (write_json_ref, write_data, data_dir).
#
# MatchIt's default nearest-neighbour route on Debian (MatchIt 4.5.1, issue #163)
# ignores the caliper, so matches are computed with MatchIt's internal C++ kernel
# MatchIt:::nn_matchC called exactly as matchit2nearest would (ord, ratio,
# discarded, reuse.max, distance, caliper = caliper * sd(distance)), and every
# match set is re-derived below by an independent greedy R loop.

suppressPackageStartupMessages(library(MatchIt))
set.seed(30)

# ---- data -------------------------------------------------------------------
data("lalonde", package = "MatchIt")
lal <- lalonde
lal$race <- as.character(lal$race)
write_data(lal, "adjust_lalonde")

n <- 1500
sim <- data.frame(
  age = round(rnorm(n, 60, 10)),
  size_cm = round(rexp(n, 1 / 5), 1),
  stage = sample(c("III", "IVA"), n, replace = TRUE, prob = c(0.6, 0.4)),
  bclc = sample(c("B", "C"), n, replace = TRUE),
  pvi = rbinom(n, 1, 0.4),
  etiology = sample(c("HBV", "HCV", "other"), n, replace = TRUE, prob = c(0.6, 0.2, 0.2))
)
lp <- -3 + 0.02 * (sim$age - 60) + 0.15 * sim$size_cm + 0.5 * (sim$stage == "IVA") +
  0.4 * (sim$bclc == "C") + 0.6 * sim$pvi + 0.3 * (sim$etiology == "HBV")
sim$treat <- rbinom(n, 1, plogis(lp))
write_data(sim, "adjust_sim")

# only categorical covariates: many exactly tied distances (tie-break check)
nt <- 400
ties <- data.frame(a = rbinom(nt, 1, 0.5), b = sample(c("x", "y", "z"), nt, replace = TRUE))
ties$treat <- rbinom(nt, 1, plogis(-1 + 0.8 * ties$a + 0.5 * (ties$b == "z")))
write_data(ties, "adjust_ties")

# ---- glm fits ---------------------------------------------------------------
fit_glm <- function(f, d) glm(f, family = binomial, data = d,
                              control = glm.control(epsilon = 1e-14, maxit = 100))
f_lal <- treat ~ age + educ + race + married + nodegree + re74 + re75
f_sim <- treat ~ age + size_cm + stage + bclc + pvi + etiology
f_ties <- treat ~ a + b
g_lal <- fit_glm(f_lal, lal)
g_sim <- fit_glm(f_sim, sim)
g_ties <- fit_glm(f_ties, ties)

# ---- independent greedy check in plain R --------------------------------------
greedy_check <- function(distance, treat, ord, ratio, cal, mm) {
  ind1 <- which(treat == 1); ind0 <- which(treat == 0)
  used <- rep(FALSE, length(treat))
  res <- matrix(NA_integer_, length(ind1), ratio)
  for (r in seq_len(ratio)) for (i in ord) {
    if (r > 1 && is.na(res[i, r - 1])) next
    cand <- ind0[!used[ind0]]
    dd <- abs(distance[cand] - distance[ind1[i]])
    ok <- dd <= cal
    if (!any(ok)) next
    cand <- cand[ok]; dd <- dd[ok]
    j <- cand[which(dd == min(dd))[1]]   # ties: first control in row order
    res[i, r] <- j; used[j] <- TRUE
  }
  stopifnot(identical(unname(res), unname(mm)))
  invisible(TRUE)
}

run_nn <- function(distance, treat, m.order, ratio, caliper, replace = FALSE) {
  n1 <- sum(treat == 1)
  ord <- switch(m.order,
                largest = order(distance[treat == 1], decreasing = TRUE),
                smallest = order(distance[treat == 1], decreasing = FALSE),
                data = seq_len(n1))
  cal <- if (is.null(caliper)) NULL else caliper * sd(distance)
  reuse <- if (replace) n1 else 1L
  tr <- setNames(as.integer(treat), seq_along(treat))
  mm <- MatchIt:::nn_matchC(tr, ord, rep(as.integer(ratio), n1),
                            rep(FALSE, length(treat)), reuse, distance, NULL, NULL,
                            cal, NULL, NULL, NULL, NULL, NULL, FALSE)
  mm <- unname(mm)
  if (!replace) greedy_check(distance, treat, ord, ratio, if (is.null(cal)) Inf else cal, mm)
  # every pair inside the caliper
  if (!is.null(cal)) {
    d1 <- distance[treat == 1]
    for (j in seq_len(ncol(mm))) {
      ok <- !is.na(mm[, j])
      stopifnot(all(abs(distance[mm[ok, j]] - d1[ok]) <= cal))
    }
  }
  list(mm = mm, cal = cal)
}

bal_summary <- function(f, d, distance, mm) {
  treat <- d$treat
  m <- matchit(f, data = d, method = NULL, distance = distance)
  s_all <- summary(m, un = TRUE)$sum.all
  w <- MatchIt:::weights.matrix(mm, treat)
  m$weights <- w
  m$info$method <- "nearest"
  s_m <- summary(m, un = FALSE)$sum.matched
  list(terms = rownames(s_all),
       smd_before = unname(s_all[, "Std. Mean Diff."]),
       vr_before = unname(s_all[, "Var. Ratio"]),
       ecdf_mean_before = unname(s_all[, "eCDF Mean"]),
       ecdf_max_before = unname(s_all[, "eCDF Max"]),
       smd_after = unname(s_m[, "Std. Mean Diff."]),
       vr_after = unname(s_m[, "Var. Ratio"]),
       ecdf_mean_after = unname(s_m[, "eCDF Mean"]),
       ecdf_max_after = unname(s_m[, "eCDF Max"]),
       weights = unname(w))
}

ref_case <- function(name, f, d, g) {
  distance <- unname(g$linear.predictors)
  treat <- d$treat
  cases <- list()
  configs <- list(
    list(id = "largest_cal02", m.order = "largest", ratio = 1, caliper = 0.2),
    list(id = "smallest_cal02", m.order = "smallest", ratio = 1, caliper = 0.2),
    list(id = "data_cal02", m.order = "data", ratio = 1, caliper = 0.2),
    list(id = "largest_nocal", m.order = "largest", ratio = 1, caliper = NULL),
    list(id = "largest_k2_cal02", m.order = "largest", ratio = 2, caliper = 0.2),
    list(id = "smallest_k2_cal01", m.order = "smallest", ratio = 2, caliper = 0.1),
    list(id = "replace_k2_cal02", m.order = "data", ratio = 2, caliper = 0.2, replace = TRUE)
  )
  for (cf in configs) {
    rep_ <- isTRUE(cf$replace)
    r <- run_nn(distance, treat, cf$m.order, cf$ratio, cf$caliper, rep_)
    mm0 <- r$mm - 1L    # 0-based row positions for Python
    mm0[is.na(mm0)] <- -1L
    case <- list(m_order = cf$m.order, ratio = cf$ratio,
                 caliper = if (is.null(cf$caliper)) NULL else cf$caliper,
                 replace = rep_, caliper_abs = if (is.null(r$cal)) NULL else r$cal,
                 matches = mm0)
    if (name != "ties" && cf$id %in% c("largest_cal02", "largest_k2_cal02")) {
      case$balance <- bal_summary(f, d, distance, r$mm)
    }
    cases[[cf$id]] <- case
  }
  # distance as "%.17g" strings: jsonlite's digits = NA keeps only 15 significant digits,
  # and the matching must see bit-identical distances (near-ties)
  list(coef = unname(coef(g)), terms = names(coef(g)), distance = sprintf("%.17g", distance),
       ps = unname(fitted(g)), loglik = as.numeric(logLik(g)), cases = cases)
}

write_json_ref(c(list(MatchIt = as.character(packageVersion("MatchIt"))),
                 ref_case("lalonde", f_lal, lal, g_lal)), "adjust_lalonde")
write_json_ref(ref_case("sim", f_sim, sim, g_sim), "adjust_sim")
write_json_ref(ref_case("ties", f_ties, ties, g_ties), "adjust_ties")

# ---- Firth logistic regression on separated data (optim on the penalised loglik) ----
sep <- data.frame(x = c(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), z = c(0, 1, 0, 1, 1, 0, 1, 0, 1, 1))
sep$t <- as.integer(sep$x > 5)
X <- model.matrix(~ x + z, sep)
pen_ll <- function(b) {
  eta <- drop(X %*% b); p <- plogis(eta)
  sum(sep$t * eta - log1p(exp(eta))) +
    0.5 * as.numeric(determinant(crossprod(X * sqrt(p * (1 - p))))$modulus)
}
pen_score <- function(b) {
  p <- plogis(drop(X %*% b)); w <- p * (1 - p)
  h <- rowSums((X %*% solve(crossprod(X * sqrt(w)))) * X) * w
  drop(crossprod(X, sep$t - p + h * (0.5 - p)))
}
op <- optim(c(0, 0, 0), function(b) -pen_ll(b), function(b) -pen_score(b), method = "BFGS",
            control = list(reltol = 1e-16, maxit = 10000))
write_data(sep, "adjust_separation")
write_json_ref(list(coef = op$par, pen_loglik = -op$value), "adjust_firth")

# ---- Table 1 tests (base R stats) ------------------------------------------------
tab_rxc <- matrix(c(3, 1, 4, 2, 5, 0, 1, 3, 2), nrow = 3)
tab_rxc2 <- matrix(c(8, 2, 3, 5, 1, 6, 2, 2, 4, 7), nrow = 2)
tab_2x2 <- matrix(c(3, 9, 7, 4), nrow = 2)
tab_big <- matrix(c(40, 22, 31, 18, 25, 27, 12, 30, 20), nrow = 3)
x_small <- c(1.2, 3.4, 2.2, 5.1, 0.7, 4.4, 2.9)
y_small <- c(6.3, 2.8, 7.7, 5.9, 8.1, 6.6)
x_ties <- c(1, 2, 2, 3, 3, 3, 4, 5, 5, 6, 7, 7)
y_ties <- c(3, 4, 4, 5, 6, 6, 7, 8, 8, 9, 9)
g3 <- list(c(2.1, 3.3, 1.9, 4.0, 2.8), c(3.9, 4.4, 5.0, 3.1), c(6.2, 5.5, 4.8, 7.0, 5.9, 6.4))
wt_tests <- list(
  fisher_rxc = list(table = tab_rxc, p = fisher.test(tab_rxc)$p.value),
  fisher_2xc = list(table = tab_rxc2, p = fisher.test(tab_rxc2)$p.value),
  fisher_2x2 = list(table = tab_2x2, p = fisher.test(tab_2x2)$p.value,
                    odds_ratio = unname(fisher.test(tab_2x2)$estimate)),
  chisq_2x2_yates = list(table = tab_2x2,
                         p = suppressWarnings(chisq.test(tab_2x2)$p.value),
                         statistic = unname(suppressWarnings(chisq.test(tab_2x2)$statistic))),
  chisq_2x2_plain = list(table = tab_2x2,
                         p = suppressWarnings(chisq.test(tab_2x2, correct = FALSE)$p.value)),
  chisq_rxc = list(table = tab_big, p = chisq.test(tab_big)$p.value,
                   statistic = unname(chisq.test(tab_big)$statistic)),
  wilcox_exact = list(x = x_small, y = y_small, p = wilcox.test(x_small, y_small)$p.value,
                      statistic = unname(wilcox.test(x_small, y_small)$statistic)),
  wilcox_ties = list(x = x_ties, y = y_ties,
                     p = suppressWarnings(wilcox.test(x_ties, y_ties)$p.value),
                     statistic = unname(suppressWarnings(wilcox.test(x_ties, y_ties)$statistic))),
  t_welch = list(x = x_ties, y = y_ties, p = t.test(x_ties, y_ties)$p.value),
  t_student = list(x = x_ties, y = y_ties, p = t.test(x_ties, y_ties, var.equal = TRUE)$p.value),
  kruskal = list(groups = g3, p = kruskal.test(g3)$p.value),
  anova = list(groups = g3, p = summary(aov(v ~ g, data.frame(
    v = unlist(g3), g = factor(rep(seq_along(g3), lengths(g3))))))[[1]][["Pr(>F)"]][1])
)
write_json_ref(wt_tests, "table1_tests")

# larger exact Fisher tables (R's network algorithm) and the 3 x 3 table used for the
# Monte Carlo fallback check
tab_2x5 <- matrix(c(40, 35, 30, 28, 20, 25, 12, 10, 5, 7), nrow = 2)
tab_3x4 <- matrix(c(10, 8, 5, 5, 6, 5, 3, 4, 5, 2, 1, 5), nrow = 3)
tab_2x5_n857 <- matrix(c(83, 0, 6, 13, 4, 487, 25, 76, 77, 86), nrow = 2, byrow = TRUE)
tab_2x6_n857 <- matrix(c(106, 0, 0, 0, 0, 0, 0, 513, 105, 7, 116, 10), nrow = 2, byrow = TRUE)
tab_2x6_uneven <- matrix(c(30, 22, 9, 4, 2, 1, 180, 160, 70, 31, 12, 9), nrow = 2, byrow = TRUE)
write_json_ref(list(
  fisher_2x5 = list(table = tab_2x5, p = fisher.test(tab_2x5)$p.value),
  fisher_3x4 = list(table = tab_3x4, p = fisher.test(tab_3x4)$p.value),
  fisher_3x3_big = list(table = tab_big,
                        p = fisher.test(tab_big, workspace = 2e7)$p.value),
  # 2 x c tables of Table 1 size (n = 857, as in seed study 000): exact in R's FEXACT
  fisher_2x5_n857 = list(table = tab_2x5_n857, p = fisher.test(tab_2x5_n857)$p.value),
  fisher_2x6_n857 = list(table = tab_2x6_n857, p = fisher.test(tab_2x6_n857)$p.value),
  fisher_2x6_uneven = list(table = tab_2x6_uneven, p = fisher.test(tab_2x6_uneven)$p.value)
), "table1_fisher_large")

# Table 1 of the simulated cohort by treatment (base R tests and summaries)
sim_t1 <- list(
  age_wilcox = suppressWarnings(wilcox.test(age ~ treat, data = sim)$p.value),
  age_welch = t.test(age ~ treat, data = sim)$p.value,
  size_quantiles_treated = unname(quantile(sim$size_cm[sim$treat == 1], c(0, .25, .5, .75, 1))),
  size_mean_sd_control = c(mean(sim$size_cm[sim$treat == 0]), sd(sim$size_cm[sim$treat == 0])),
  stage_chisq = chisq.test(table(sim$stage, sim$treat), correct = FALSE)$p.value,
  stage_counts = matrix(as.integer(table(sim$stage, sim$treat)), nrow = 2),
  etiology_chisq = chisq.test(table(sim$etiology, sim$treat))$p.value,
  etiology_fisher = fisher.test(table(sim$etiology, sim$treat), workspace = 2e7)$p.value
)
write_json_ref(sim_t1, "table1_sim")
