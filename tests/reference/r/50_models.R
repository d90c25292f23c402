# Model building (univariate screen, backward elimination), logistic regression and
# subgroup analyses with interaction tests. Read by tests/analyse/test_models.py,
# tests/analyse/test_logistic.py and tests/analyse/test_subgroups.py.
#
# Data: models_sim (n = 300, seeded): survival time in whole months (ties), a strong
# continuous effect (size), a medium binary effect (pvi), a treatment effect (trt), a
# 3-level factor (bclc: C strong, B weak), null effects (age, with 12 missing values,
# and sex); a binary response for the logistic models.
#
# Backward elimination is done by hand on the complete cases of the candidate set:
# Wald block chi-square from coef / vcov (car is not installed), likelihood ratio from
# drop1(fit, test = "Chisq"), AIC by step(). At each step the term with the largest p is
# removed while that p > 0.10 (SPSS BSTEP removal rule).

tight <- coxph.control(eps = 1e-12, toler.chol = 1e-14, iter.max = 50)
gtight <- glm.control(epsilon = 1e-14, maxit = 100)

set.seed(5050)
n <- 300
age <- round(rnorm(n, 60, 10))
age[sample(n, 12)] <- NA
size <- round(runif(n, 1, 15), 1)
pvi <- rbinom(n, 1, 0.4)
bclc <- sample(c("A", "B", "C"), n, replace = TRUE, prob = c(0.2, 0.4, 0.4))
sex <- ifelse(runif(n) < 0.8, "male", "female")
trt <- ifelse(runif(n) < 0.5, "RT", "NRT")
lp <- 0.1 * (size - 8) + 0.45 * pvi + 0.2 * (bclc == "B") + 0.8 * (bclc == "C") -
  0.5 * (trt == "RT")
t_ev <- rexp(n, 0.04 * exp(lp))
t_c <- runif(n, 6, 60)
time <- ceiling(pmin(t_ev, t_c))
death <- as.integer(t_ev <= t_c)
resp_lp <- -0.4 + 0.9 * (trt == "RT") - 0.12 * (size - 8) + 0.5 * pvi
response <- rbinom(n, 1, plogis(resp_lp))
sim <- data.frame(time = time, death = death, age = age, size = size, pvi = pvi,
                  bclc = bclc, sex = sex, trt = trt, response = response)
write_data(sim, "models_sim")

sim$bclc <- factor(sim$bclc, levels = c("A", "B", "C"))
sim$sex <- factor(sim$sex, levels = c("female", "male"))
sim$trt <- factor(sim$trt, levels = c("NRT", "RT"))

# ------------------------------------------------------------------ univariate Cox
covs <- c("age", "size", "pvi", "sex", "bclc", "trt")
uni <- list()
for (v in covs) {
  for (ties in c("efron", "breslow")) {
    f <- as.formula(paste("Surv(time, death) ~", v))
    fit <- coxph(f, data = sim, ties = ties, control = tight)
    s <- summary(fit)
    uni[[paste(v, ties, sep = "_")]] <- list(
      n = fit$n, nevent = fit$nevent, names = names(coef(fit)),
      coef = unname(coef(fit)), se = unname(sqrt(diag(vcov(fit)))),
      hr = unname(s$conf.int[, 1]), lower = unname(s$conf.int[, 3]),
      upper = unname(s$conf.int[, 4]), p = unname(s$coefficients[, 5]),
      wald = unname(s$waldtest), lr = unname(s$logtest), score = unname(s$sctest),
      loglik = fit$loglik)
  }
}
# releveled factor: C(bclc, treatment('C'))
fit <- coxph(Surv(time, death) ~ relevel(bclc, ref = "C"), data = sim, control = tight)
s <- summary(fit)
uni[["bclc_refC_efron"]] <- list(
  n = fit$n, nevent = fit$nevent, coef = unname(coef(fit)),
  se = unname(sqrt(diag(vcov(fit)))), p = unname(s$coefficients[, 5]),
  wald = unname(s$waldtest), lr = unname(s$logtest), score = unname(s$sctest))
