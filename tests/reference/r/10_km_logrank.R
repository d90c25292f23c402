# Kaplan-Meier (survfit), medians (print.survfit via survmean), quantiles
# (quantile.survfit), landmarks (summary.survfit(times=)), restricted means
# (print(fit, rmean=tau)), reverse-KM follow-up, and log-rank tests (survdiff,
# G-rho, strata), the trend test (Breslow Cox score test of the numeric score)
# and pairwise log-rank with p.adjust.
#
# Sourced by generate_r.R, which provides write_json_ref() and data_dir.
# Writes tests/reference/json/km_*.json and tests/reference/json/logrank_*.json.

read_ref <- function(name) read.csv(file.path(data_dir, paste0(name, ".csv")))

lung <- read_ref("lung")
veteran <- read_ref("veteran")
ovarian <- read_ref("ovarian")
sim_ties <- read_ref("sim_ties")
sim_ties$wint <- (sim_ties$id %% 3) + 1        # integer case weights 1, 2, 3
sim_zero <- read_ref("sim_zero")
sim_counting <- read_ref("sim_counting")

strata_vec <- function(fit, levs) {
  # the group label of each row of a survfit object
  if (is.null(fit$strata)) rep(levs, length(fit$time)) else rep(levs, fit$strata)
}

as_matrix <- function(m, nrow_expected) {
  if (is.matrix(m)) m else matrix(m, nrow = nrow_expected, dimnames = list(NULL, names(m)))
}

km_one <- function(data, y, g, levs, weights, conf_type, at_times, tau, probs) {
  fit <- if (is.null(weights)) {
    survfit(y ~ g, conf.type = conf_type)
  } else {
    survfit(y ~ g, weights = weights, conf.type = conf_type)
  }
  s <- summary(fit, censored = TRUE)
  table <- list(group = strata_vec(fit, levs), time = fit$time, n_risk = fit$n.risk,
                n_event = fit$n.event, n_censor = fit$n.censor, survival = fit$surv,
                std_err = s$std.err, ci_lower = fit$lower, ci_upper = fit$upper)
  med <- as_matrix(survival:::survmean(fit, rmean = "none")$matrix, length(levs))
  median <- list(group = levs, n = unname(med[, "records"]), n_events = unname(med[, "events"]),
                 median = unname(med[, "median"]), ci_lower = unname(med[, 6]),
                 ci_upper = unname(med[, 7]))
  rm <- as_matrix(survival:::survmean(fit, rmean = tau)$matrix, length(levs))
  rmst <- list(tau = tau, group = levs, rmst = unname(rm[, "rmean"]),
               std_err = unname(rm[, "se(rmean)"]))
  q <- quantile(fit, probs = probs)
  qm <- function(x) matrix(x, nrow = length(levs))
  quant <- list(probs = probs, group = rep(levs, each = length(probs)),
                p = rep(probs, length(levs)),
                quantile = c(t(qm(q$quantile))), ci_lower = c(t(qm(q$lower))),
                ci_upper = c(t(qm(q$upper))))
  at <- list()
  for (extend in c(FALSE, TRUE)) {
    a <- summary(fit, times = at_times, extend = extend)
    grp <- if (is.null(a$strata)) rep(levs, length(a$time)) else levs[as.integer(a$strata)]
    at[[if (extend) "extend" else "no_extend"]] <- list(
      group = grp, time = a$time, n_risk = a$n.risk, n_event = a$n.event,
      n_censor = a$n.censor, survival = a$surv, std_err = a$std.err,
      ci_lower = a$lower, ci_upper = a$upper)
  }
  list(table = table, median = median, rmst = rmst, quantile = quant, at_times = at_times,
       at = at)
}

km_case <- function(name, data, time, event, group = NULL, entry = NULL, weights = NULL,
                    at_times, tau, probs = c(0.1, 0.25, 0.5, 0.75)) {
  tt <- data[[time]]
  ee <- data[[event]]
  y <- if (is.null(entry)) Surv(tt, ee) else Surv(data[[entry]], tt, ee)
  if (is.null(group)) {
    g <- factor(rep("all", nrow(data)))
  } else {
    g <- factor(data[[group]])
  }
  levs <- levels(g)
  w <- if (is.null(weights)) NULL else data[[weights]]
  out <- list(call = paste0("survfit(Surv(", if (is.null(entry)) "" else paste0(entry, ", "),
                            time, ", ", event, ") ~ ", if (is.null(group)) "1" else group,
                            if (is.null(weights)) "" else paste0(", weights = ", weights), ")"),
              time = time, event = event, group = group, entry = entry, weights = weights,
              groups = levs)
  for (ct in c("log", "log-log", "plain")) {
    out[[ct]] <- km_one(data, y, g, levs, w, ct, at_times, tau, probs)
  }
  if (is.null(entry)) {
    # reverse Kaplan-Meier: censoring is the "event"
    yr <- Surv(tt, 1 - ee)
    fr <- if (is.null(w)) survfit(yr ~ g) else survfit(yr ~ g, weights = w)
    fm <- as_matrix(survival:::survmean(fr, rmean = "none")$matrix, length(levs))
    out$followup <- list(group = levs, median = unname(fm[, "median"]),
                         ci_lower = unname(fm[, 6]), ci_upper = unname(fm[, 7]))
  }
  write_json_ref(out, paste0("km_", name))
}

