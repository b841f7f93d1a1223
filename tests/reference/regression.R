# Reference values for meta-regression, subgroup analysis and permutation tests.
# Writes tests/reference/fixtures/regression.json (run from tests/reference/, see regenerate.sh).
#
# Contents
#   published:    worked examples from reference-cases.md (cases 1, 4, 8, 9, 10), full precision
#   random:       random meta-regression datasets (fixed seeds; k 5..80, 1-3 moderators, binary and
#                 continuous, tau2 from 0 to 2, unequal vi) x every tau2 estimator x z/t/knha/adhoc
#   subgroups:    separate-tau2 (per-group rma + FE test of the subgroup estimates) and common-tau2
#                 (rma with mods = ~ factor(group)) analyses
#   permutation:  exact permutation tests (permutest(exact = TRUE))
# Iterative fits are converged tightly (threshold 1e-12) so tests can compare at 1e-6 to 1e-8.
suppressMessages({
  library(metafor)
  library(jsonlite)
})

ctrl <- list(threshold = 1e-12, tol = 1e-12, maxiter = 100000, stepadj = 0.5)
ci_ctrl <- list(tol = 1e-12, maxiter = 10000, tau2.max = 1e6)  # no ">100" censoring of the upper bound

fit_rma <- function(yi, vi, mods = NULL, method = "REML", test = "z", intercept = TRUE,
                    weights = NULL) {
  args <- list(yi = yi, vi = vi, method = method, test = test, control = ctrl)
  if (!is.null(mods)) args <- c(args, list(mods = mods, intercept = intercept))
  if (!is.null(weights)) args$weights <- weights
  do.call(rma, args)
}

describe <- function(res, newmods = NULL, btt_alt = NULL) {
  out <- list(
    names = rownames(res$beta), coef = as.vector(res$beta), se = res$se, zval = res$zval,
    pval = res$pval, ci_lb = res$ci.lb, ci_ub = res$ci.ub, vb = unname(res$vb),
    tau2 = res$tau2, se_tau2 = res$se.tau2, I2 = res$I2, H2 = res$H2,
    R2 = if (is.null(res$R2)) NA else res$R2,
    QE = res$QE, QEp = res$QEp, QM = res$QM, QMp = res$QMp, QMdf = res$QMdf,
    btt = res$btt, k = res$k, p = res$p
  )
  if (!is.element(res$method, c("FE", "EE", "CE")) && !res$int.only) {
    # tau2 of the intercept-only model that metafor's pseudo-R^2 compares against
    args0 <- list(yi = res$yi, vi = res$vi, method = res$method, control = ctrl)
    if (!is.null(res$weights)) args0$weights <- res$weights
    out$tau2_RE <- do.call(rma, args0)$tau2
  }
  if (!is.element(res$method, c("FE", "EE", "CE"))) {
    ci <- confint(res, type = "QP", control = ci_ctrl)$random
    out$tau2_ci <- unname(ci["tau^2", 2:3])
    out$I2_ci <- unname(ci["I^2(%)", 2:3])
  }
  if (!is.null(newmods)) {
    pr <- predict(res, newmods = newmods)
    out$pred <- list(newmods = newmods, pred = pr$pred, se = pr$se, ci_lb = pr$ci.lb,
                     ci_ub = pr$ci.ub, pi_lb = pr$pi.lb, pi_ub = pr$pi.ub)
  }
  if (!is.null(btt_alt)) {
    alt <- anova(res, btt = btt_alt)
    out$btt_alt <- list(btt = btt_alt, QM = alt$QM, QMp = alt$QMp)
  }
  out
}

case <- function(name, yi, vi, X, method, test, intercept = TRUE, newmods = NULL,
                 btt_alt = NULL, source = NULL, weights = NULL) {
  res <- fit_rma(yi, vi, X, method, test, intercept, weights)
  list(name = name, source = source, yi = yi, vi = vi, X = unname(as.matrix(X)),
       mod_names = colnames(X), intercept = intercept, method = method, test = test,
       weights = weights, expected = describe(res, newmods, btt_alt))
}

# ---------------------------------------------------------------- published examples
published <- list()
bcg <- escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = read.csv("data/bcg.csv"))
X <- cbind(ablat = bcg$ablat, year = bcg$year)
published$bcg_ablat_year <- case("bcg_ablat_year", as.vector(bcg$yi), as.vector(bcg$vi), X,
  "REML", "z", newmods = rbind(c(30, 1960), c(50, 1970)), btt_alt = 2,
  source = "reference-cases.md case 1: rma(yi, vi, mods = ~ ablat + year) (rma.uni.html)")
