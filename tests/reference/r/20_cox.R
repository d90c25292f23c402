# Cox proportional hazards references: coxph, summary.coxph, cox.zph, survfit.coxph,
# concordance. Read by tests/analyse/test_cox_r.py.
#
# Fits use coxph.control(eps = 1e-12, iter.max = 50) so that R sits at the MLE to
# full precision; the monotone-likelihood case (sim_zero) uses the default control
# because there R's answer is "where the iterations stopped".

tight <- coxph.control(eps = 1e-12, toler.chol = 1e-14, iter.max = 50)
rd <- function(name) read.csv(file.path(data_dir, paste0(name, ".csv")))

cox_ref <- function(fit, name, zph = c("km"), newdata = NULL, times = NULL) {
  s <- summary(fit)
  out <- list(
    n = fit$n, nevent = fit$nevent, method = fit$method,
    coef = unname(coef(fit)), names = names(coef(fit)),
    se = unname(sqrt(diag(fit$var))), var = unname(fit$var),
    loglik = fit$loglik, iter = fit$iter, means = unname(fit$means),
    logtest = unname(s$logtest), waldtest = unname(fit$wald.test), sctest = unname(s$sctest),
    conf = unname(s$conf.int),
    concordance = unname(s$concordance),
    concordance_counts = unname(fit$concordance[1:5])
  )
  if (!is.null(fit$naive.var)) {
    out$naive_se <- unname(sqrt(diag(fit$naive.var)))
    out$robust_se <- unname(sqrt(diag(fit$var)))
    out$robscore <- unname(s$robscore)
  }
  for (tr in zph) {
    z <- cox.zph(fit, transform = tr)
    out[[paste0("zph_", tr)]] <- list(terms = rownames(z$table), chisq = unname(z$table[, 1]),
                                      df = unname(z$table[, 2]), p = unname(z$table[, 3]))
  }
  sf <- survfit(fit)
  base <- list(time = sf$time, n_risk = sf$n.risk, n_event = sf$n.event, surv = sf$surv,
               cumhaz = sf$cumhaz, std_err = sf$std.err, lower = sf$lower, upper = sf$upper)
  if (!is.null(sf$strata)) base$strata <- rep(names(sf$strata), sf$strata)
  out$baseline <- base
  if (!is.null(newdata)) {
    ps <- summary(survfit(fit, newdata = newdata), times = times, extend = TRUE)
    out$predict <- list(times = times, surv = unname(ps$surv), std_err = unname(ps$std.err),
                        lower = unname(ps$lower), upper = unname(ps$upper))
  }
  write_json_ref(out, paste0("cox_", name))
}

lung <- rd("lung")
lung <- lung[complete.cases(lung[, c("time", "event", "age", "sex", "ph.ecog")]), ]
nd_lung <- data.frame(age = c(50, 70), sex = c(1, 2), ph.ecog = c(0, 2))
for (ties in c("efron", "breslow")) {
  fit <- coxph(Surv(time, event) ~ age + sex + ph.ecog, data = lung, ties = ties, control = tight)
  cox_ref(fit, paste0("lung_", ties), zph = c("km", "rank", "identity"),
          newdata = nd_lung, times = c(100, 365, 730))
}

veteran <- rd("veteran")
veteran$celltype <- relevel(factor(veteran$celltype), ref = "large")
fit <- coxph(Surv(time, status) ~ trt + celltype + karno, data = veteran, control = tight)
cox_ref(fit, "veteran", newdata = data.frame(trt = c(1, 2), celltype = factor(c("large", "squamous"),
          levels = levels(veteran$celltype)), karno = c(60, 80)), times = c(30, 90, 180))

ovarian <- rd("ovarian")
fit <- coxph(Surv(futime, fustat) ~ age + rx + ecog.ps, data = ovarian, control = tight)
cox_ref(fit, "ovarian")

st <- rd("sim_ties")
nd_st <- data.frame(group = c("A", "C"), x1 = c(4, 6), x2 = c(0, 1), x3 = c("lo", "hi"))
for (ties in c("efron", "breslow")) {
  fit <- coxph(Surv(time, event) ~ group + x1 + x2 + x3, data = st, ties = ties, control = tight)
  cox_ref(fit, paste0("sim_ties_", ties), newdata = nd_st, times = c(6, 12, 24))
}
fit <- coxph(Surv(time, event) ~ group + x1 + x2 + strata(site), data = st, control = tight)
cox_ref(fit, "sim_ties_strata")
fit <- coxph(Surv(time, event) ~ group + x1 + x2, data = st, cluster = cluster, control = tight)
cox_ref(fit, "sim_ties_cluster")
fit <- coxph(Surv(time, event) ~ group + x1 + x2, data = st, weights = wt, control = tight)
cox_ref(fit, "sim_ties_weights")
fit <- coxph(Surv(time, event) ~ group + x1 + x2, data = st, weights = wt, cluster = cluster,
             ties = "breslow", control = tight)
cox_ref(fit, "sim_ties_weights_cluster")

sc <- rd("sim_counting")
fit <- coxph(Surv(start, stop, event) ~ tv + age, data = sc, control = tight)
cox_ref(fit, "sim_counting", zph = c("km", "rank"))
fit <- coxph(Surv(start, stop, event) ~ tv + age, data = sc, cluster = id, control = tight)
cox_ref(fit, "sim_counting_cluster")

sz <- rd("sim_zero")
w <- NULL
fit <- withCallingHandlers(
  coxph(Surv(time, event) ~ group + age, data = sz),
  warning = function(m) { w <<- conditionMessage(m); invokeRestart("muffleWarning") })
write_json_ref(list(coef = unname(coef(fit)), names = names(coef(fit)), se = unname(sqrt(diag(fit$var))),
                    loglik = fit$loglik, iter = fit$iter, warning = w), "cox_sim_zero")