km_case("lung_all", lung, "time", "event", at_times = c(0, 5, 100, 183, 365, 500, 730, 1100),
        tau = 730)
km_case("lung_sex", lung, "time", "event", "sex",
        at_times = c(0, 5, 100, 183, 365, 500, 730, 1100), tau = 730)
km_case("veteran_trt", veteran, "time", "status", "trt",
        at_times = c(10, 30, 90, 180, 365, 1000), tau = 365)
km_case("veteran_celltype", veteran, "time", "status", "celltype",
        at_times = c(10, 30, 90, 180, 365, 1000), tau = 365)
km_case("ovarian_rx", ovarian, "futime", "fustat", "rx",
        at_times = c(100, 365, 730, 1300), tau = 700)
km_case("sim_ties_group", sim_ties, "time", "event", "group",
        at_times = c(1, 6, 12, 24, 36, 60), tau = 36)
km_case("sim_ties_group_wt", sim_ties, "time", "event", "group", weights = "wt",
        at_times = c(1, 6, 12, 24, 36, 60), tau = 36)
km_case("sim_ties_group_wint", sim_ties, "time", "event", "group", weights = "wint",
        at_times = c(1, 6, 12, 24, 36, 60), tau = 36)
km_case("sim_zero_group", sim_zero, "time", "event", "group",
        at_times = c(1, 5, 10, 20, 40), tau = 20)
km_case("sim_counting", sim_counting, "stop", "event", entry = "start",
        at_times = c(0.5, 2, 5, 10, 20, 50, 100), tau = 30)
km_case("sim_counting_wt", transform(sim_counting, w = 0.5 + (id %% 4) / 3), "stop", "event",
        entry = "start", weights = "w", at_times = c(0.5, 2, 5, 10, 20, 50, 100), tau = 30)

# --- log-rank: survdiff ------------------------------------------------------
logrank_case <- function(name, data, time, event, group, strata = NULL, rho = 0) {
  g <- factor(data[[group]])
  y <- Surv(data[[time]], data[[event]])
  sd <- if (is.null(strata)) {
    survdiff(y ~ g, rho = rho)
  } else {
    st <- data[[strata]]
    survdiff(y ~ g + strata(st), rho = rho)
  }
  obs <- if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs
  ex <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
  df <- sum(ex > 0) - 1
  write_json_ref(list(
    call = paste0("survdiff(Surv(", time, ", ", event, ") ~ ", group,
                  if (is.null(strata)) "" else paste0(" + strata(", strata, ")"),
                  ", rho = ", rho, ")"),
    time = time, event = event, group = group, strata = strata, rho = rho,
    groups = levels(g), n = as.vector(sd$n), observed = unname(obs), expected = unname(ex),
    o_e2_e = unname((obs - ex)^2 / ex), o_e2_v = unname((obs - ex)^2 / diag(sd$var)),
    var = unname(sd$var), statistic = sd$chisq, df = df, p_value = sd$pvalue),
    paste0("logrank_", name))
}

logrank_case("lung_sex", lung, "time", "event", "sex")
logrank_case("lung_sex_rho1", lung, "time", "event", "sex", rho = 1)
logrank_case("veteran_celltype", veteran, "time", "status", "celltype")
logrank_case("veteran_celltype_rho05", veteran, "time", "status", "celltype", rho = 0.5)
logrank_case("veteran_trt_strata", veteran, "time", "status", "trt", strata = "celltype")
logrank_case("ovarian_rx", ovarian, "futime", "fustat", "rx")
logrank_case("sim_ties_group", sim_ties, "time", "event", "group")
logrank_case("sim_ties_group_rho1", sim_ties, "time", "event", "group", rho = 1)
logrank_case("sim_ties_group_site", sim_ties, "time", "event", "group", strata = "site")
logrank_case("sim_ties_group_site_rho1", sim_ties, "time", "event", "group", strata = "site",
             rho = 1)