published$bcg_ablat_year_knha <- case("bcg_ablat_year_knha", as.vector(bcg$yi),
  as.vector(bcg$vi), X, "REML", "knha", newmods = rbind(c(30, 1960), c(50, 1970)),
  source = "case 1 with test = 'knha'")
published$bcg_ablat <- case("bcg_ablat", as.vector(bcg$yi), as.vector(bcg$vi),
  cbind(ablat = bcg$ablat), "REML", "z", newmods = matrix(c(10, 30, 50)),
  source = "reference-cases.md case 1: mods = ~ ablat, confint tau2 0.0764 [0.0167, 0.7849]")

raud <- read.csv("data/raudenbush1985.csv")
raud$weeks.c <- ifelse(raud$weeks > 3, 3, raud$weeks)
published$raudenbush_weeks <- case("raudenbush_weeks", raud$yi, raud$vi,
  cbind(weeks.c = raud$weeks.c), "REML", "z", newmods = matrix(0:3),
  source = "reference-cases.md case 4: Raudenbush (2009) Table 16.3, mods = ~ weeks.c")

linde <- escalc("RR", ai = ai, ci = ci, n1i = n1i, n2i = n2i, data = read.csv("data/linde2005.csv"))
linde <- linde[c(7:10, 13:25), ]
linde$dosage <- (linde$dosage * 7) / 1000
linde$dosage <- linde$dosage * linde$duration  # total dosage, as in metafor's analysis example
Xl <- cbind(d = linde$dosage - 34, b = linde$baseline - 20)
Xl <- cbind(Xl, db = Xl[, 1] * Xl[, 2])
for (m in c("DL", "HS", "HE", "SJ", "PM", "ML", "REML", "EB")) {
  published[[paste0("linde_", tolower(m))]] <- case(paste0("linde_", tolower(m)),
    as.vector(linde$yi), as.vector(linde$vi), Xl, m, "z",
    newmods = if (m == "DL") rbind(c(0, 12.5 - 20, 0), c(0, 23.6 - 20, 0)) else NULL,
    source = "reference-cases.md case 8: Viechtbauer (2007b), ~ I(dosage-34)*I(baseline-20)")
}
published$linde_genq <- case("linde_genq", as.vector(linde$yi), as.vector(linde$vi), Xl, "GENQ",
  "z", weights = linde$n1i + linde$n2i,
  source = "reference-cases.md case 8: GENQ with weights n1i + n2i")

berkey <- escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = read.csv("data/bcg.csv"))
berkey$vi <- with(berkey, sum(tneg / tpos) / (13 * (tneg + tpos)) + sum(cneg / cpos) / (13 * (cneg + cpos)))
published$berkey_eb <- case("berkey_eb", as.vector(berkey$yi), as.vector(berkey$vi),
  cbind(ablat_c = berkey$ablat - 33.46), "EB", "z",
  source = "reference-cases.md case 9: Berkey et al. (1995), EB, ~ I(ablat - 33.46)")
published$berkey_fe <- case("berkey_fe", as.vector(berkey$yi), as.vector(berkey$vi),
  cbind(ablat_c = berkey$ablat - 33.46), "FE", "z",
  source = "reference-cases.md case 9: Berkey et al. (1995), fixed-effects meta-regression")

lw <- read.csv("data/lipsey2001.csv")
published$lipsey_fe_random <- case("lipsey_fe_random", lw$yi, lw$vi, cbind(random = lw$random),
  "FE", "z", source = "reference-cases.md case 10: Lipsey & Wilson (2001), subgroup ANOVA ~ random")
published$lipsey_dl <- case("lipsey_dl", lw$yi, lw$vi, cbind(random = lw$random,
  intensity = lw$intensity), "DL", "z",
  source = "reference-cases.md case 10: Lipsey & Wilson (2001), DL meta-regression")

