# Reference values for metaatt.pool from metafor's rma.uni, confint.rma.uni and predict.rma.
# Writes fixtures/pool.json. Run from this directory: Rscript --vanilla pool.R
# Iterative estimators are converged tightly (threshold 1e-12) so that the fixtures are exact
# to ~1e-10 and tests can compare at 1e-6 / 1e-5 relative.
suppressPackageStartupMessages({library(metafor); library(jsonlite)})

ctrl <- list(threshold = 1e-12, maxiter = 10000, tol = 1e-12, stepadj = 0.5)
methods <- c("EE", "DL", "HE", "HS", "HSk", "SJ", "ML", "REML", "EB", "PM", "PMM", "GENQ")
tests <- c("z", "t", "knha", "adhoc")

fit_all <- function(yi, vi, weights = NULL, level = 95) {
  out <- list()
  # The Q-profile interval does not depend on the tau2 estimator: take it from a DL fit.
  qp_fit <- rma(yi, vi, method = "DL")
  qp <- confint(qp_fit, level = level, control = list(tol = 1e-12, tau2.max = 1e6))
  for (m in methods) {
    for (t in tests) {
      args <- list(yi = yi, vi = vi, method = m, test = t, level = level, control = ctrl)
      if (m == "GENQ") args$weights <- weights
      r <- try(do.call(rma, args), silent = TRUE)
      if (inherits(r, "try-error")) next
      p <- predict(r, level = level)
      # EE: the Q-profile interval describes the data (metafor refuses confint for EE).
      # GENQ: metafor's default interval is the generalized-Q method (Jackson 2013), which
      # needs the CompQuadForm package (not available here); those bounds are not recorded.
      ci <- if (m %in% c("EE", "GENQ")) qp else confint(r, level = level, control = list(tol = 1e-12, tau2.max = 1e6))
      out[[length(out) + 1]] <- list(
        method = m, test = t, level = level / 100,
        estimate = as.numeric(r$b), se = r$se, statistic = r$zval, pval = r$pval,
        ci_low = r$ci.lb, ci_high = r$ci.ub,
        pi_low = as.numeric(p$pi.lb), pi_high = as.numeric(p$pi.ub),
        tau2 = r$tau2, se_tau2 = if (is.null(r$se.tau2) || is.na(r$se.tau2)) NULL else r$se.tau2,
        i2 = r$I2, h2 = r$H2, q = r$QE, q_pval = r$QEp,
        tau2_ci_low = ci$random["tau^2", "ci.lb"], tau2_ci_high = ci$random["tau^2", "ci.ub"],
        i2_ci_low = ci$random["I^2(%)", "ci.lb"], i2_ci_high = ci$random["I^2(%)", "ci.ub"],
        h2_ci_low = ci$random["H^2", "ci.lb"], h2_ci_high = ci$random["H^2", "ci.ub"],
        tau2_ci_null = isTRUE(ci$ci.null),
        tau2_ci_method = if (m == "GENQ") "Q-profile (from a DL fit; metafor's GENQ interval not recorded)" else "Q-profile"
      )
    }
  }
  out
}

case <- function(name, yi, vi, source, weights = NULL, level = 95) {
  keep <- !is.na(yi) & !is.na(vi)  # studies metafor would omit (e.g. a double-zero table)
  yi <- yi[keep]; vi <- vi[keep]
  if (is.null(weights)) weights <- 1 / sqrt(vi) else weights <- weights[keep]
  list(name = name, source = source, yi = yi, vi = vi, weights = weights,
       results = fit_all(yi, vi, weights, level))
}

cases <- list()

# --- published examples --------------------------------------------------------------
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
cases[[length(cases) + 1]] <- case("bcg_logrr", as.numeric(bcg$yi), as.numeric(bcg$vi),
  "Colditz et al. 1994 (metadat dat.bcg); metafor rma.uni help page example")
cases[[length(cases) + 1]] <- case("bcg_logrr_level90", as.numeric(bcg$yi), as.numeric(bcg$vi),
  "dat.bcg at level 90", level = 90)
raud <- dat.raudenbush1985
cases[[length(cases) + 1]] <- case("raudenbush1985", raud$yi, raud$vi,
  "Raudenbush (2009), Table 16.3 (metadat dat.raudenbush1985)")
# Viechtbauer (2005), JEBS 30:261-293, examples 1 and 2 (data printed on pp. 271-272)
cases[[length(cases) + 1]] <- case("viechtbauer2005_ex1",
  c(-0.581, 0.530, 0.771, 1.031, 0.553, 0.295, 0.078, 0.573, -0.176, -0.232),
  c(0.023, 0.052, 0.060, 0.115, 0.095, 0.203, 0.200, 0.211, 0.051, 0.040),
  "Viechtbauer (2005), example 1, p. 271")