write_json_ref(uni, "models_cox_univariate")

# ------------------------------------------------------------- backward elimination
block_wald <- function(fit, term) {
  asg <- attr(model.matrix(fit), "assign")
  tl <- attr(terms(fit), "term.labels")
  idx <- which(asg == match(term, tl))
  b <- coef(fit)[idx]
  v <- vcov(fit)[idx, idx, drop = FALSE]
  w <- as.numeric(t(b) %*% solve(v, b))
  c(stat = w, df = length(idx), p = pchisq(w, length(idx), lower.tail = FALSE))
}

backward <- function(data, terms, fitter, criterion, p_remove = 0.10, force = character()) {
  path <- list()
  step <- 0
  repeat {
    if (length(terms) == 0) break
    fit <- fitter(data, terms)
    cand <- setdiff(terms, force)
    if (length(cand) == 0) break
    if (criterion == "wald") {
      tab <- t(sapply(cand, function(tm) block_wald(fit, tm)))
      stat <- tab[, "stat"]; df <- tab[, "df"]; p <- tab[, "p"]
    } else {
      d <- drop1(fit, test = "Chisq")
      rn <- rownames(d)
      pcol <- grep("^Pr", colnames(d))
      scol <- if ("LRT" %in% colnames(d)) "LRT" else "Deviance"
      p <- setNames(d[match(cand, rn), pcol], cand)
      stat <- setNames(d[match(cand, rn), scol], cand)
      df <- setNames(d[match(cand, rn), "Df"], cand)
    }
    k <- which.max(p)
    if (p[k] <= p_remove) break
    step <- step + 1
    path[[step]] <- list(step = step, removed = cand[k], statistic = unname(stat[k]),
                         df = unname(df[k]), p = unname(p[k]))
    terms <- setdiff(terms, cand[k])
  }
  list(path = path, final = terms)
}

cc <- na.omit(sim[, c("time", "death", covs, "response")])
cox_fitter <- function(ties) function(data, terms) {
  do.call("coxph", list(as.formula(paste("Surv(time, death) ~", paste(terms, collapse = " + "))),
                        data = data, ties = ties, control = tight))
}
final_table <- function(fit) {
  s <- summary(fit)$coefficients
  list(names = rownames(s), coef = unname(coef(fit)), se = unname(sqrt(diag(vcov(fit)))),
       p = unname(s[, ncol(s)]))
}
bw <- list(n = nrow(cc), nevent = sum(cc$death))
for (crit in c("wald", "lr")) {
  r <- backward(cc, covs, cox_fitter("efron"), crit)
  bw[[crit]] <- list(path = r$path, final = r$final,
                     final_model = final_table(cox_fitter("efron")(cc, r$final)))
}
r <- backward(cc, covs, cox_fitter("efron"), "wald", p_remove = 0.01, force = c("age"))
bw[["wald_p01_force_age"]] <- list(path = r$path, final = r$final)
full <- cox_fitter("efron")(cc, covs)
st <- step(full, direction = "backward", trace = 0)
bw[["aic"]] <- list(steps = as.character(st$anova$Step), aic = st$anova$AIC,
                    final = attr(terms(st), "term.labels"))
write_json_ref(bw, "models_cox_backward")

# ------------------------------------------------------------------------ logistic
glm_ref <- function(fit) {
  s <- summary(fit)$coefficients
  ci <- confint.default(fit)
  null <- glm(response ~ 1, family = binomial, data = fit$model, control = gtight)
  list(names = rownames(s), coef = unname(coef(fit)), se = unname(s[, 2]),
       z = unname(s[, 3]), p = unname(s[, 4]), lower = unname(ci[, 1]),
       upper = unname(ci[, 2]), loglik = as.numeric(logLik(fit)), aic = AIC(fit),
       deviance = fit$deviance, null_deviance = fit$null.deviance, n = nrow(fit$model),
       lr = fit$null.deviance - fit$deviance,
       lr_p = pchisq(fit$null.deviance - fit$deviance, fit$df.null - fit$df.residual,
                     lower.tail = FALSE),
       rao = anova(null, fit, test = "Rao")$Rao[2],
       rao_p = anova(null, fit, test = "Rao")[2, "Pr(>Chi)"])
}
lg <- list()
lg[["full"]] <- glm_ref(glm(response ~ age + size + pvi + sex + bclc + trt, family = binomial,
                            data = cc, control = gtight))