# ---------------------------------------------------------------- random datasets
methods <- c("REML", "ML", "DL", "HE", "HS", "HSk", "SJ", "EB", "PM", "PMM", "EE")
tests <- c("z", "knha", "adhoc", "t")
random <- list()
for (i in 1:44) {
  set.seed(20240 + i)
  k <- sample(c(5, 6, 8, 10, 12, 15, 25, 40, 80), 1)
  n_mod <- min(sample(1:3, 1), k - 3)
  tau2 <- sample(c(0, 0, 0.01, 0.1, 0.5, 2), 1)
  vi <- runif(k, 0.005, 0.5) * sample(c(0.2, 1, 5), 1)
  X <- sapply(seq_len(n_mod), function(j) {
    if (j == 2) rbinom(k, 1, 0.5) else round(rnorm(k, 10 * j, 3), 1)
  })
  X <- matrix(X, nrow = k)
  if (n_mod >= 2 && length(unique(X[, 2])) < 2) X[1:2, 2] <- c(0, 1)
  colnames(X) <- paste0("x", seq_len(n_mod))
  beta <- rnorm(n_mod, 0, 0.1)
  yi <- 0.3 + as.vector(X %*% beta) + rnorm(k, 0, sqrt(tau2 + vi))
  method <- methods[(i - 1) %% length(methods) + 1]
  test <- tests[((i - 1) %/% length(methods)) %% length(tests) + 1]
  intercept <- !(i %% 13 == 0)
  newmods <- X[c(1, k), , drop = FALSE] + 1
  btt_alt <- if (n_mod >= 2) 2 else NULL
  random[[i]] <- case(sprintf("random_%02d", i), yi, vi, X, method, test, intercept,
                      newmods = newmods, btt_alt = btt_alt,
                      source = sprintf("random dataset, seed %d, true tau2 %g", 20240 + i, tau2))
}
# no intercept, but a full set of group dummies (the constant lies in the column space)
set.seed(4242)
k <- 14; g <- rep(1:3, length.out = k); vi <- runif(k, 0.02, 0.3)
yi <- c(0.1, 0.4, -0.2)[g] + rnorm(k, 0, sqrt(vi + 0.08))
Xd <- cbind(gA = as.numeric(g == 1), gB = as.numeric(g == 2), gC = as.numeric(g == 3))
random[[length(random) + 1]] <- case("dummies_no_intercept", yi, vi, Xd, "REML", "z",
  intercept = FALSE, newmods = diag(3), btt_alt = 2,
  source = "random dataset, seed 4242, three groups coded as dummies without intercept")
# generalized Q estimator with user weights (sample sizes)
set.seed(777)
k <- 12; vi <- runif(k, 0.02, 0.3); x <- rnorm(k); yi <- 0.2 + 0.1 * x + rnorm(k, 0, sqrt(vi + 0.05))
random[[length(random) + 1]] <- case("random_genq", yi, vi, cbind(x = x), "GENQ", "z",
  weights = round(1 / vi), source = "random dataset, seed 777, GENQ with weights round(1/vi)")

# ---------------------------------------------------------------- subgroups
subgroup_case <- function(name, yi, vi, group, method, test, source = NULL) {
  group <- as.character(group)
  levels <- sort(unique(group))
  per <- lapply(levels, function(g) {
    sel <- group == g
    r <- fit_rma(yi[sel], vi[sel], NULL, method, test)
    pr <- predict(r)
    list(group = g, k = r$k, estimate = as.vector(r$beta), se = r$se, zval = r$zval,
         pval = r$pval, ci_lb = r$ci.lb, ci_ub = r$ci.ub, pi_lb = pr$pi.lb, pi_ub = pr$pi.ub,
         tau2 = r$tau2, I2 = r$I2, QE = r$QE, QEp = r$QEp)
  })
  est <- sapply(per, function(x) x$estimate)
  sei <- sapply(per, function(x) x$se)
  between <- rma(est, sei = sei, mods = ~ factor(levels), method = "FE")
  fg <- factor(group, levels = levels)
  common <- rma(yi, vi, mods = ~ fg, method = method, test = test, control = ctrl)
  common0 <- rma(yi, vi, mods = ~ 0 + fg, method = method, test = test, control = ctrl)
  pr0 <- predict(common0, newmods = diag(length(levels)))
  overall <- fit_rma(yi, vi, NULL, method, test)
  list(
    name = name, source = source, yi = yi, vi = vi, group = group, method = method, test = test,
    separate = list(groups = per, QM = between$QM, QMp = between$QMp, QMdf = between$QMdf),
    common = list(QM = common$QM, QMp = common$QMp, QMdf = common$QMdf, tau2 = common$tau2,
                  QE = common$QE, QEp = common$QEp, estimate = as.vector(common0$beta),
                  se = common0$se, ci_lb = common0$ci.lb, ci_ub = common0$ci.ub,
                  pi_lb = pr0$pi.lb, pi_ub = pr0$pi.ub),
    overall = list(estimate = as.vector(overall$beta), se = overall$se, tau2 = overall$tau2,
                   ci_lb = overall$ci.lb, ci_ub = overall$ci.ub)
  )
}
subgroups <- list()
subgroups[[1]] <- subgroup_case("lipsey_fe", lw$yi, lw$vi, ifelse(lw$random == 1, "random", "nonrandom"),
  "FE", "z", source = "reference-cases.md case 10: within-group Q 6.4382 and 1.2519, QM 7.0739")