logrank_case("sim_zero_group", sim_zero, "time", "event", "group")

# --- trend test --------------------------------------------------------------
# The log-rank test for trend with scores s: U = s'(O - E), V = s' Var(O - E) s,
# chisq = U^2 / V on 1 df, from survdiff's O - E and variance (G-rho weights when
# rho != 0). survdiff has no trend option, so U and V are formed here from its
# output. The score test of coxph(Surv ~ score, ties = "breslow") at beta = 0 is
# recorded too: it equals the trend statistic when event times are untied, and
# differs under ties because survdiff's variance has the hypergeometric factor
# (n - d) / (n - 1) that the Breslow information lacks.
trend_case <- function(name, data, time, event, group, order, scores = seq_along(order),
                       strata = NULL, rho = 0) {
  s <- scores[match(as.character(data[[group]]), order)]
  y <- Surv(data[[time]], data[[event]])
  gf <- factor(data[[group]], levels = order)
  if (is.null(strata)) {
    cf <- coxph(y ~ s, ties = "breslow")
    sd <- survdiff(y ~ gf, rho = rho)
  } else {
    st <- data[[strata]]
    cf <- coxph(y ~ s + strata(st), ties = "breslow")
    sd <- survdiff(y ~ gf + strata(st), rho = rho)
  }
  obs <- if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs
  ex <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
  u <- sum(scores * (obs - ex))
  v <- c(t(scores) %*% sd$var %*% scores)
  write_json_ref(list(
    call = paste0("survdiff(Surv(", time, ", ", event, ") ~ factor(", group, ", levels = order)",
                  if (is.null(strata)) "" else paste0(" + strata(", strata, ")"),
                  ", rho = ", rho, "): U = s'(O - E), V = s'Vs"),
    time = time, event = event, group = group, strata = strata, rho = rho, order = order,
    scores = scores, u = u, v = v, statistic = u^2 / v,
    p_value = pchisq(u^2 / v, 1, lower.tail = FALSE),
    cox_breslow_score = unname(cf$score)), paste0("logrank_trend_", name))
}

trend_case("sim_ties", sim_ties, "time", "event", "group", order = c("A", "B", "C"))
trend_case("sim_ties_site", sim_ties, "time", "event", "group", order = c("A", "B", "C"),
           strata = "site")
trend_case("sim_ties_rho1", sim_ties, "time", "event", "group", order = c("A", "B", "C"),
           rho = 1)
trend_case("veteran_celltype", veteran, "time", "status", "celltype",
           order = c("squamous", "smallcell", "adeno", "large"), scores = c(0, 1, 3, 4))
# untied times (row number / 1000 added): the trend statistic equals the Cox score test
veteran_untied <- transform(veteran, time = time + seq_len(nrow(veteran)) / 1000)
trend_case("veteran_untied_celltype", veteran_untied, "time", "status", "celltype",
           order = c("squamous", "smallcell", "adeno", "large"))
trend_case("sim_zero", sim_zero, "time", "event", "group", order = c("D", "B", "A"))

# --- pairwise log-rank (survminer::pairwise_survdiff logic) -----------------
pairwise_case <- function(name, data, time, event, group, strata = NULL, rho = 0) {
  levs <- levels(factor(data[[group]]))
  g1 <- character(0); g2 <- character(0); chisq <- numeric(0); p <- numeric(0)
  for (i in 1:(length(levs) - 1)) for (j in (i + 1):length(levs)) {
    sub <- data[data[[group]] %in% levs[c(i, j)], ]
    y <- Surv(sub[[time]], sub[[event]])
    gg <- factor(sub[[group]])
    sd <- if (is.null(strata)) survdiff(y ~ gg, rho = rho) else {
      st <- sub[[strata]]
      survdiff(y ~ gg + strata(st), rho = rho)
    }
    g1 <- c(g1, levs[i]); g2 <- c(g2, levs[j]); chisq <- c(chisq, sd$chisq)
    p <- c(p, pchisq(sd$chisq, 1, lower.tail = FALSE))
  }
  write_json_ref(list(
    call = "survdiff on each pair subset; p.adjust(p, method)",
    time = time, event = event, group = group, strata = strata, rho = rho,
    group1 = g1, group2 = g2, statistic = chisq, p_value = p,
    holm = p.adjust(p, "holm"), bonferroni = p.adjust(p, "bonferroni"),
    BH = p.adjust(p, "BH"), none = p.adjust(p, "none")), paste0("logrank_pairwise_", name))
}

pairwise_case("veteran_celltype", veteran, "time", "status", "celltype")
pairwise_case("sim_ties_site_rho1", sim_ties, "time", "event", "group", strata = "site", rho = 1)