for (v in covs) {
  d <- sim[!is.na(sim[[v]]), ]
  lg[[paste0("uni_", v)]] <- glm_ref(glm(as.formula(paste("response ~", v)),
                                         family = binomial, data = d, control = gtight))
}
glm_fitter <- function(data, terms) {
  do.call("glm", list(as.formula(paste("response ~", paste(terms, collapse = " + "))),
                      family = binomial, data = data, control = gtight))
}
for (crit in c("wald", "lr")) {
  r <- backward(cc, covs, glm_fitter, crit)
  lg[[paste0("backward_", crit)]] <- list(path = r$path, final = r$final)
}
st <- step(glm_fitter(cc, covs), direction = "backward", trace = 0)
lg[["backward_aic"]] <- list(steps = as.character(st$anova$Step), aic = st$anova$AIC,
                             final = attr(terms(st), "term.labels"))
write_json_ref(lg, "logistic_sim")

# ------------------------------------------------------------------------ subgroups
sim$size_ge8 <- factor(ifelse(sim$size >= 8, ">= 8", "< 8"), levels = c("< 8", ">= 8"))
sim$pvi_f <- factor(sim$pvi, levels = c(0, 1))
sub_ref <- function(adjust) {
  out <- list()
  adj <- if (length(adjust)) paste("+", paste(adjust, collapse = " + ")) else ""
  fit <- coxph(as.formula(paste("Surv(time, death) ~ trt", adj)), data = sim, control = tight)
  s <- summary(fit)
  out[["Overall"]] <- list(hr = s$conf.int[1, 1], lower = s$conf.int[1, 3],
                           upper = s$conf.int[1, 4], p = s$coefficients[1, 5])
  for (v in c("sex", "bclc", "size_ge8", "pvi_f")) {
    levs <- list()
    for (lev in levels(sim[[v]])) {
      d <- sim[sim[[v]] == lev, ]
      fit <- coxph(as.formula(paste("Surv(time, death) ~ trt", adj)), data = d, control = tight)
      s <- summary(fit)
      levs[[lev]] <- list(n_treated = sum(d$trt == "RT"), events_treated = sum(d$death[d$trt == "RT"]),
                          n_control = sum(d$trt == "NRT"),
                          events_control = sum(d$death[d$trt == "NRT"]),
                          hr = s$conf.int[1, 1], lower = s$conf.int[1, 3],
                          upper = s$conf.int[1, 4], p = s$coefficients[1, 5])
    }
    f0 <- coxph(as.formula(paste("Surv(time, death) ~ trt +", v, adj)), data = sim,
                control = tight)
    f1 <- coxph(as.formula(paste("Surv(time, death) ~ trt *", v, adj)), data = sim,
                control = tight)
    a <- anova(f0, f1)
    # Wald test of the interaction block
    idx <- grep(":", names(coef(f1)))
    b <- coef(f1)[idx]
    w <- as.numeric(t(b) %*% solve(vcov(f1)[idx, idx, drop = FALSE], b))
    out[[v]] <- list(levels = levs, p_interaction = a[2, "Pr(>|Chi|)"],
                     chisq = a[2, "Chisq"], df = a[2, "Df"],
                     p_interaction_wald = pchisq(w, length(idx), lower.tail = FALSE))
  }
  out
}
write_json_ref(list(unadjusted = sub_ref(character()), adjusted_size = sub_ref("size")),
               "subgroups_sim")