cases[[length(cases) + 1]] <- case("viechtbauer2005_ex2",
  c(0.100, -0.162, -0.090, -0.049, -0.046, -0.010, -0.431, -0.261, 0.134, 0.019, 0.175, 0.056,
    0.045, 0.103, 0.121, -0.482, 0.290, 0.342),
  c(0.016, 0.015, 0.050, 0.050, 0.032, 0.052, 0.036, 0.024, 0.034, 0.033, 0.031, 0.034, 0.039,
    0.167, 0.134, 0.096, 0.016, 0.035),
  "Viechtbauer (2005), example 2, p. 272")
clasp <- escalc(measure = "OR", ai = c(5, 5, 12, 69, 9, 313), n1i = c(156, 303, 565, 1570, 103, 4659),
                ci = c(8, 17, 9, 94, 11, 352), n2i = c(74, 303, 477, 1565, 105, 4650))
cases[[length(cases) + 1]] <- case("dersimonian2007_clasp", as.numeric(clasp$yi), as.numeric(clasp$vi),
  "DerSimonian & Kacker (2007), CLASP trials, log OR")
cases[[length(cases) + 1]] <- case("kacker2004",
  c(61.00, 61.40, 62.21, 62.30, 62.34, 62.60, 62.70, 62.84, 65.90),
  c(0.2025, 1.2100, 0.0900, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225),
  "Kacker (2004), 9 laboratories, Table 1")
col <- escalc(measure = "OR", ai = pre.xti, n1i = pre.nti, ci = pre.xci, n2i = pre.nci, data = dat.collins1985b)
cases[[length(cases) + 1]] <- case("collins1985b_logor", as.numeric(col$yi), as.numeric(col$vi),
  "Viechtbauer (2007a), dat.collins1985b, log OR of pre-eclampsia")
hine <- escalc(measure = "RD", n1i = n1i, n2i = n2i, ai = ai, ci = ci, data = dat.hine1989)
cases[[length(cases) + 1]] <- case("hine1989_rd100", 100 * as.numeric(hine$yi), 10000 * as.numeric(hine$vi),
  "Normand (1999), dat.hine1989, risk difference x 100 (tau2 = 0)")
norm <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
               data = dat.normand1999, vtype = "HO")
cases[[length(cases) + 1]] <- case("normand1999_md", as.numeric(norm$yi), as.numeric(norm$vi),
  "Normand (1999), dat.normand1999, mean difference with pooled SD")
linde <- escalc(measure = "RR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.linde2005)
linde <- linde[c(7:10, 13:25), ]  # the 17 trials analysed by Viechtbauer (2007b)
cases[[length(cases) + 1]] <- case("linde2005_logrr", as.numeric(linde$yi), as.numeric(linde$vi),
  "Viechtbauer (2007b), dat.linde2005 rows 7-10 and 13-25, log RR")
lee <- escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.lee2004)
cases[[length(cases) + 1]] <- case("lee2004_logor", as.numeric(lee$yi), as.numeric(lee$vi),
  "Henmi & Copas (2010), dat.lee2004, log OR")
cases[[length(cases) + 1]] <- case("borenstein2009_ch18",
  c(.09452, .27736, .36654, .66438, .46181, .18516),
  c(.03295, .03070, .04988, .01051, .04266, .02342),
  "Borenstein et al. (2009), chapter 18 example")

# --- random datasets (held-out style) --------------------------------------------------
set.seed(20261126)
for (k in c(2, 3, 5, 10, 20, 40, 80)) {
  for (tau2 in c(0, 0.05, 0.5, 5)) {
    for (pattern in c("equal", "unequal")) {
      vi <- if (pattern == "equal") rep(0.04, k) else round(runif(k, 0.005, 0.6), 6)
      yi <- round(rnorm(k, 0.3, sqrt(vi + tau2)), 6)
      cases[[length(cases) + 1]] <- case(sprintf("random_k%d_tau%g_%s", k, tau2, pattern), yi, vi,
        sprintf("simulated, seed 20261126: k = %d, tau2 = %g, %s variances", k, tau2, pattern),
        weights = round(runif(k, 0.5, 2), 4))
    }
  }
}
# very heterogeneous, tiny variances, and a large-scale outcome
cases[[length(cases) + 1]] <- case("extreme_heterogeneity", c(-3, 4, 0.5, 10, -7, 2),
  c(0.001, 0.002, 0.0005, 0.003, 0.001, 0.002), "constructed: tau2 >> vi")
cases[[length(cases) + 1]] <- case("large_scale", c(1200, 1350, 980, 1500, 1100),
  c(400, 900, 2500, 1600, 100), "constructed: outcomes on a large scale")
cases[[length(cases) + 1]] <- case("identical_estimates", rep(0.25, 5), c(0.01, 0.02, 0.03, 0.04, 0.05),
  "constructed: all yi equal (Q = 0)")

fixture <- list(
  generated_by = "tests/reference/pool.R",
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  control = ctrl,
  cases = cases
)
dir.create("fixtures", showWarnings = FALSE)
write_json(fixture, "fixtures/pool.json", digits = NA, auto_unbox = TRUE, pretty = FALSE, null = "null", na = "null")
cat("wrote fixtures/pool.json with", length(cases), "cases\n")