subgroups[[2]] <- subgroup_case("bcg_alloc_reml", as.vector(bcg$yi), as.vector(bcg$vi), bcg$alloc,
  "REML", "z", source = "dat.bcg by allocation (random, alternate, systematic)")
subgroups[[3]] <- subgroup_case("bcg_alloc_dl_knha", as.vector(bcg$yi), as.vector(bcg$vi),
  bcg$alloc, "DL", "knha", source = "dat.bcg by allocation, DL with Knapp-Hartung")
for (i in 1:9) {
  set.seed(5150 + i)
  n_groups <- sample(2:4, 1)
  sizes <- sample(2:12, n_groups, replace = TRUE)
  group <- rep(LETTERS[seq_len(n_groups)], sizes)
  k <- length(group)
  vi <- runif(k, 0.01, 0.4)
  mu <- rnorm(n_groups, 0.3, 0.3)[match(group, LETTERS)]
  yi <- mu + rnorm(k, 0, sqrt(vi + sample(c(0, 0.05, 0.3), 1)))
  method <- c("REML", "DL", "ML", "PM", "EE", "REML", "SJ", "HE", "REML")[i]
  test <- c("z", "z", "knha", "z", "z", "knha", "z", "t", "adhoc")[i]
  subgroups[[length(subgroups) + 1]] <- subgroup_case(sprintf("random_%d", i), yi, vi, group,
    method, test, source = sprintf("random dataset, seed %d", 5150 + i))
}

# ---------------------------------------------------------------- exact permutation tests
perm_case <- function(name, yi, vi, X, method, test) {
  res <- fit_rma(yi, vi, X, method, test)
  pt <- permutest(res, exact = TRUE, progbar = FALSE)
  list(name = name, yi = yi, vi = vi, X = if (is.null(X)) NULL else unname(as.matrix(X)),
       method = method, test = test, n_perm = nrow(pt$zval.perm), pval = pt$pval, QMp = pt$QMp,
       QM = res$QM, zval = res$zval, QM_perm_sorted = sort(pt$QM.perm))
}
permutation <- list()
set.seed(99)
k <- 6; vi <- runif(k, 0.02, 0.2); x <- rnorm(k); yi <- 0.1 + 0.2 * x + rnorm(k, 0, sqrt(vi + 0.05))
permutation[[1]] <- perm_case("continuous_k6_reml", yi, vi, cbind(x = x), "REML", "z")
set.seed(100)
k <- 8; vi <- runif(k, 0.02, 0.2); g <- rep(0:1, 4); yi <- 0.1 + 0.3 * g + rnorm(k, 0, sqrt(vi + 0.02))
permutation[[2]] <- perm_case("binary_k8_dl_knha", yi, vi, cbind(g = g), "DL", "knha")
set.seed(101)
k <- 6; vi <- runif(k, 0.02, 0.2); x1 <- rnorm(k); x2 <- c(0, 0, 1, 1, 1, 0)
yi <- 0.1 + 0.2 * x1 + rnorm(k, 0, sqrt(vi + 0.05))
permutation[[3]] <- perm_case("two_mods_k6_ml", yi, vi, cbind(x1 = x1, x2 = x2), "ML", "z")
set.seed(102)
k <- 8; vi <- runif(k, 0.02, 0.2); yi <- 0.2 + rnorm(k, 0, sqrt(vi + 0.05))
permutation[[4]] <- perm_case("intercept_only_k8_reml", yi, vi, NULL, "REML", "z")
set.seed(103)
k <- 10; vi <- runif(k, 0.02, 0.2); g <- c(1, 1, 1, 2, 2, 2, 3, 3, 3, 3)
yi <- 0.1 * g + rnorm(k, 0, sqrt(vi + 0.02))
Xg <- cbind(g2 = as.numeric(g == 2), g3 = as.numeric(g == 3))
permutation[[5]] <- perm_case("three_groups_k10_reml", yi, vi, Xg, "REML", "z")
set.seed(104)
k <- 7; vi <- runif(k, 0.02, 0.2); yi <- 0.1 + rnorm(k, 0, sqrt(vi + 0.1))
permutation[[6]] <- perm_case("intercept_only_k7_dl_knha", yi, vi, NULL, "DL", "knha")

out <- list(
  R_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  published = published, random = random, subgroups = subgroups, permutation = permutation
)
write_json(out, "fixtures/regression.json", digits = NA, auto_unbox = TRUE, na = "null",
           null = "null", pretty = FALSE)
cat("wrote fixtures/regression.json\n")
