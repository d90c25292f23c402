# Competing risks (cmprsk 2.2-11): cuminc estimates and variances, timepoints,
# Gray's K-sample test with and without strata, crr (Fine-Gray) coefficients
# and sandwich variance; survival extras: RMST difference and ratio from
# survfit's rmean / se(rmean), milestone survival difference from
# summary(survfit, times=).
#
# Sourced by generate_r.R, which provides write_json_ref(), write_data() and data_dir.
# Writes tests/reference/data/cr_*.csv and tests/reference/json/cr_*.json, extras_*.json.

suppressPackageStartupMessages(library(cmprsk))
set.seed(40)

# --- simulated competing-risk data with heavy ties ------------------------------
n <- 240
grp <- sample(c("a", "b", "c"), n, replace = TRUE)
site <- sample(c("x", "y"), n, replace = TRUE)
stage <- sample(c("II", "III", "IV"), n, replace = TRUE)
age <- round(rnorm(n, 60, 10), 1)
lp1 <- 0.5 * (grp == "b") - 0.4 * (grp == "c") + 0.3 * (stage == "IV") + 0.02 * (age - 60)
t1 <- rexp(n, 0.08 * exp(lp1))
t2 <- rexp(n, 0.05 * exp(0.3 * (grp == "c")))
cens <- runif(n, 5, 40)
tt <- pmin(t1, t2, cens)
status <- ifelse(tt == cens, 0L, ifelse(tt == t1, 1L, 2L))
time <- ceiling(tt)          # whole months: many ties across causes
cr_sim <- data.frame(id = seq_len(n), time = time, status = status, grp = grp,
                     site = site, stage = stage, age = age)
write_data(cr_sim, "cr_sim")

cuminc_json <- function(fit) {
  # one entry per "group cause" curve: time, est, var (as cuminc returns them)
  curves <- fit[names(fit) != "Tests"]
  list(curves = lapply(curves, function(z) list(time = z$time, est = z$est, var = z$var)),
       names = names(curves))
}
tests_json <- function(fit) {
  tt <- fit$Tests
  list(cause = rownames(tt), stat = unname(tt[, "stat"]), pv = unname(tt[, "pv"]),
       df = unname(tt[, "df"]))
}
tp_json <- function(fit, times) {
  tp <- timepoints(fit, times)
  list(names = rownames(tp$est), times = as.numeric(colnames(tp$est)),
       est = unname(tp$est), var = unname(tp$var))
}

f_grp <- cuminc(cr_sim$time, cr_sim$status, cr_sim$grp, cencode = 0)
write_json_ref(c(cuminc_json(f_grp), list(tests = tests_json(f_grp)),
                 list(tp = tp_json(f_grp, c(0, 3, 6.5, 12, 24, 100)))), "cr_cuminc_grp")
f_str <- cuminc(cr_sim$time, cr_sim$status, cr_sim$grp, strata = cr_sim$site, cencode = 0)
write_json_ref(list(tests = tests_json(f_str)), "cr_cuminc_grp_strata")
f_all <- cuminc(cr_sim$time, cr_sim$status, cencode = 0)
write_json_ref(cuminc_json(f_all), "cr_cuminc_all")
f_rho <- cuminc(cr_sim$time, cr_sim$status, cr_sim$site, rho = 1, cencode = 0)
write_json_ref(list(tests = tests_json(f_rho)), "cr_cuminc_site_rho1")

# --- Fine-Gray: crr with a factor covariate, ties in time -----------------------
X <- model.matrix(~ grp + stage + age, data = cr_sim)[, -1]
crr_json <- function(fit) list(terms = names(fit$coef), coef = unname(fit$coef),
                               var = unname(fit$var), converged = fit$converged,
                               loglik = fit$loglik)
fg1 <- crr(cr_sim$time, cr_sim$status, X, failcode = 1, cencode = 0, gtol = 1e-10,
           maxiter = 100)
write_json_ref(crr_json(fg1), "cr_crr_cause1")
fg2 <- crr(cr_sim$time, cr_sim$status, X[, c("grpb", "grpc")], failcode = 2, cencode = 0,
           gtol = 1e-10, maxiter = 100)
write_json_ref(crr_json(fg2), "cr_crr_cause2")

# --- survival extras: RMST and milestone from survfit ---------------------------
cr_sim$death <- as.integer(cr_sim$status > 0)
two <- cr_sim[cr_sim$grp %in% c("a", "b"), ]
sf <- survfit(Surv(time, death) ~ grp, data = two)
tab <- summary(sf, rmean = 12)$table
r <- tab[, "rmean"]; se <- tab[, "se(rmean)"]
diff <- unname(r[2] - r[1]); se_d <- sqrt(sum(se^2))
lr <- unname(log(r[2] / r[1])); se_lr <- sqrt(sum((se / r)^2))
z <- qnorm(0.975)
write_json_ref(list(tau = 12, rmst = unname(r), se = unname(se),
                    diff = diff, diff_lower = diff - z * se_d, diff_upper = diff + z * se_d,
                    diff_p = 2 * pnorm(-abs(diff / se_d)),
                    ratio = exp(lr), ratio_lower = exp(lr - z * se_lr),
                    ratio_upper = exp(lr + z * se_lr), ratio_p = 2 * pnorm(-abs(lr / se_lr))),
               "extras_rmst")
sm <- summary(sf, times = 10)
d10 <- sm$surv[2] - sm$surv[1]; se10 <- sqrt(sum(sm$std.err^2))
write_json_ref(list(time = 10, surv = sm$surv, std_err = sm$std.err, diff = d10,
                    lower = d10 - z * se10, upper = d10 + z * se10,
                    p = 2 * pnorm(-abs(d10 / se10))), "extras_milestone")

# --- tiny hand-checked example (the arithmetic is in tests/analyse/test_competing.py)
cr_tiny <- data.frame(time = c(1, 2, 2, 3, 3, 4, 5), status = c(1, 1, 2, 0, 1, 2, 0))
write_data(cr_tiny, "cr_tiny")
write_json_ref(cuminc_json(cuminc(cr_tiny$time, cr_tiny$status, cencode = 0)), "cr_tiny")
