# Data sets shared by every reference script. Written as CSV so Python reads the
# exact same rows. Helpers write_data / write_json_ref / data_dir come from
# generate_r.R (sourced with its environment as parent).

set.seed(20261123)

# --- classic survival data sets --------------------------------------------
lung_df <- survival::lung
lung_df$event <- as.integer(lung_df$status == 2)   # 1 = dead
write_data(lung_df, "lung")

veteran_df <- survival::veteran
write_data(veteran_df, "veteran")

ovarian_df <- survival::ovarian
write_data(ovarian_df, "ovarian")

# --- simulated, heavy ties ---------------------------------------------------
# 600 subjects, time rounded to whole months (heavy ties), 3 groups, strata,
# 120 clusters, case weights, a factor with 3 levels.
n <- 600
grp <- sample(c("A", "B", "C"), n, replace = TRUE, prob = c(0.4, 0.35, 0.25))
x1 <- round(rnorm(n, 5, 2), 1)            # e.g. tumour size in cm
x2 <- rbinom(n, 1, 0.4)                   # binary
x3 <- sample(c("lo", "mid", "hi"), n, replace = TRUE)
site <- sample(1:3, n, replace = TRUE)    # stratum
cluster <- sample(1:120, n, replace = TRUE)
wt <- round(runif(n, 0.5, 2), 2)
lp <- 0.08 * x1 + 0.4 * x2 + c(lo = 0, mid = 0.3, hi = 0.6)[x3] +
  c(A = 0, B = 0.35, C = -0.3)[grp]
rate <- 0.05 * exp(lp - mean(lp)) * c(1, 1.3, 0.8)[site]
t_event <- rexp(n, rate)
t_cens <- runif(n, 6, 48)
time <- pmax(round(pmin(t_event, t_cens)), 1)   # whole months, min 1
event <- as.integer(t_event <= t_cens)
sim_ties <- data.frame(id = seq_len(n), time = time, event = event, group = grp,
                       x1 = x1, x2 = x2, x3 = x3, site = site, cluster = cluster, wt = wt)
write_data(sim_ties, "sim_ties")

# --- simulated, a zero-event group ------------------------------------------
# Group "D" (12 subjects) has no event at all: KM stays at 1, log-rank has
# expected > 0 observed 0, Cox for D vs A diverges (monotone likelihood).
n2 <- 150
g2 <- c(rep("A", 70), rep("B", 68), rep("D", 12))
t2 <- round(rexp(n2, ifelse(g2 == "A", 0.08, 0.05)), 1) + 0.1
c2 <- round(runif(n2, 2, 30), 1)
sim_zero <- data.frame(time = pmin(t2, c2), event = as.integer(t2 <= c2), group = g2,
                       age = round(rnorm(n2, 60, 9)))
sim_zero$event[sim_zero$group == "D"] <- 0L
write_data(sim_zero, "sim_zero")

# --- simulated (start, stop] data ------------------------------------------
# 200 subjects, each with 1-3 intervals; a time-varying covariate "tv" and a
# fixed covariate "age"; late entry for some subjects.
rows <- list()
for (i in 1:200) {
  age <- round(rnorm(1, 62, 8))
  start <- if (runif(1) < 0.3) round(runif(1, 0, 6), 1) else 0
  k <- sample(1:3, 1)
  tv <- 0
  for (j in 1:k) {
    len <- round(rexp(1, 0.12), 1) + 0.5
    stop <- start + len
    ev <- if (j == k) rbinom(1, 1, plogis(-0.5 + 0.02 * (age - 62) + 0.6 * tv)) else 0L
    rows[[length(rows) + 1]] <- data.frame(id = i, start = start, stop = stop, event = ev,
                                           tv = tv, age = age)
    start <- stop
    tv <- 1 - tv
  }
}
sim_counting <- do.call(rbind, rows)
write_data(sim_counting, "sim_counting")
